using Netmap.Io;
using Pipeline.Config;
using Pipeline.Stages;

namespace Pipeline.Runtime;

/// <summary>
/// How a pipeline runs, beyond its definition. <see cref="FuseStages"/> and <see cref="Threads"/> override the
/// definition's <c>runtime:</c> section when set; left null, the file decides.
/// </summary>
public sealed record PipelineRuntimeOptions
{
    /// <summary>
    /// The netmap domain to open the ports in (share one with other code to reach the pipeline through pipes).
    /// Null creates one from the definition's <c>memory:</c> section, owned and disposed by the runtime, whose
    /// <c>netmap:IF</c> and <c>tap:NAME</c> ports are the machine's interfaces and TAPs (<c>UseLinuxInterfaces</c>);
    /// a domain given here opens them only if its owner opted in.
    /// <b>Default:</b> null.
    /// </summary>
    public NetmapDomain? Domain { get; init; }

    /// <summary>Checked mode: batch ownership and (for a domain the runtime creates) buffer ownership are checked. <b>Default:</b> false.</summary>
    public bool Checked { get; init; }

    /// <summary>How long an idle port waits before looking at its rings again. <b>Default:</b> 1 ms.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>The clock stages read (rates, delays); a fake one makes time-based tests exact. <b>Default:</b> <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The stage types for in-memory definitions (files name theirs at load time). <b>Default:</b> null.</summary>
    public StageRegistry? Registry { get; init; }

    /// <summary>
    /// Fuses stages into islands: stages joined by pipes (not through a port) run in one actor, a batch going from one
    /// to the next by a method call and a queue instead of a message, a credit and a thread hop (Akka.Streams' fusing).
    /// Ports stay actors or threads of their own. A stage that throws is restarted alone (a fresh instance; the batch
    /// it held counted as <c>fault</c> drops), as an unfused one is by its supervisor. An island runs on one thread at a
    /// time, so stages that could run in parallel on two cores no longer do.
    /// <b>Default:</b> null: the definition's <c>runtime: fuse</c> (<see cref="RuntimeDefinition.Fuse"/>), false when
    /// absent. True or false here wins over the file.
    /// </summary>
    public bool? FuseStages { get; init; }

    /// <summary>
    /// The threads the pipeline's actors run on: 1 to <see cref="RuntimeDefinition.MaxThreads"/> gives the pipeline a
    /// pool of that many threads of its own (an Akka ForkJoin dispatcher registered for it, its threads named
    /// <c>pipeline-NAME_1</c>, ...; they end shortly after <see cref="PipelineRuntime.StopAsync"/>); 0 runs them on the
    /// actor system's default dispatcher. Ports with <c>thread: dedicated</c> keep their own threads.
    /// <b>Default:</b> null: the definition's <c>runtime: threads</c> (<see cref="RuntimeDefinition.Threads"/>), the
    /// default dispatcher when absent. A value here wins over the file.
    /// </summary>
    public int? Threads { get; init; }

    /// <summary>
    /// Runs the pipeline's actors only inside <see cref="PipelineRuntime.Poll"/>, on the thread that calls it: run to
    /// completion, as a DPDK lcore runs its rx-process-tx loop, or netmap's sync loop on a thread the application owns.
    /// An application that writes into the pipeline's input port and polls on the same thread keeps every packet on
    /// one core, with no thread hand-off at all. Work queued while nobody polls waits (the pipeline does nothing on its
    /// own); <see cref="PipelineRuntime.StopAsync"/> hands it to the thread pool, so a stop needs no poll. Ports with
    /// <c>thread: dedicated</c> keep their own threads. Not with <see cref="Threads"/> above 0.
    /// <b>Default:</b> false.
    /// </summary>
    public bool Polled { get; init; }

    /// <summary>
    /// The most packets the source ports take, all together (<c>pipeline run --packets N</c>): once they have, they
    /// read no more, and what arrives after stays in their rings (a file's rest is not read). Counted at the ports
    /// as they take a batch, so the limit is exact. <b>Default:</b> null, no limit.
    /// </summary>
    public long? PacketLimit { get; init; }
}
