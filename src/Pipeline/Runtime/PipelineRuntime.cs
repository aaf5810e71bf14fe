using Akka.Actor;
using Netmap.Io;
using Netmap.Io.Memory;
using Netmap.Io.Ports;
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
    private readonly IReadOnlyList<PortNode> _ports;
    private int _stopped;

    private PipelineRuntime(PipelineDefinition definition, NetmapDomain domain, bool ownsDomain, BatchPool pool, List<PortHandle> handles, IReadOnlyList<NodeState> nodes, IActorRef supervisor)
    {
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
    /// True when every source port is finite (a file) and has ended, and every packet it gave is delivered
    /// or dropped: the pipeline has nothing left to do. Always false for a pipeline with an endless source.
    /// </summary>
    public bool InputFinished
    {
        get
        {
            var sources = 0;
            foreach (var port in _ports)
            {
                if (port.Outputs[0].IsPipe || port.Outputs[0].ToDrop)
                {
                    sources++;
                    if (!port.Finished)
                    {
                        return false;
                    }
                }
            }

            return sources > 0 && Pool.Outstanding == 0; // batches and stage-held (delayed) packets
        }
    }

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
    /// Opens the ports and starts the actors. Errors opening a port (a <see cref="NetmapException"/>)
    /// close what was opened and propagate.
    /// </summary>
    public static PipelineRuntime Start(ActorSystem system, PipelineDefinition definition, PipelineRuntimeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(definition);
        options ??= new PipelineRuntimeOptions();
        var memory = definition.Memory;
        var ownsDomain = options.Domain is null;
        var domain = options.Domain ?? new NetmapDomain(new ArenaOptions
        {
            BufferCount = memory.Buffers,
            BufferSize = memory.BufferSize,
            Checked = options.Checked,
        });
        var handles = new List<PortHandle>();
        try
        {
            var arena = domain.DefaultArena;
            var settings = new RuntimeSettings(memory.Window, memory.BatchSize, memory.Headroom, options.PollInterval, options.Checked, options.Time)
            {
                PortNames = [.. definition.Ports.Select(static p => p.Name)],
            };
            var pool = new BatchPool(arena, memory.BatchSize, initialBatches: (definition.Edges.Count * memory.Window) + 4, options.Checked);
            var nodes = new List<NodeState>();
            var register = new RegisterOptions
            {
                Offsets = new OffsetOptions { MaxOffset = (ulong)arena.BufferSize, InitialOffset = (ulong)memory.Headroom },
            };
            for (var i = 0; i < definition.Ports.Count; i++)
            {
                var port = definition.Ports[i];
                // A paced capture keeps time on the pipeline's clock (a fake one in tests).
                var portOptions = port.Pcap is null ? register : register with { Pcap = port.Pcap with { Clock = options.Time } };
                if (port.Spec.Prefix == PortPrefix.Vale && port.Spec.MemId == 0)
                {
                    // A VALE port gets a private region by default; in a pipeline it shares the domain's, so
                    // batches can swap its buffers like any other port's (the switch copies anyway).
                    portOptions = portOptions with { MemId = NetmapDomain.DefaultMemId };
                }

                var handle = domain.Open(port.Spec, portOptions);
                handles.Add(handle);
                if (!ReferenceEquals(handle.Arena, arena))
                {
                    throw new NetmapException(NetmapError.EINVAL, port.Spec.Spec, "all ports of a pipeline must use the domain's default memory region");
                }

                nodes.Add(new PortNode(port, (ushort)i, handle, new NodeCounters(port.Name, NodeRole.Port), pool, settings)
                {
                    Outputs = [new OutputGate(port.Name, "out")],
                });
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

            var supervisor = system.ActorOf(Props.Create(() => new PipelineSupervisor(nodes)), "pipeline-" + Uri.EscapeDataString(definition.Name) + "-" + Guid.NewGuid().ToString("N")[..8]);
            return new PipelineRuntime(definition, domain, ownsDomain, pool, handles, nodes, supervisor);
        }
        catch
        {
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

        _supervisor.Tell(StopSources.Instance);
        var deadline = DateTime.UtcNow + drainTimeout;
        while (Pool.Outstanding > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5).ConfigureAwait(false);
        }

        await _supervisor.Ask<ShutdownDone>(Shutdown.Instance, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        await _supervisor.GracefulStop(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        foreach (var handle in _handles)
        {
            handle.Dispose();
        }

        _meter.Dispose();
        if (_ownsDomain)
        {
            Domain.Dispose();
        }
    }

    /// <summary>Stops with a 5-second drain.</summary>
    public ValueTask DisposeAsync() => new(StopAsync(TimeSpan.FromSeconds(5)));

    private static NodeState Find(List<NodeState> nodes, string name) =>
        nodes.Find(n => n.Name == name) ?? throw new InvalidOperationException($"no node '{name}'");
}
