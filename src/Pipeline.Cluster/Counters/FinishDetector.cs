using Pipeline.Cluster.Wire;

namespace Pipeline.Cluster.Counters;

/// <summary>
/// Decides, from the live nodes' reports, that the pipeline's input has ended everywhere and every packet has
/// arrived: each node's sources are finite and ended and it is idle, at least one node has sources, and for every
/// pair of live nodes what one sent the other received and acknowledged. Reports are taken at different moments,
/// so the same state must be seen twice, with a newer report from every node in between (counters only grow: a
/// packet that moved in between would have changed them).
/// </summary>
internal sealed class FinishDetector
{
    private string? _candidate;
    private Dictionary<string, long> _sequences = [];

    /// <summary>True once finished (it stays true).</summary>
    public bool Finished { get; private set; }

    /// <summary>Looks at the latest reports of the live nodes (this node's included).</summary>
    public bool Update(IReadOnlyList<NodeReport> live)
    {
        if (Finished)
        {
            return true;
        }

        var state = Signature(live);
        if (state is null)
        {
            _candidate = null;
            return false;
        }

        if (state != _candidate)
        {
            _candidate = state;
            _sequences = live.ToDictionary(Key, r => r.Sequence);
            return false;
        }

        foreach (var report in live)
        {
            if (!_sequences.TryGetValue(Key(report), out var seen) || report.Sequence <= seen)
            {
                return false; // wait for a newer report from every node
            }
        }

        Finished = true;
        return true;
    }

    private static string Key(NodeReport report) => $"{report.Address}#{report.Uid}";

    // The state of the counters when everything looks finished, or null when something still runs.
    private static string? Signature(IReadOnlyList<NodeReport> live)
    {
        var anySources = false;
        var byKey = new Dictionary<string, NodeReport>(StringComparer.Ordinal);
        foreach (var report in live)
        {
            if (!report.Started || !report.Idle || !report.SourcesFinished)
            {
                return null;
            }

            anySources |= report.HasSources;
            byKey[Key(report)] = report;
        }

        if (!anySources)
        {
            return null;
        }

        var signature = new System.Text.StringBuilder();
        foreach (var report in live.OrderBy(Key, StringComparer.Ordinal))
        {
            signature.Append(Key(report)).Append(':').Append(report.SourceIn).Append('/').Append(report.SinkOut);
            foreach (var row in report.Ledger)
            {
                var peer = $"{row.PeerAddress}#{row.PeerUid}";
                if (!byKey.TryGetValue(peer, out var other))
                {
                    continue; // a node that is gone: its packets are accounted as lost
                }

                var received = other.Ledger.FirstOrDefault(r => r.PeerAddress == report.Address && r.PeerUid == report.Uid)?.ReceivedFrom ?? 0;
                if (row.SentTo != received || row.AckedBy != row.SentTo)
                {
                    return null; // packets on the wire, or acknowledgements
                }

                signature.Append('|').Append(peer).Append('=').Append(row.SentTo);
            }

            foreach (var row in report.Rows)
            {
                signature.Append(';').Append(row.InPackets).Append(',').Append(row.OutPackets).Append(',').Append(row.TotalDrops);
            }

            signature.Append('\n');
        }

        return signature.ToString();
    }
}
