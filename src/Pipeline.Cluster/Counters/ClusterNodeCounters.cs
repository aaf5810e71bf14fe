using Pipeline.Stages;

namespace Pipeline.Cluster.Counters;

/// <summary>One node's part of the cluster-wide table.</summary>
/// <param name="Node">The node as the table shows it: <c>role@host:port</c>.</param>
/// <param name="Role">Its role.</param>
/// <param name="Address">Its Akka address.</param>
/// <param name="Status">Running, lost, ...</param>
/// <param name="Rows">Its ports, stages and links, as it last reported them.</param>
/// <param name="LostInside">
/// For a node that left or died: the packets it had taken (acknowledged, or read from its own ports) and never
/// passed on, dropped or delivered as far as its last report and the other nodes' ledgers tell: counted
/// <c>node-lost</c>. Zero for a live node.
/// </param>
public sealed record ClusterNodeCounters(string Node, string Role, string Address, ClusterNodeStatus Status, IReadOnlyList<ClusterCounterRow> Rows, long LostInside)
{
    /// <summary>Packets its ports read (entered the pipeline here).</summary>
    public long SourceIn
    {
        get
        {
            long total = 0;
            foreach (var row in Rows)
            {
                total += row.Kind == ClusterRowKind.Port ? row.InPackets : 0;
            }

            return total;
        }
    }

    /// <summary>Packets its ports transmitted (left the pipeline here).</summary>
    public long SinkOut
    {
        get
        {
            long total = 0;
            foreach (var row in Rows)
            {
                total += row.Kind == ClusterRowKind.Port ? row.OutPackets : 0;
            }

            return total;
        }
    }

    /// <summary>Its drops by reason, <see cref="LostInside"/> included as <c>node-lost</c>.</summary>
    public IReadOnlyDictionary<DropReason, long> Drops
    {
        get
        {
            var drops = new Dictionary<DropReason, long>();
            foreach (var row in Rows)
            {
                foreach (var (reason, n) in row.Drops)
                {
                    drops[reason] = drops.GetValueOrDefault(reason) + n;
                }
            }

            if (LostInside != 0)
            {
                drops[DropReason.NodeLost] = drops.GetValueOrDefault(DropReason.NodeLost) + LostInside;
            }

            return drops;
        }
    }
}
