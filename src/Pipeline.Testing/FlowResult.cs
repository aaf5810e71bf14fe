using System.Globalization;
using System.Text;
using Pipeline.Metrics;
using Pipeline.Stages;

namespace Pipeline.Testing;

/// <summary>
/// What a pipeline run produced: the packets that left through every sink port, in order, and the final
/// counters of every port and stage. <see cref="ToText"/> renders it for a snapshot.
/// </summary>
public sealed class FlowResult
{
    internal FlowResult(string pipeline, IReadOnlyList<KeyValuePair<string, IReadOnlyList<byte[]>>> sinks, IReadOnlyList<NodeCountersSnapshot> counters)
    {
        Pipeline = pipeline;
        SinkList = sinks;
        var map = new Dictionary<string, IReadOnlyList<byte[]>>(StringComparer.Ordinal);
        foreach (var (name, packets) in sinks)
        {
            map[name] = packets;
        }

        Sinks = map;
        Counters = counters;
    }

    /// <summary>The pipeline's name.</summary>
    public string Pipeline { get; }

    /// <summary>Packets per sink port, in the order they left.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<byte[]>> Sinks { get; }

    /// <summary>Final counters, ports first, in file order.</summary>
    public IReadOnlyList<NodeCountersSnapshot> Counters { get; }

    private IReadOnlyList<KeyValuePair<string, IReadOnlyList<byte[]>>> SinkList { get; }

    /// <summary>The counters of node <paramref name="name"/>.</summary>
    public NodeCountersSnapshot CountersOf(string name)
    {
        foreach (var counters in Counters)
        {
            if (counters.Name == name)
            {
                return counters;
            }
        }

        throw new KeyNotFoundException($"no port or stage named '{name}'");
    }

    /// <summary>
    /// The stable text form (Click's clicktest style): per sink, one line of decoded headers per packet
    /// followed by its hex dump; then the counters, one line per node, with drops by reason.
    /// </summary>
    public string ToText()
    {
        var text = new StringBuilder();
        text.Append("pipeline ").Append(Pipeline).Append('\n');
        foreach (var (name, packets) in SinkList)
        {
            text.Append('\n').Append("sink ").Append(name).Append(": ").Append(packets.Count).Append(packets.Count == 1 ? " packet" : " packets").Append('\n');
            for (var i = 0; i < packets.Count; i++)
            {
                var packet = packets[i];
                text.Append(name).Append(" #").Append(i + 1).Append(' ').Append(packet.Length).Append(" B: ")
                    .Append(PacketDecoder.Describe(packet)).Append('\n');
                text.Append(HexDump.Format(packet));
            }
        }

        text.Append("\ncounters\n");
        var width = 0;
        foreach (var c in Counters)
        {
            width = Math.Max(width, c.Name.Length);
        }

        foreach (var c in Counters)
        {
            text.Append("  ").Append(c.Name.PadRight(width)).Append(c.Role == NodeRole.Port ? "  port " : "  stage")
                .Append("  in ").Append(c.InPackets.ToString(CultureInfo.InvariantCulture)).Append(" / ").Append(c.InBytes.ToString(CultureInfo.InvariantCulture)).Append(" B")
                .Append("  out ").Append(c.OutPackets.ToString(CultureInfo.InvariantCulture)).Append(" / ").Append(c.OutBytes.ToString(CultureInfo.InvariantCulture)).Append(" B")
                .Append("  drops ").Append(Drops(c)).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The same as <see cref="ToText"/>.</summary>
    public override string ToString() => ToText();

    private static string Drops(NodeCountersSnapshot counters)
    {
        if (counters.Drops.Count == 0)
        {
            return "-";
        }

        var parts = new List<string>();
        for (var r = 0; r < DropReasons.Count; r++)
        {
            if (counters.Drops.TryGetValue((DropReason)r, out var n))
            {
                parts.Add($"{DropReasons.Name((DropReason)r)}={n}");
            }
        }

        return string.Join(", ", parts);
    }
}
