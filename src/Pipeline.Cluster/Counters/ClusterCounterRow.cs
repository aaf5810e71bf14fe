using Pipeline.Stages;

namespace Pipeline.Cluster.Counters;

/// <summary>What a row of the cluster-wide table counts.</summary>
public enum ClusterRowKind
{
    /// <summary>A port of the pipeline: "in" entered the pipeline there, "out" left it.</summary>
    Port,
    /// <summary>A stage.</summary>
    Stage,
    /// <summary>One end of a pipe between nodes (a sending or a receiving port the cluster added): "in" and "out" move packets between nodes, they do not enter or leave the pipeline.</summary>
    Link,
}

/// <summary>The counters of one port, stage or cross-node link on one node, as that node last reported them.</summary>
/// <param name="Name">The port or stage name; a link is named after its pipe, <c>from.gate-&gt;to</c>.</param>
/// <param name="Kind">Port, stage or link.</param>
/// <param name="InPackets">Packets in.</param>
/// <param name="InBytes">Bytes in.</param>
/// <param name="OutPackets">Packets out.</param>
/// <param name="OutBytes">Bytes out.</param>
/// <param name="Drops">Packets dropped, by reason (only reasons with drops).</param>
/// <param name="Faults">Times a stage threw and was restarted.</param>
public sealed record ClusterCounterRow(
    string Name,
    ClusterRowKind Kind,
    long InPackets,
    long InBytes,
    long OutPackets,
    long OutBytes,
    IReadOnlyDictionary<DropReason, long> Drops,
    long Faults)
{
    /// <summary>All drops.</summary>
    public long TotalDrops
    {
        get
        {
            long total = 0;
            foreach (var n in Drops.Values)
            {
                total += n;
            }

            return total;
        }
    }
}
