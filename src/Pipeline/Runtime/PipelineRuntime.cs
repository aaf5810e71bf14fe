using Akka.Actor;
using Akka.Event;
using Netmap.Io;
using Netmap.Io.Memory;
using Netmap.Io.Ports;
using Netmap.Io.Ports.Nic;
using Netmap.Io.Rings;
using Pipeline.Config;
using Pipeline.Metrics;
using Pipeline.Runtime.Messages;

namespace Pipeline.Runtime;

/// <summary>
/// A running pipeline: its ports opened, one actor per port and stage under a supervisor, credit windows
/// on every pipe. <see cref="StopAsync"/> stops the sources, lets what is in flight arrive, frees what
/// cannot, and closes the ports.
/// </summary>
/// <example>
/// <code>
/// var definition = PipelineLoader.Load("pipelines/gateway.yaml", registry);
/// var runtime = PipelineRuntime.Start(actorSystem, definition, new PipelineRuntimeOptions());
/// ...
/// await runtime.StopAsync(TimeSpan.FromSeconds(5));
/// foreach (var c in runtime.Counters) Console.WriteLine($"{c.Name}: {c.InPackets} in, {c.OutPackets} out");
/// </code>
/// </example>
public sealed class PipelineRuntime : IAsyncDisposable
{
    private readonly IActorRef _supervisor;

    internal IActorRef Supervisor => _supervisor;
    private readonly List<PortHandle> _handles;
    private readonly bool _ownsDomain;
    private readonly PipelineMeter _meter;
    private readonly List<PortNode> _ports;
    private readonly IReadOnlyList<PortSyncThread> _threads;
    private readonly PipelineDispatchers _dispatchers;
    private readonly PolledExecutor? _polled;
    private readonly Lock _inputLock = new();
    private InputProbe? _probe;
    private bool _inputFinished;
    private int _stopped;

    private PipelineRuntime(
        PipelineDefinition definition, NetmapDomain domain, bool ownsDomain, BatchPool pool, List<PortHandle> handles, IReadOnlyList<NodeState> nodes,
        IReadOnlyList<PortSyncThread> threads, IActorRef supervisor, (PipelineDispatchers Registry, string? Id) dispatcher)
    {
        _threads = threads;
        _dispatchers = dispatcher.Registry;
        DispatcherId = dispatcher.Id;
        _polled = dispatcher.Id is null ? null : dispatcher.Registry.Executor(dispatcher.Id);
        Definition = definition;
        Domain = domain;
        _ownsDomain = ownsDomain;
        Pool = pool;
        _handles = handles;
        _supervisor = supervisor;
        var counters = new List<NodeCounters>(nodes.Count);
        var ports = new List<PortNode>();
        foreach (var node in nodes)
        {
            counters.Add(node.Counters);
            if (node is PortNode port)
            {
                ports.Add(port);
            }
        }

        Counters = counters;
        _ports = ports;
        _meter = new PipelineMeter(definition.Name, counters);
    }

    /// <summary>What runs.</summary>
    public PipelineDefinition Definition { get; }

    /// <summary>The netmap domain the ports live in.</summary>
    public NetmapDomain Domain { get; }

    /// <summary>The batches of this pipeline.</summary>
    public BatchPool Pool { get; }

    /// <summary>Live counters of every port and stage, ports first, in definition order.</summary>
    public IReadOnlyList<NodeCounters> Counters { get; }

    /// <summary>Packets moved inside their buffer because a sender left less than the configured headroom.</summary>
    public long HeadroomCopies
    {
        get
        {
            long total = 0;
            foreach (var port in _ports)
            {
                total += port.HeadroomCopies;
            }

            return total;
        }
    }

    /// <summary>
    /// True when every source port is finite and has ended, and every packet it gave is delivered or dropped:
    /// the pipeline has nothing left to do. A file ends at its end. A port fed only by the pipeline's own ports
    /// (the other end of a pipe it transmits into, a VALE switch of its own, a monitor of one of its ports)
    /// ends when nothing has moved anywhere while it looked at its rings twice and found them empty. Always
    /// false for a pipeline with an endless source (a pipe end or switch someone else feeds). Once true, stays true.
    /// </summary>
    public bool InputFinished
    {
        get
        {
            lock (_inputLock)
            {
                if (!_inputFinished)
                {
                    _inputFinished = CheckInputFinished();
                }

                return _inputFinished;
            }
        }
    }

    /// <summary>
    /// Errors that stopped a port for good, by port name (a sync that failed on its actor or its dedicated thread:
    /// a capture that cannot be written, a device gone): the port has moved no packet since, and what was sent
    /// to it was dropped and counted as <c>fault</c>.
    /// </summary>
    public IReadOnlyList<(string Port, Exception Error)> PortFaults
    {
        get
        {
            var faults = new List<(string, Exception)>();
            foreach (var port in _ports)
            {
                if (port.Fault is { } error)
                {
                    faults.Add((port.Name, error));
                }
            }

            return faults;
        }
    }

    /// <summary>True once a port has stopped for good (<see cref="PortFaults"/> lists them); cheap enough to poll.</summary>
    public bool AnyPortFaulted
    {
        get
        {
            foreach (var port in _ports)
            {
                if (port.Fault is not null)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>
    /// The id of the Akka dispatcher the pipeline's actors run on (<c>runtime: threads</c>), also the prefix of its
    /// threads' names; null for the actor system's default dispatcher.
    /// </summary>
    internal string? DispatcherId { get; }

    /// <summary>True for a pipeline started with <see cref="PipelineRuntimeOptions.Polled"/>: its actors run in <see cref="Poll"/>.</summary>
    public bool IsPolled => _polled is not null;

    /// <summary>
    /// Runs the polled pipeline's pending work on the calling thread (<see cref="PipelineRuntimeOptions.Polled"/>): every
    /// actor with messages handles them (up to 100 each per turn), and what that sends on runs too, until nothing is
    /// pending or <paramref name="maxRuns"/> mailbox turns have run. Returns the number of turns run (0: nothing was
    /// pending). After <see cref="StopAsync"/> began it runs nothing and returns 0. One thread at a time is the usual
    /// way; several threads polling at once is safe (each actor still handles one message at a time).
    /// </summary>
    /// <exception cref="InvalidOperationException">The pipeline was not started with <see cref="PipelineRuntimeOptions.Polled"/>.</exception>
    public int Poll(int maxRuns = int.MaxValue)
    {
        if (_polled is null)
        {
            throw new InvalidOperationException($"pipeline '{Definition.Name}' was not started with PipelineRuntimeOptions.Polled: its actors run on their own threads");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(maxRuns);
        return _polled.RunPending(maxRuns);
    }

    /// <summary>The threads of the <c>thread: dedicated</c> ports, in port order.</summary>
    internal IReadOnlyList<PortSyncThread> SyncThreads => _threads;

    /// <summary>Errors that ended a source early (a truncated or corrupt file), by port name.</summary>
    public IReadOnlyList<(string Port, NetmapException Error)> InputErrors
    {
        get
        {
            var errors = new List<(string, NetmapException)>();
            foreach (var port in _ports)
            {
                if (port.Handle.Port.InputError is { } error)
                {
                    errors.Add((port.Name, error));
                }
            }

            return errors;
        }
    }

    /// <summary>Completes when <see cref="InputFinished"/> becomes true (never, for an endless source), or when cancelled.</summary>
    public async Task WaitForInputEndAsync(CancellationToken cancellation)
    {
        while (!InputFinished)
        {
            await Task.Delay(2, cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>The counters of the node named <paramref name="name"/>.</summary>
    public NodeCounters CountersOf(string name)
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
    /// True when port <paramref name="name"/> is a finite source (a file) that has given every packet. False while it
    /// reads, for an endless source, and for a port that is not a source. (A pipeline split over several nodes asks
    /// this of its own ports: the ports that carry packets between nodes never end.)
    /// </summary>
    public bool IsSourceFinished(string name)
    {
        foreach (var port in _ports)
        {
            if (port.Name == name)
            {
                return port.Finished;
            }
        }

        throw new KeyNotFoundException($"no port named '{name}'");
    }

    /// <summary>
    /// Port <paramref name="name"/>'s rings changed from outside the pipeline (a cross-node link filled the RX ring of
    /// its pipe end): its actor or thread looks now instead of at its next poll, through the same coalesced wake-up
    /// as the port's own notifications (a pipe end raises one anyway; this covers ports that do not).
    /// </summary>
    internal void Wake(string name)
    {
        foreach (var port in _ports)
        {
            if (port.Name == name)
            {
                port.Wake();
                return;
            }
        }
    }

    /// <summary>
    /// Opens the ports and starts the actors: on the actor system's default dispatcher, or on a pool of threads of
    /// the pipeline's own (<see cref="PipelineRuntimeOptions.Threads"/>, else <c>runtime: threads</c>), with stages
    /// fused or not (<see cref="PipelineRuntimeOptions.FuseStages"/>, else <c>runtime: fuse</c>). Errors opening a port
    /// (a <see cref="NetmapException"/>) close what was opened and propagate.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="PipelineRuntimeOptions.Threads"/> is below 0 or above <see cref="RuntimeDefinition.MaxThreads"/>.</exception>
    public static PipelineRuntime Start(ActorSystem system, PipelineDefinition definition, PipelineRuntimeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(definition);
        options ??= new PipelineRuntimeOptions();
        var threads = options.Threads ?? definition.Runtime.Threads ?? 0;
        ArgumentOutOfRangeException.ThrowIfNegative(threads, nameof(options.Threads));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(threads, RuntimeDefinition.MaxThreads, nameof(options.Threads));
        if (options.Polled)
        {
            if (options.Threads > 0)
            {
                throw new ArgumentException($"a polled pipeline runs on the thread that polls it: Threads must be 0 or null, not {options.Threads}", nameof(options));
            }

            threads = PipelineDispatchers.PolledThreads;
        }

        var memory = definition.Memory;
        var ownsDomain = options.Domain is null;
        var domain = options.Domain ?? DevicePorts.CreateDomain(new ArenaOptions
        {
            BufferCount = memory.Buffers,
            BufferSize = memory.BufferSize,
            Checked = options.Checked,
        });
        var handles = new List<PortHandle>();
        var dispatchers = PipelineDispatchers.Get(system);
        string? dispatcher = null;
        try
        {
            var arena = domain.DefaultArena;
            dispatcher = threads != 0 ? dispatchers.Rent(definition.Name, threads) : null;
            var settings = new RuntimeSettings(memory.Window, memory.BatchSize, memory.Headroom, options.PollInterval, options.Checked, options.Time)
            {
                PortNames = [.. definition.Ports.Select(static p => p.Name)],
                FuseStages = options.FuseStages ?? definition.Runtime.Fuse,
                Dispatcher = dispatcher,
                Prefetch = !options.Polled,
                Budget = options.PacketLimit is { } limit ? new PacketBudget(limit) : null,
            };
            var pool = new BatchPool(arena, memory.BatchSize, initialBatches: (definition.Edges.Count * memory.Window) + 4, options.Checked);
            var nodes = new List<NodeState>();
            var register = new RegisterOptions
            {
                Offsets = new OffsetOptions { MaxOffset = (ulong)arena.BufferSize, InitialOffset = (ulong)memory.Headroom },
            };
            RejectMonitorSinks(definition);
            var opened = new PortHandle[definition.Ports.Count];
            foreach (var monitors in (ReadOnlySpan<bool>)[false, true])
            {
                // Monitors open last: the port a monitor watches must be bound first.
                for (var i = 0; i < definition.Ports.Count; i++)
                {
                    var port = definition.Ports[i];
                    if (PortLinks.IsMonitor(port.Spec) != monitors)
                    {
                        continue;
                    }

                    // A paced capture keeps time on the pipeline's clock (a fake one in tests).
                    var portOptions = port.Pcap is null ? register : register with { Pcap = port.Pcap with { Clock = options.Time } };
                    if (port.Spec.Prefix == PortPrefix.Vale && port.Spec.MemId == 0 && !monitors)
                    {
                        // A VALE port gets a private region by default; in a pipeline it shares the domain's, so
                        // batches can swap its buffers like any other port's (the switch copies anyway).
                        portOptions = portOptions with { MemId = NetmapDomain.DefaultMemId };
                    }

                    var handle = DevicePorts.Open(domain, port, portOptions);
                    handles.Add(handle);
                    opened[i] = handle;
                    if (!ReferenceEquals(handle.Arena, arena))
                    {
                        throw new NetmapException(NetmapError.EINVAL, port.Spec.Spec, "all ports of a pipeline must use the domain's default memory region");
                    }
                }
            }

            var switchPorts = ValeSwitchPorts(domain);
            var syncThreads = new List<PortSyncThread>();
            for (var i = 0; i < definition.Ports.Count; i++)
            {
                var port = definition.Ports[i];
                var node = new PortNode(port, (ushort)i, opened[i], new NodeCounters(port.Name, NodeRole.Port), pool, settings)
                {
                    Outputs = [new OutputGate(port.Name, "out")],
                    FedInternally = PortLinks.IsFedInternally(definition, port, sw => SwitchIsPrivate(definition, switchPorts, sw)),
                };
                if (port.Threading == PortThreading.Dedicated)
                {
                    node.SyncThread = new PortSyncThread(node, Logging.GetLogger(system, $"pipeline {definition.Name}"));
                    syncThreads.Add(node.SyncThread);
                }

                nodes.Add(node);
            }

            foreach (var stage in definition.Stages)
            {
                var gates = stage.Gates;
                var outputs = new OutputGate[gates.Count];
                for (var g = 0; g < outputs.Length; g++)
                {
                    outputs[g] = new OutputGate(stage.Name, gates[g]);
                }

                nodes.Add(new StageNode(stage, new NodeCounters(stage.Name, NodeRole.Stage), pool, settings) { Outputs = outputs });
            }

            for (var e = 0; e < definition.Edges.Count; e++)
            {
                var edge = definition.Edges[e];
                var from = Find(nodes, edge.From);
                var gate = Array.Find(from.Outputs, g => g.Gate == edge.Gate)
                    ?? throw new InvalidOperationException($"{edge.Where}: '{edge.From}' has no gate '{edge.Gate}'");
                gate.Edge = e;
                gate.TargetName = edge.To;
                gate.ToDrop = edge.ToKind == NodeKind.Drop;
                gate.Credits = memory.Window;
            }

            CountDeviceDrops(nodes, definition);
            var supervisor = system.ActorOf(Props.Create(() => new PipelineSupervisor(nodes)), "pipeline-" + Uri.EscapeDataString(definition.Name) + "-" + Guid.NewGuid().ToString("N")[..8]);
            return new PipelineRuntime(definition, domain, ownsDomain, pool, handles, nodes, syncThreads, supervisor, (dispatchers, dispatcher));
        }
        catch
        {
            if (dispatcher is not null)
            {
                dispatchers.Return(dispatcher); // no actor was created on it
            }

            foreach (var handle in handles)
            {
                handle.Dispose();
            }

            if (ownsDomain)
            {
                domain.Dispose();
            }

            throw;
        }
    }

    // A device port the pipeline sends to counts the frames it or its device refused (longer than the MTU) as tx-error drops.
    // A device port that feeds the pipeline counts the frames its device had no room for (its RX queues' missed
    // count: netmap's NIC RX ring full, AF_PACKET's ring) as overflow drops of that port, and a capture the frames it
    // skipped as too big for any ring as too-big drops: they were lost before the pipeline saw them, and nothing may
    // be lost without a count. Read when the counters are (a getsockopt per queue), not per packet. A port the
    // pipeline only sends on does not read its RX ring: its device's drops are not the pipeline's.
    private static void CountDeviceDrops(List<NodeState> nodes, PipelineDefinition definition)
    {
        foreach (var node in nodes)
        {
            if (node is PortNode { Handle.Port: NicPort sink } target && definition.Edges.Any(e => e.ToKind == NodeKind.Port && e.To == target.Name))
            {
                // What the pipeline sends there and the port or its device refuses (longer than the MTU, a runt):
                // tx-error drops of the port, not packets out.
                target.Counters.CountDeviceRefused(sink.TxRefused);
            }

            if (node is PortNode { Handle.Port: Netmap.Io.Files.PcapSourcePort file } source)
            {
                // A capture's frames that no ring could hold (more fragments than a packet may have) are skipped
                // by the port as it reads: too-big drops of that port, whether or not the pipeline reads it.
                source.Counters.CountDropsFrom(() => file.OversizeDrops, Pipeline.Stages.DropReason.TooBig);
                continue;
            }

            if (node is not PortNode { Handle.Port: NicPort nic } port || port.Outputs.Length == 0 || port.Outputs[0].Edge < 0)
            {
                continue;
            }

            var queues = new List<int>();
            foreach (var ring in port.Handle.RxRings)
            {
                if (!ring.IsHostRing)
                {
                    queues.Add(ring.RingId);
                }
            }

            // Frames the device received too long to hand over (a GRO/GSO super-frame, with offloads left on).
            port.Counters.CountDropsFrom(nic.RxSkipped, Pipeline.Stages.DropReason.TooBig);
            if (queues.Count > 0)
            {
                var backend = nic.Backend;
                port.Counters.CountDropsFrom(() =>
                {
                    long missed = 0;
                    foreach (var queue in queues)
                    {
                        missed += backend.RxMissed(queue);
                    }

                    return missed;
                });
            }
        }
    }

    /// <summary>
    /// Stops the pipeline: sources stop reading, in-flight batches get up to <paramref name="drainTimeout"/>
    /// to reach a sink; what cannot (a full TX ring) is freed and counted as shutdown drops. Then the actors
    /// stop and the ports close. Every buffer is back in the arena afterwards.
    /// </summary>
    public async Task StopAsync(TimeSpan drainTimeout)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        _polled?.Release(); // nobody need poll from here on: the stop's work runs on the thread pool
        _supervisor.Tell(StopSources.Instance);
        var deadline = DateTime.UtcNow + drainTimeout;
        if (_threads.Count > 0)
        {
            // A dedicated port may be in the middle of a pass: wait until it has sent its last batch, so the
            // drain below sees it.
            var reading = new Task[_threads.Count];
            for (var i = 0; i < reading.Length; i++)
            {
                _threads[i].StopReading();
                reading[i] = _threads[i].ReadingStopped;
            }

            try
            {
                await Task.WhenAll(reading).WaitAsync(ThreadStopTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // A thread stuck in a sync: the stop below reports it.
            }
        }

        await SourcesStoppedAsync().ConfigureAwait(false);
        while (Pool.Outstanding > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5).ConfigureAwait(false);
        }

        // The port threads end before the actors free what is left: what reaches a port after its thread
        // ended is freed by the sender (a shutdown drop), and the rings are quiet when the handles close.
        var stuck = new List<string>();
        var stuckHandles = new HashSet<PortHandle>();
        foreach (var port in _ports)
        {
            if (port.SyncThread is { } thread && !await Task.Run(() => thread.Stop(ThreadStopTimeout)).ConfigureAwait(false))
            {
                stuck.Add(thread.Name);
                stuckHandles.Add(port.Handle);
            }
        }

        // Each node frees what it holds. A batch sent before its sender's Shutdown may reach the next node after
        // that node's own (and wait in its TX queue or stage queue, or in its mailbox): another round frees it
        // there, until no batch is out. Sources no longer read, so each round leaves fewer (at most one per hop).
        for (var round = 0; round <= _ports.Count + Definition.Stages.Count; round++)
        {
            await _supervisor.Ask<ShutdownDone>(Shutdown.Instance, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            if (Pool.Outstanding == 0)
            {
                break;
            }
        }

        await _supervisor.GracefulStop(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        if (DispatcherId is not null)
        {
            // Every actor on it has stopped: its pool's threads end after the dispatcher's shutdown timeout, unless
            // another pipeline takes it first. (Had the stop above failed, it stays lent: never shared with live actors.)
            _dispatchers.Return(DispatcherId);
        }

        foreach (var handle in _handles)
        {
            if (!stuckHandles.Contains(handle))
            {
                handle.Dispose(); // a port whose thread is stuck in a sync stays open under it
            }
        }

        _meter.Dispose();
        if (stuck.Count > 0)
        {
            throw new TimeoutException($"the sync thread(s) {string.Join(", ", stuck)} did not end within {ThreadStopTimeout.TotalSeconds:0} s; their ports were left open");
        }

        if (_ownsDomain)
        {
            Domain.Dispose();
        }
    }

    /// <summary>Stops with a 5-second drain.</summary>
    public ValueTask DisposeAsync() => new(StopAsync(TimeSpan.FromSeconds(5)));

    /// <summary>How long a port thread gets to end (it ends within one pass; this only bounds a sync that hangs).</summary>
    private static readonly TimeSpan ThreadStopTimeout = TimeSpan.FromSeconds(30);

    // Waits until every actor-driven port has handled StopSources: until then one may still read a batch (a credit or
    // wake queued before it), and a drain that saw no batch out would stop the pipeline under that batch. Identify is
    // answered in mailbox order: the supervisor's answer comes after it told the ports, a port's after it stopped reading.
    private async Task SourcesStoppedAsync()
    {
        var ask = TimeSpan.FromSeconds(30);
        try
        {
            await _supervisor.Ask<ActorIdentity>(new Identify(null), ask).ConfigureAwait(false);
            var ports = new List<Task>(_ports.Count);
            foreach (var port in _ports)
            {
                if (port.SyncThread is null)
                {
                    ports.Add(port.Self.Ask<ActorIdentity>(new Identify(null), ask));
                }
            }

            await Task.WhenAll(ports).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            // A port actor that does not answer: the shutdown rounds below still free whatever it sends late.
        }
    }

    // Caller holds _inputLock.
    private bool CheckInputFinished()
    {
        var sources = 0;
        var fedInternally = 0;
        foreach (var port in _ports)
        {
            if (port.Outputs[0].IsPipe || port.Outputs[0].ToDrop)
            {
                sources++;
                if (port.Finished)
                {
                    continue;
                }

                if (!port.FedInternally)
                {
                    _probe = null;
                    return false; // a file not yet at its end, or a source fed from outside (endless)
                }

                fedInternally++;
            }
        }

        if (sources == 0 || Pool.Outstanding != 0) // batches and stage-held (delayed) packets
        {
            _probe = null;
            return false;
        }

        if (fedInternally == 0)
        {
            return true;
        }

        // Ports fed by the pipeline's own ports: finished when nothing moved (no batch rented, none out) while
        // each of them looked at its rings twice and found nothing. Twice: the first look may have started
        // before the probe, when a sender's last packets were still on their way into the ring.
        var rents = Pool.Rents;
        if (_probe is { } probe && probe.Rents == rents)
        {
            var idle = true;
            for (var i = 0; i < _ports.Count && idle; i++)
            {
                idle = !probe.Watched[i] || _ports[i].IdlePasses >= probe.IdlePasses[i] + 2;
            }

            if (!idle)
            {
                WakeWatched(probe);
            }

            return idle;
        }

        var watched = new bool[_ports.Count];
        var passes = new long[_ports.Count];
        for (var i = 0; i < _ports.Count; i++)
        {
            var port = _ports[i];
            watched[i] = (port.Outputs[0].IsPipe || port.Outputs[0].ToDrop) && !port.Finished;
            passes[i] = port.IdlePasses;
        }

        _probe = new InputProbe(rents, watched, passes);
        WakeWatched(_probe);
        return false;
    }

    // The looks the probe waits for: a port that notifies has only a slow timer, and nothing else would make it look
    // at empty rings. Coalesced, so a caller polling InputFinished in a loop sends at most one wake-up per port at a time.
    private void WakeWatched(InputProbe probe)
    {
        for (var i = 0; i < _ports.Count; i++)
        {
            if (probe.Watched[i])
            {
                _ports[i].Wake();
            }
        }
    }

    /// <summary>The state of the pipeline when it was last seen at rest: batches rented so far and each source's idle passes.</summary>
    private sealed record InputProbe(long Rents, bool[] Watched, long[] IdlePasses);

    private static void RejectMonitorSinks(PipelineDefinition definition)
    {
        foreach (var edge in definition.Edges)
        {
            if (edge.ToKind != NodeKind.Port)
            {
                continue;
            }

            foreach (var port in definition.Ports)
            {
                if (port.Name == edge.To && PortLinks.IsMonitor(port.Spec))
                {
                    var where = edge.Where == SourceSpan.None ? string.Empty : $" ({edge.Where})";
                    throw new NetmapException(NetmapError.EINVAL, port.Spec.Spec, $"port '{port.Name}' is a monitor: it only receives, so a pipe cannot send to it{where}");
                }
            }
        }
    }

    // The number of ports on each VALE switch of the domain, by switch name.
    private static Dictionary<string, int> ValeSwitchPorts(NetmapDomain domain)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var vale in domain.ListVale())
        {
            counts[vale.Name] = vale.Ports.Count;
        }

        return counts;
    }

    // True when every port on the switch is one of the pipeline's: nothing else can send into it.
    private static bool SwitchIsPrivate(PipelineDefinition definition, Dictionary<string, int> switchPorts, string name)
    {
        var ours = 0;
        foreach (var port in definition.Ports)
        {
            if (PortLinks.ValeSwitchOf(port.Spec) == name)
            {
                ours++;
            }
        }

        return switchPorts.TryGetValue(name, out var all) && all == ours;
    }

    private static NodeState Find(List<NodeState> nodes, string name) =>
        nodes.Find(n => n.Name == name) ?? throw new InvalidOperationException($"no node '{name}'");
}
