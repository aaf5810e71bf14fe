namespace Pipeline.Cli.Bench;

/// <summary>One measurement: a scenario at one frame size and batch.</summary>
/// <param name="Scenario">What runs.</param>
/// <param name="Size">Frame bytes, without the FCS (a frame larger than a buffer spans several slots, MOREFRAG).</param>
/// <param name="Batch">Packets per sync for the one-thread loops; the runtime's <c>batch-size</c> for pipelines.</param>
/// <param name="Ports">How a pipeline's ports are driven (always <see cref="BenchPorts.Actor"/> for the other scenarios).</param>
internal sealed record BenchCase(BenchScenario Scenario, int Size, int Batch, BenchPorts Ports = BenchPorts.Actor)
{
    /// <summary>A pipeline's <c>runtime:</c> section (always the default for the other scenarios).</summary>
    public BenchRuntime Runtime { get; init; } = BenchRuntime.Default;

    /// <summary>
    /// This case with its pipeline's ports driven as <paramref name="ports"/>, or as the scenario drives them by default
    /// when null (pipeline-N: <see cref="BenchPorts.Actor"/>; afpacket's forwarder: <see cref="BenchPorts.Dedicated"/>, as
    /// bench/veth-bench.sh runs it); unchanged for the other scenarios.
    /// </summary>
    public BenchCase WithPorts(BenchPorts? ports) => Scenario.Kind switch
    {
        ScenarioKind.Pipeline => this with { Ports = ports ?? BenchPorts.Actor },
        ScenarioKind.AfPacket => this with { Ports = ports ?? BenchPorts.Dedicated },
        _ => this,
    };

    /// <summary>This case with <paramref name="runtime"/> as its pipeline's <c>runtime:</c> section; unchanged for the other scenarios.</summary>
    public BenchCase WithRuntime(BenchRuntime runtime) => Scenario.Kind == ScenarioKind.Pipeline ? this with { Runtime = runtime } : this;

    /// <summary>The smallest frame: Ethernet, IPv4 and UDP headers.</summary>
    public const int MinSize = FrameTemplate.HeaderLength;

    /// <summary>The largest frame (a 16-bit slot chain length).</summary>
    public const int MaxSize = FrameTemplate.MaxLength;

    /// <summary>The largest batch.</summary>
    public const int MaxBatch = 512;
}

/// <summary>How long a case warms up and how long it is measured.</summary>
/// <param name="Warmup">Run before measuring: JIT tiering, pools and caches settle.</param>
/// <param name="Duration">The measured window.</param>
internal sealed record BenchTiming(TimeSpan Warmup, TimeSpan Duration)
{
    /// <summary>One second of warm-up, two measured.</summary>
    public static BenchTiming Default { get; } = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));

    /// <summary>
    /// <c>--quick</c>: a look, not a figure to quote. The warm-up stays a whole second: the pipelines' actor code
    /// reaches its optimized tier only after ~0.5–1 s (with 0.2 or 0.5 s, pipeline-3 measured 2–3 Mpps instead of 11).
    /// </summary>
    public static BenchTiming Quick { get; } = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(0.5));
}
