using Akka.Actor;
using Pipeline.Cluster.Wire;

namespace Pipeline.Cluster.Counters;

/// <summary>
/// Builds the cluster-wide table from the nodes' reports. For a node that left or died it adds what was lost with
/// it, from its last report and the other nodes' ledgers:
/// <c>lost = read by its ports + acknowledged to it by others − received from it by others − delivered by its ports − dropped by it</c>
/// (each as last known), so that <c>in = out + drops</c> holds over the whole cluster.
/// </summary>
internal static class ClusterViewBuilder
{
    /// <summary>A node of the view: its last report and where it stands.</summary>
    public sealed record Entry(NodeReport Report, ClusterNodeStatus Status);

    public static ClusterView Build(IReadOnlyList<Entry> nodes)
    {
        var result = new List<ClusterNodeCounters>(nodes.Count);
        foreach (var node in nodes)
        {
            var report = node.Report;
            var lostInside = node.Status is ClusterNodeStatus.Lost or ClusterNodeStatus.Left ? LostInside(report, nodes) : 0;
            result.Add(new ClusterNodeCounters(NodeName(report), report.Role, report.Address, node.Status, report.Rows, lostInside));
        }

        return new ClusterView(result);
    }

    /// <summary><c>role@host:port</c>.</summary>
    public static string NodeName(NodeReport report) => NodeName(report.Role, report.Address);

    /// <summary><c>role@host:port</c> of an Akka address string.</summary>
    public static string NodeName(string role, string address)
    {
        var parsed = Address.Parse(address);
        return $"{role}@{parsed.Host}:{parsed.Port}";
    }

    private static long LostInside(NodeReport gone, IReadOnlyList<Entry> nodes)
    {
        var sourceIn = gone.SourceIn;
        long acked = 0;
        long received = 0;
        foreach (var other in nodes)
        {
            if (ReferenceEquals(other.Report, gone))
            {
                continue;
            }

            foreach (var row in other.Report.Ledger)
            {
                if (row.PeerUid == gone.Uid && row.PeerAddress == gone.Address)
                {
                    acked += row.AckedBy;
                    received += row.ReceivedFrom;
                    sourceIn = Math.Max(sourceIn, row.SourceInSeen);
                }
            }
        }

        long drops = 0;
        foreach (var row in gone.Rows)
        {
            drops += row.TotalDrops;
        }

        return sourceIn + acked - received - gone.SinkOut - drops;
    }
}
