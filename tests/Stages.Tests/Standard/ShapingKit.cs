using Pipeline.Stages;

namespace Stages.Tests.Standard;

/// <summary>Helpers for the shaping and inspection stages' tests: contexts on a given clock, verdicts, a YAML pipeline.</summary>
internal static class ShapingKit
{
    private static readonly StageRegistry Registry = BuiltInStages.CreateRegistry();

    /// <summary>A context for the built-in stage <paramref name="type"/> on the bench's arena, whose clock is <paramref name="time"/>.</summary>
    public static StageContext Context(StageBench bench, string type, TimeProvider time, bool[]? connectedGates = null)
    {
        Assert.True(Registry.TryGet(type, out var descriptor), $"no built-in stage '{type}'");
        return new StageContext(type, descriptor.Gates, bench.Arena, bench.Pool.Capacity, time) { ConnectedGates = connectedGates };
    }

    /// <summary>Packet <paramref name="index"/> was held back (<see cref="StageContext.Delay"/>) for gate <c>out</c>.</summary>
    public static bool IsDelayed(StageContext context, int index) =>
        context.Verdicts(index + 1)[index] == StageContext.DelayVerdict && context.DelayGate(index) == GateId.Out.Index;

    /// <summary>
    /// The release time <see cref="StageContext.Delay"/> records for a packet held <paramref name="ticks"/> past
    /// <paramref name="now"/> on a <c>FakeTimeProvider</c>: it goes through <see cref="TimeSpan.TotalSeconds"/> (a double),
    /// which can land a tick early.
    /// </summary>
    public static long ReleaseAt(long now, long ticks) => now + ticks; // FakeTimeProvider counts in TimeSpan ticks: exact

    /// <summary>Packet <paramref name="index"/> was dropped (for any reason).</summary>
    public static bool IsDropped(StageContext context, int index) => context.Verdicts(index + 1)[index] == StageContext.DropVerdict;

    /// <summary>A one-stage pipeline (stage <c>s</c> between a null port and the drop sink) with <paramref name="stage"/> on line 5.</summary>
    public static string Pipeline(string stage, params string[] morePipes)
    {
        var pipes = string.Concat(morePipes.Select(p => $"\n  - {p}"));
        return $$"""
            name: t
            ports:
              a: { spec: "null" }
            stages:
              s: {{stage}}
            pipes:
              - a -> s -> drop{{pipes}}
            """;
    }

    /// <summary>Bytes <paramref name="oneBatch"/> allocates per call once warmed up (<see cref="SteadyState.BytesPerBatch"/>).</summary>
    public static long AllocatedInSteadyState(Action oneBatch) => SteadyState.BytesPerBatch(oneBatch);
}
