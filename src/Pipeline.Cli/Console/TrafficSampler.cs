using Pipeline.Config;
using Pipeline.Metrics;

namespace Pipeline.Cli.Console;

/// <summary>
/// Turns successive counter snapshots into <see cref="TrafficRow"/>s with rates over the time between them.
/// Which side of a port matters comes from the pipes: a port a pipe starts from is read (<c>rx</c>), one a
/// pipe ends at is written (<c>tx</c>).
/// </summary>
internal sealed class TrafficSampler
{
    private readonly HashSet<string> _sources = new(StringComparer.Ordinal);
    private readonly HashSet<string> _sinks = new(StringComparer.Ordinal);
    private Dictionary<string, NodeCountersSnapshot> _previous = new(StringComparer.Ordinal);
    private TimeSpan _previousAt;

    /// <summary>A sampler for <paramref name="definition"/>'s nodes.</summary>
    public TrafficSampler(PipelineDefinition definition)
    {
        foreach (var edge in definition.Edges)
        {
            if (edge.FromKind == NodeKind.Port)
            {
                _sources.Add(edge.From);
            }

            if (edge.ToKind == NodeKind.Port)
            {
                _sinks.Add(edge.To);
            }
        }
    }

    /// <summary>The rows at <paramref name="at"/> (time since start), rates against the previous call.</summary>
    public IReadOnlyList<TrafficRow> Sample(IReadOnlyList<NodeCountersSnapshot> counters, TimeSpan at)
    {
        var seconds = (at - _previousAt).TotalSeconds;
        var rows = new List<TrafficRow>(counters.Count + 1);
        foreach (var node in counters)
        {
            _previous.TryGetValue(node.Name, out var before);
            if (node.Role == NodeRole.Stage)
            {
                rows.Add(Row(node.Name, "stage", node.InPackets, node.InBytes, before?.InPackets, before?.InBytes, node.TotalDrops));
                continue;
            }

            var source = _sources.Contains(node.Name);
            var sink = _sinks.Contains(node.Name);
            if (source || !sink)
            {
                rows.Add(Row(node.Name, "rx", node.InPackets, node.InBytes, before?.InPackets, before?.InBytes, node.TotalDrops));
            }

            if (sink)
            {
                rows.Add(Row(node.Name, "tx", node.OutPackets, node.OutBytes, before?.OutPackets, before?.OutBytes, source ? 0 : node.TotalDrops));
            }
        }

        _previous = counters.ToDictionary(c => c.Name, StringComparer.Ordinal);
        _previousAt = at;
        return rows;

        TrafficRow Row(string name, string role, long packets, long bytes, long? packetsBefore, long? bytesBefore, long drops) =>
            new(name, role, packets, bytes,
                seconds > 0 ? (packets - (packetsBefore ?? 0)) / seconds : 0,
                seconds > 0 ? (bytes - (bytesBefore ?? 0)) * 8 / seconds : 0,
                drops);
    }
}
