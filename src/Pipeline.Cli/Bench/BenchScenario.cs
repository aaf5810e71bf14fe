using System.Globalization;

namespace Pipeline.Cli.Bench;

/// <summary>What a scenario measures.</summary>
internal enum ScenarioKind
{
    /// <summary>A Netmap.Io pipe driven by one thread (pipebench.c's model).</summary>
    Pipe,
    /// <summary>Two ports of a VALE switch driven by one thread (pipebench.c's 64-byte-copy model).</summary>
    Vale,
    /// <summary>A chain of stages through the actor runtime, between a generator and a sink.</summary>
    Pipeline,
    /// <summary>Forwarding between two veth pairs through AF_PACKET ports.</summary>
    AfPacket,
}

/// <summary>A named bench scenario: <c>pipe</c>, <c>vale</c>, <c>pipeline-N</c> or <c>afpacket</c>.</summary>
/// <param name="Kind">What it measures.</param>
/// <param name="Stages">For <see cref="ScenarioKind.Pipeline"/>: the number of stages, 1 to <see cref="MaxStages"/>.</param>
internal sealed record BenchScenario(ScenarioKind Kind, int Stages = 0)
{
    /// <summary>The longest stage chain <c>pipeline-N</c> may ask for.</summary>
    public const int MaxStages = 16;

    /// <summary>The names <see cref="TryParse"/> accepts, for help and error messages.</summary>
    public const string Names = "pipe, vale, pipeline-N (N = 1 to 16 stages; pipeline-3 and pipeline-8 are the named ones), afpacket";

    /// <summary>The pipe.</summary>
    public static readonly BenchScenario Pipe = new(ScenarioKind.Pipe);

    /// <summary>The VALE switch.</summary>
    public static readonly BenchScenario Vale = new(ScenarioKind.Vale);

    /// <summary>Generator, vlan-push, vlan-pop, counter, sink.</summary>
    public static readonly BenchScenario Pipeline3 = Pipeline(3);

    /// <summary>Eight stages.</summary>
    public static readonly BenchScenario Pipeline8 = Pipeline(8);

    /// <summary>AF_PACKET over veth pairs.</summary>
    public static readonly BenchScenario AfPacket = new(ScenarioKind.AfPacket);

    /// <summary>What <c>pipeline bench</c> runs without scenario arguments, in this order.</summary>
    public static IReadOnlyList<BenchScenario> Defaults { get; } = [Pipe, Vale, Pipeline3, Pipeline8, AfPacket];

    /// <summary>The name on the command line and in reports.</summary>
    public string Name => Kind switch
    {
        ScenarioKind.Pipe => "pipe",
        ScenarioKind.Vale => "vale",
        ScenarioKind.Pipeline => string.Create(CultureInfo.InvariantCulture, $"pipeline-{Stages}"),
        _ => "afpacket",
    };

    /// <summary>The frame sizes run when none is given: 64 and 1500 bytes (VALE: 60, netmap's minimum frame, and 1500).</summary>
    public IReadOnlyList<int> DefaultSizes => Kind == ScenarioKind.Vale ? [60, 1500] : [64, 1500];

    /// <summary>
    /// The batch run when none is given: 32 packets per sync for the one-thread loops (pipebench's and testpmd's
    /// burst), 256 packets per batch for the pipelines, afpacket's forwarder included (the runtime's <c>batch-size</c> default).
    /// </summary>
    public int DefaultBatch => Kind is ScenarioKind.Pipeline or ScenarioKind.AfPacket ? 256 : 32;

    /// <summary>One line on what runs.</summary>
    public string Description => Kind switch
    {
        ScenarioKind.Pipe => "netmap:bench{0 -> netmap:bench}0, zero-copy slot swap; one thread writes 14 header bytes per packet, syncs both ends and reads the headers back (pipebench.c -t 1)",
        ScenarioKind.Vale => "valebench:a -> valebench:b, a learned unicast MAC; one thread writes 14 header bytes, the switch copies each frame, the thread reads the headers (pipebench.c -t 1 -x copy)",
        ScenarioKind.Pipeline => string.Create(CultureInfo.InvariantCulture, $"generator -> {StageChain} -> sink through the actor runtime; a driver thread feeds and drains two pipes"),
        _ => "g0 -> veth -> f0 -> pipeline -> f1 -> veth -> s0, each pair in network namespaces of its own; a driver thread offers frames on g0 through AF_PACKET and counts what reaches s0 (bench/veth-bench.sh's topology)",
    };

    /// <summary>The stage types of a <c>pipeline-N</c> chain: vlan-push/vlan-pop pairs, and a counter last when N is odd.</summary>
    public IReadOnlyList<string> StageTypes
    {
        get
        {
            var types = new string[Stages];
            for (var i = 0; i < Stages; i++)
            {
                types[i] = i == Stages - 1 && Stages % 2 == 1 ? "counter" : i % 2 == 0 ? "vlan-push" : "vlan-pop";
            }

            return types;
        }
    }

    /// <summary>Why the scenario cannot run here, or null when it can (afpacket needs Linux, root and iproute2).</summary>
    public string? Unavailable => Kind == ScenarioKind.AfPacket && VethTopology.UnavailableHere() is { } why
        ? "not available here: " + why
        : null;

    private string StageChain => string.Join(" -> ", StageTypes);

    /// <summary>The <c>pipeline-N</c> scenario.</summary>
    public static BenchScenario Pipeline(int stages)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stages, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(stages, MaxStages);
        return new BenchScenario(ScenarioKind.Pipeline, stages);
    }

    /// <summary>Reads a scenario name (case-insensitive).</summary>
    public static bool TryParse(string text, out BenchScenario scenario)
    {
        ArgumentNullException.ThrowIfNull(text);
        var name = text.Trim().ToLowerInvariant();
        scenario = Pipe;
        switch (name)
        {
            case "pipe":
                return true;
            case "vale":
                scenario = Vale;
                return true;
            case "afpacket":
                scenario = AfPacket;
                return true;
        }

        const string prefix = "pipeline-";
        if (name.StartsWith(prefix, StringComparison.Ordinal)
            && int.TryParse(name.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var stages)
            && stages is >= 1 and <= MaxStages)
        {
            scenario = Pipeline(stages);
            return true;
        }

        return false;
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
