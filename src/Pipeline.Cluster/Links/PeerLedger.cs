using Akka.Cluster;

namespace Pipeline.Cluster.Links;

/// <summary>
/// Packets this node exchanged with one peer node (one incarnation) over cross-node pipes. Written by the link
/// actors (once per batch), read by the node's reports.
/// </summary>
internal sealed class PeerLedger(UniqueAddress peer)
{
    private long _sentTo;
    private long _ackedBy;
    private long _lostTo;
    private long _receivedFrom;
    private long _sourceInSeen;

    public UniqueAddress Peer { get; } = peer;

    /// <summary>Packets handed to the transport for the peer.</summary>
    public long SentTo => Volatile.Read(ref _sentTo);

    /// <summary>Packets the peer acknowledged (took into its pipeline).</summary>
    public long AckedBy => Volatile.Read(ref _ackedBy);

    /// <summary>Packets counted <c>node-lost</c> when the peer went: sent and not acknowledged, or waiting to be sent.</summary>
    public long LostTo => Volatile.Read(ref _lostTo);

    /// <summary>Packets received from the peer.</summary>
    public long ReceivedFrom => Volatile.Read(ref _receivedFrom);

    /// <summary>The largest count of packets the peer had read from its own ports, as its batches said.</summary>
    public long SourceInSeen => Volatile.Read(ref _sourceInSeen);

    public void AddSent(int packets) => Interlocked.Add(ref _sentTo, packets);

    public void AddAcked(int packets) => Interlocked.Add(ref _ackedBy, packets);

    public void AddLost(long packets) => Interlocked.Add(ref _lostTo, packets);

    public void AddReceived(int packets, long originSourceIn)
    {
        Interlocked.Add(ref _receivedFrom, packets);
        var seen = Volatile.Read(ref _sourceInSeen);
        while (originSourceIn > seen)
        {
            var was = Interlocked.CompareExchange(ref _sourceInSeen, originSourceIn, seen);
            if (was == seen)
            {
                break;
            }

            seen = was;
        }
    }
}
