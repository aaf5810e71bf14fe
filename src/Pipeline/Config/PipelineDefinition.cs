using Netmap.Io.Files;
using Netmap.Io.Ports;
using Pipeline.Stages;

namespace Pipeline.Config;

/// <summary>
/// A validated pipeline: what <c>PipelineLoader</c> makes of a YAML file, and what the runtime runs.
/// Every name it references exists and every value is in range.
/// </summary>
public sealed record PipelineDefinition
{
    /// <summary>The pipeline's name.</summary>
    public required string Name { get; init; }

    /// <summary>The memory region and batching.</summary>
    public MemoryDefinition Memory { get; init; } = new();

    /// <summary>How the actors run: stage fusion and a thread pool of the pipeline's own (the <c>runtime:</c> section).</summary>
    public RuntimeDefinition Runtime { get; init; } = new();

    /// <summary>Ports, in file order.</summary>
    public required IReadOnlyList<PortDefinition> Ports { get; init; }

    /// <summary>Stages, in file order.</summary>
    public required IReadOnlyList<StageDefinition> Stages { get; init; }

    /// <summary>Every gate-to-input connection the <c>pipes:</c> lines make.</summary>
    public required IReadOnlyList<EdgeDefinition> Edges { get; init; }

    /// <summary>The file it came from, or <c>&lt;memory&gt;</c>.</summary>
    public string File { get; init; } = SourceSpan.None.File;

    /// <summary>
    /// The node roles of a pipeline that runs across several nodes (the <c>nodes:</c> section), in file order;
    /// empty for a pipeline that runs in one process. Ports and stages without <c>node:</c> run on the first.
    /// </summary>
    public IReadOnlyList<string> Nodes { get; init; } = [];
}

/// <summary>The <c>memory:</c> section.</summary>
public sealed record MemoryDefinition
{
    /// <summary>Buffers in the arena. <b>Default:</b> 16384.</summary>
    public int Buffers { get; init; } = 16384;

    /// <summary>Bytes per buffer. <b>Default:</b> 2048.</summary>
    public int BufferSize { get; init; } = 2048;

    /// <summary>Bytes kept free in front of every received packet for pushed headers. <b>Default:</b> 128.</summary>
    public int Headroom { get; init; } = 128;

    /// <summary>Packets per batch. <b>Default:</b> 256.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Batches in flight per pipe (the credit window). <b>Default:</b> 4.</summary>
    public int Window { get; init; } = 4;
}

/// <summary>
/// The <c>runtime:</c> section: how the pipeline's actors run. <c>PipelineRuntimeOptions.FuseStages</c> and
/// <c>PipelineRuntimeOptions.Threads</c>, when set, win over it.
/// </summary>
public sealed record RuntimeDefinition
{
    /// <summary>The largest <see cref="Threads"/>.</summary>
    public const int MaxThreads = 64;

    /// <summary>
    /// <c>fuse: true</c>: stages joined by pipes (not through a port) run in one actor, a batch going from one to the
    /// next by a method call instead of a message and a thread hop. That removes the hop between stages, but the
    /// fused stages run one at a time on one thread, so stages that could have run on two cores no longer do.
    /// <b>Default:</b> false.
    /// </summary>
    public bool Fuse { get; init; }

    /// <summary>
    /// <c>threads: N</c> (1 to <see cref="MaxThreads"/>): the pipeline's actors (stages, and ports without
    /// <c>thread: dedicated</c>) run on a pool of N threads of its own, named after the pipeline, instead of Akka's
    /// default dispatcher (the .NET thread pool). <c>threads: 1</c> keeps a packet on one core from port to port, with
    /// no hand-off between cores, but caps the pipeline at one core. Ports with <c>thread: dedicated</c> keep their
    /// own threads. <b>Default:</b> null (Akka's default dispatcher).
    /// </summary>
    public int? Threads { get; init; }
}

/// <summary>A port: a netmap-style name and its place in the file.</summary>
public sealed record PortDefinition(string Name, PortSpec Spec, SourceSpan Where)
{
    /// <summary>What the port does with received packets while its pipe has no credit. <b>Default:</b> wait.</summary>
    public PortOverflow Overflow { get; init; } = PortOverflow.Wait;

    /// <summary>
    /// How a <c>pcap:</c> source replays its file (the YAML keys <c>pace</c>, <c>loop</c>, <c>speed</c>), passed to
    /// the open as <see cref="RegisterOptions.Pcap"/>; null when none of the keys is given (fast, once, speed 1).
    /// Only <c>pcap:</c> ports have them; <c>speed</c> matters only with <see cref="PcapPace.Recorded"/>.
    /// </summary>
    public PcapOptions? Pcap { get; init; }

    /// <summary>What runs the port's rings: its actor, or a thread of its own (the YAML key <c>thread</c>). <b>Default:</b> actor.</summary>
    public PortThreading Threading { get; init; } = PortThreading.Actor;

    /// <summary>How a dedicated port thread waits between passes (the YAML key <c>sync</c>). <b>Default:</b> sleep.</summary>
    public PortSyncMode Sync { get; init; } = PortSyncMode.Sleep;

    /// <summary>The node role it runs on (the YAML key <c>node</c>); null for the first of <see cref="PipelineDefinition.Nodes"/>. Every node of the role opens it.</summary>
    public string? Node { get; init; }

    /// <summary>
    /// The Linux network namespace its device is looked up (or its TAP created) in (the YAML key <c>netns</c>): an
    /// <c>ip netns</c> name or the absolute path of a namespace file; null for the process's own. Only <c>netmap:IF</c>
    /// and <c>tap:NAME</c> ports have one.
    /// </summary>
    public string? Netns { get; init; }
}

/// <summary>What a source port does when the pipeline cannot take more.</summary>
public enum PortOverflow
{
    /// <summary>Leave the packets in the RX ring: the sender (a pipe's peer, a file reader) waits. Nothing is lost.</summary>
    Wait,
    /// <summary>Release them from the ring and count them as overflow drops at the port, as a NIC's full ring does.</summary>
    Drop,
}

/// <summary>A stage: its type, its bound options, its place in the file.</summary>
public sealed record StageDefinition(string Name, StageDescriptor Descriptor, object? Options, SourceSpan Where)
{
    /// <summary>Its output gates, the default first: the type's, or those its options name (<see cref="IStageGates"/>).</summary>
    public IReadOnlyList<string> Gates => Descriptor.GatesFor(Options);

    /// <summary>The node role it runs on (the YAML key <c>node</c>); null for the first of <see cref="PipelineDefinition.Nodes"/>.</summary>
    public string? Node { get; init; }

    /// <summary>
    /// How many nodes of its role the stage is spread over before the pipeline starts (the YAML key <c>instances</c>:
    /// N, or <c>per-node</c> for 1). Every node of the role runs one instance, and packets are spread over the live
    /// instances by flow, so a node that joins later adds one. <b>Default:</b> 1.
    /// </summary>
    public int Instances { get; init; } = 1;
}

/// <summary>What kind of node an edge endpoint is.</summary>
public enum NodeKind
{
    /// <summary>A port: its RX as a source, its TX as a sink.</summary>
    Port,
    /// <summary>A stage.</summary>
    Stage,
    /// <summary>The <c>drop</c> sink: packets end there, counted as discarded.</summary>
    Drop,
}

/// <summary>A connection from one node's output gate to another node's input.</summary>
/// <param name="From">The source node's name.</param>
/// <param name="FromKind">Port or stage.</param>
/// <param name="Gate">The output gate's name (<c>out</c> for ports).</param>
/// <param name="To">The destination node's name (<c>drop</c> for the drop sink).</param>
/// <param name="ToKind">Port, stage or drop.</param>
/// <param name="Where">The <c>pipes:</c> line that made it.</param>
public sealed record EdgeDefinition(string From, NodeKind FromKind, string Gate, string To, NodeKind ToKind, SourceSpan Where);
