using System.Collections.Concurrent;
using Akka.Cluster;
using Pipeline.Cluster.Wire;

namespace Pipeline.Cluster.Links;

/// <summary>This node's <see cref="PeerLedger"/> for every peer incarnation it exchanged packets with.</summary>
internal sealed class LinkLedger
{
    private readonly ConcurrentDictionary<UniqueAddress, PeerLedger> _peers = new();

    /// <summary>The ledger of <paramref name="peer"/>, created on first use.</summary>
    public PeerLedger For(UniqueAddress peer) => _peers.GetOrAdd(peer, static p => new PeerLedger(p));

    /// <summary>The ledger of <paramref name="peer"/>, if it has one.</summary>
    public PeerLedger? Find(UniqueAddress peer) => _peers.GetValueOrDefault(peer);

    /// <summary>A copy for a report.</summary>
    public IReadOnlyList<LedgerRow> Rows()
    {
        var rows = new List<LedgerRow>();
        foreach (var (peer, ledger) in _peers)
        {
            rows.Add(new LedgerRow(peer.Address.ToString(), peer.Uid, ledger.SentTo, ledger.AckedBy, ledger.LostTo, ledger.ReceivedFrom, ledger.SourceInSeen));
        }

        return rows;
    }
}
