using Pipeline.Stages;

namespace Pipeline.Cluster.Counters;

/// <summary>
/// The counters of every node of a cluster pipeline as one node sees them (the cluster-wide table): live nodes as
/// they last reported, and nodes that left or died with what they last reported and what was lost with them.
/// </summary>
/// <param name="Nodes">Every node this node has heard of, this node first, then by address.</param>
public sealed record ClusterView(IReadOnlyList<ClusterNodeCounters> Nodes)
{
    /// <summary>An empty view (before the first report).</summary>
    public static ClusterView Empty { get; } = new([]);

    /// <summary>Packets that entered the pipeline at a port, on any node.</summary>
    public long SourceIn => Sum(static n => n.SourceIn);

    /// <summary>Packets that left the pipeline at a port, on any node.</summary>
    public long SinkOut => Sum(static n => n.SinkOut);

    /// <summary>Drops by reason over every node, <c>node-lost</c> included.</summary>
    public IReadOnlyDictionary<DropReason, long> Drops
    {
        get
        {
            var drops = new Dictionary<DropReason, long>();
            foreach (var node in Nodes)
            {
                foreach (var (reason, n) in node.Drops)
                {
                    drops[reason] = drops.GetValueOrDefault(reason) + n;
                }
            }

            return drops;
        }
    }

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

    /// <summary>Every packet that entered is accounted for: <c>in = out + drops</c> (true once nothing is in flight).</summary>
    public bool Balanced => SourceIn == SinkOut + TotalDrops;

    /// <summary>The node named <paramref name="node"/> (<c>role@host:port</c>).</summary>
    public ClusterNodeCounters this[string node] =>
        Nodes.FirstOrDefault(n => n.Node == node) ?? throw new KeyNotFoundException($"no node '{node}' in the view (nodes: {string.Join(", ", Nodes.Select(n => n.Node))})");

    private long Sum(Func<ClusterNodeCounters, long> of)
    {
        long total = 0;
        foreach (var node in Nodes)
        {
            total += of(node);
        }

        return total;
    }
}
