using Netmap.Io;
using Pipeline.Config;

namespace Pipeline.Cluster;

/// <summary>
/// One node of a pipeline that runs across several nodes: which pipeline, which of its roles this node plays,
/// where it listens and whom it joins, and the knobs of its cross-node pipes. Null means "keep the default".
/// </summary>
public sealed class ClusterPipelineOptions
{
    private readonly TaskCompletionSource<ClusterPipeline> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The pipeline (the same file on every node); it must have a <c>nodes:</c> section.</summary>
    public required PipelineDefinition Definition { get; init; }

    /// <summary>The role this node plays: one of the definition's <c>nodes:</c>.</summary>
    public required string Role { get; init; }

    /// <summary>
    /// Nodes to join, as <c>HOST:PORT</c>; empty to start a new cluster with this node as its first member (the
    /// others then give this node's address). <b>Default:</b> empty.
    /// </summary>
    public IReadOnlyList<string> Seeds { get; init; } = [];

    /// <summary>The address this node listens on (and tells the others, unless <see cref="PublicHostName"/>). <b>Default:</b> 127.0.0.1.</summary>
    public string HostName { get; init; } = "127.0.0.1";

    /// <summary>The port this node listens on; 0 picks a free one (see <see cref="ClusterPipeline.SelfAddress"/>). <b>Default:</b> 0.</summary>
    public int Port { get; init; }

    /// <summary>The host name the other nodes reach this node by, when it differs from <see cref="HostName"/>. <b>Default:</b> null.</summary>
    public string? PublicHostName { get; init; }

    /// <summary>The actor system's name: the same on every node of a cluster. <b>Default:</b> pipeline.</summary>
    public string SystemName { get; init; } = "pipeline";

    /// <summary>Checked mode: batch and buffer ownership verified on this node. <b>Default:</b> false.</summary>
    public bool Checked { get; init; }

    /// <summary>A netmap domain to run in (shared with the host); null makes one from the definition's <c>memory:</c>. <b>Default:</b> null.</summary>
    public NetmapDomain? Domain { get; init; }

    /// <summary>Batches a cross-node pipe may have unacknowledged per target node (its credit window). <b>Default:</b> 8.</summary>
    public int LinkWindow { get; init; } = 8;

    /// <summary>Slots of each cross-node pipe's rings on each side (packets buffered before the wire). <b>Default:</b> 512.</summary>
    public int LinkSlots { get; init; } = 512;

    /// <summary>The largest batch message on the wire, header included; also the largest packet a link carries. <b>Default:</b> 64 KiB.</summary>
    public int MaxMessageBytes { get; init; } = 64 * 1024;

    /// <summary>How long an idle link waits before looking at its pipe again. <b>Default:</b> 1 ms.</summary>
    public TimeSpan LinkPollInterval { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// How long after the last packet moved a link keeps polling its pipe through its mailbox instead of a timer (Akka's
    /// timers tick every 10 ms, far slower than a busy pipe refills); 0 always waits for the timer. <b>Default:</b> 2 ms.
    /// </summary>
    public TimeSpan LinkHotPoll { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>How often a node sends its counters and state to the others. <b>Default:</b> 250 ms.</summary>
    public TimeSpan ReportInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long a node may go silent before it is unreachable (Akka's acceptable heartbeat pause); null keeps Akka's. <b>Default:</b> null.</summary>
    public TimeSpan? FailureTimeout { get; init; }

    /// <summary>How long an unreachable node stays before it is downed and its in-flight packets are counted lost (the split-brain resolver's stable-after); null keeps 20 s. <b>Default:</b> null.</summary>
    public TimeSpan? DownAfter { get; init; }

    /// <summary>How long in-flight packets get to arrive when the node stops. <b>Default:</b> 5 s.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The clock of this node's pipeline: paced captures (<c>pace: recorded</c>) and stage timers read it; a fake one lets
    /// a test say how fast the input goes. <b>Default:</b> <see cref="TimeProvider.System"/>.
    /// </summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>HOCON appended after the pipeline's own cluster settings, to tune Akka itself. <b>Default:</b> null.</summary>
    public string? ExtraHocon { get; init; }

    /// <summary>Completes with the node's <see cref="ClusterPipeline"/> once the actor system has created it (it may still wait for the other nodes).</summary>
    public Task<ClusterPipeline> Created => _started.Task;

    internal void SetCreated(ClusterPipeline pipeline) => _started.TrySetResult(pipeline);

    internal void SetFailed(Exception error) => _started.TrySetException(error);
}
