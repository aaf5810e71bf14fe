using Pipeline.Runtime;
using Pipeline.Stages;

namespace Stages.Tests;

/// <summary>
/// Helpers for the forwarding stages' tests (l2-switch, router, lb), whose gates come from their options: contexts
/// with those gates, the pipeline's port names and a clock; input ports; copies; a one-stage YAML pipeline.
/// </summary>
internal static class ForwardingKit
{
    private static readonly StageRegistry Registry = BuiltInStages.CreateRegistry();

    /// <summary>
    /// A context for the built-in stage <paramref name="type"/> created with <paramref name="options"/>: the gates the
    /// options name, the pipeline's <paramref name="ports"/> (null: none known), <paramref name="time"/>.
    /// </summary>
    public static StageContext Context(
        StageBench bench, string type, object options, bool[]? connectedGates = null, string[]? ports = null, TimeProvider? time = null)
    {
        Assert.True(Registry.TryGet(type, out var descriptor), $"no built-in stage '{type}'");
        Assert.True(descriptor.GatesFromOptions);
        return new StageContext(type, descriptor.GatesFor(options), bench.Arena, bench.Pool.Capacity, time)
        {
            ConnectedGates = connectedGates,
            PortNames = ports,
        };
    }

    /// <summary>Appends <paramref name="frame"/> as received on pipeline port <paramref name="inputPort"/>; returns its index.</summary>
    public static int AddFrom(StageBench bench, ushort inputPort, ReadOnlySpan<byte> frame, Netmap.Io.Rings.SlotFlags flags = default)
    {
        var i = bench.Add(frame, flags: flags);
        bench.Batch.Open().Meta[i].InputPort = inputPort;
        return i;
    }

    /// <summary>The packet's metadata.</summary>
    public static PacketMeta Meta(StageBench bench, int index) => bench.Batch.Open().Meta[index];

    /// <summary>The gate names packet <paramref name="index"/> is copied to, in the order asked.</summary>
    public static List<string> CopiesOf(StageContext context, int index)
    {
        var gates = new List<string>();
        foreach (var (packet, gate) in context.Copies)
        {
            if (packet == index)
            {
                gates.Add(context.Gates[gate]);
            }
        }

        return gates;
    }

    /// <summary>The gate packet <paramref name="index"/> goes to (its verdict), by name; fails when it was dropped.</summary>
    public static string GateOf(StageContext context, int index)
    {
        var verdict = context.Verdicts(index + 1)[index];
        Assert.True(verdict != StageContext.DropVerdict, $"packet {index} was dropped as {DropReasons.Name(context.ReasonOf(index))}");
        return context.Gates[verdict];
    }

    /// <summary>Every gate the packet leaves by: its copies' and its own, sorted.</summary>
    public static List<string> AllGatesOf(StageContext context, int index)
    {
        var gates = CopiesOf(context, index);
        gates.Add(GateOf(context, index));
        gates.Sort(StringComparer.Ordinal);
        return gates;
    }

    /// <summary>A one-stage pipeline: stage <c>s</c> (on line 7) fed by ports a, b and c, then <paramref name="pipes"/>.</summary>
    public static string OneStage(string stage, params string[] pipes)
    {
        var lines = string.Concat(pipes.Select(p => $"\n  - {p}"));
        return $$"""
            name: t
            ports:
              a: { spec: "null" }
              b: { spec: "null" }
              c: { spec: "null" }
            stages:
              s: {{stage}}
            pipes:
              - a -> s
              - b -> s
              - c -> s{{lines}}
            """;
    }

    /// <summary>Bytes <paramref name="oneBatch"/> allocates per call once warmed up (<see cref="SteadyState.BytesPerBatch"/>).</summary>
    public static long AllocatedInSteadyState(Action oneBatch) => SteadyState.BytesPerBatch(oneBatch);
}
