using Akka.Actor;
using Pipeline.Config;
using Pipeline.Metrics;
using Pipeline.Runtime.Messages;

namespace Pipeline.Runtime;

/// <summary>
/// A node's runtime state that outlives its actor: wiring, credits, queued batches, counters. A stage's
/// actor is restarted after a fault with a fresh stage instance; this stays.
/// </summary>
/// <remarks>Thread: touched by the node's actor only (a dedicated port's thread instead), except the counters (read anywhere).</remarks>
internal class NodeState
{
    protected NodeState(string name, NodeCounters counters, BatchPool pool, RuntimeSettings settings)
    {
        Name = name;
        Counters = counters;
        Pool = pool;
        Settings = settings;
    }

    public string Name { get; }

    public NodeCounters Counters { get; }

    public BatchPool Pool { get; }

    public RuntimeSettings Settings { get; }

    public IActorRef Self { get; set; } = ActorRefs.Nobody;

    /// <summary>Output gates by gate index.</summary>
    public OutputGate[] Outputs { get; set; } = [];

    /// <summary>
    /// For each input edge, the node that sends on it and the credit it gets back per batch (one cached instance), or,
    /// for a sender in the same actor (a fused island), its gate, whose credits go back without a message.
    /// </summary>
    private readonly Dictionary<int, (IActorRef Node, Credit Credit, OutputGate? Local)> _upstream = [];

    /// <summary>True when every connected pipe of this node has at least one credit.</summary>
    public bool AllOutputsHaveCredit
    {
        get
        {
            foreach (var gate in Outputs)
            {
                if (gate.IsPipe && gate.Credits <= 0)
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>Adds a credit to the gate of its edge; false when no gate of this node feeds that edge.</summary>
    public bool AddCredit(Credit credit)
    {
        foreach (var gate in Outputs)
        {
            if (gate.Edge == credit.Edge)
            {
                gate.Credits += credit.Count;
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Wires input <paramref name="edge"/>: <paramref name="node"/> sends on it and gets its credits back, by message,
    /// or straight into <paramref name="localGate"/> when the sender runs in the same actor.
    /// </summary>
    public void SetUpstream(int edge, IActorRef node, OutputGate? localGate = null) => _upstream[edge] = (node, new Credit(edge, 1), localGate);

    /// <summary>True when batches arrive on <paramref name="edge"/> for this node.</summary>
    public bool HasInput(int edge) => _upstream.ContainsKey(edge);

    /// <summary>Gives the sender on <paramref name="edge"/> one batch of credit back (the pipe's cached message: no allocation).</summary>
    public void ReturnCredit(int edge, IActorRef self)
    {
        if (_upstream.TryGetValue(edge, out var upstream))
        {
            if (upstream.Local is { } gate)
            {
                gate.Credits++; // same actor: no message
            }
            else
            {
                upstream.Node.Tell(upstream.Credit, self);
            }
        }
    }

    /// <summary>Frees a batch's packets as drops for <paramref name="reason"/> and returns it to the pool.</summary>
    public void DropBatch(PacketBatch batch, Stages.DropReason reason)
    {
        var (packets, _) = BatchStats.Measure(batch.Slots);
        Counters.AddDrops(reason, packets);
        Pool.Return(batch);
    }
}

/// <summary>Settings every node reads.</summary>
internal sealed record RuntimeSettings(int Window, int BatchSize, int Headroom, TimeSpan PollInterval, bool Checked, TimeProvider Time)
{
    /// <summary>The pipeline's port names by index (<see cref="PacketMeta.InputPort"/>).</summary>
    public string[] PortNames { get; init; } = [];

    /// <summary>Stages joined by pipes share one actor (<see cref="PipelineRuntimeOptions.FuseStages"/>, <c>runtime: fuse</c>).</summary>
    public bool FuseStages { get; init; }

    /// <summary>
    /// RX pumps prefetch each packet's first line as they take it: worth it when another core wrote the packet (it
    /// cuts the first stage's misses), a cost when the same thread did (a polled pipeline fed by its poller).
    /// </summary>
    public bool Prefetch { get; init; } = true;

    /// <summary>
    /// The id of the Akka dispatcher the pipeline's actors run on (<see cref="PipelineRuntimeOptions.Threads"/>,
    /// <c>runtime: threads</c>; see <see cref="PipelineDispatchers"/>), or null for the system's default.
    /// </summary>
    public string? Dispatcher { get; init; }

    /// <summary>What the source ports may still take together (<see cref="PipelineRuntimeOptions.PacketLimit"/>), or null for no limit.</summary>
    public PacketBudget? Budget { get; init; }
}

/// <summary>Runtime state of a stage node.</summary>
internal sealed class StageNode : NodeState
{
    public StageNode(StageDefinition definition, NodeCounters counters, BatchPool pool, RuntimeSettings settings)
        : base(definition.Name, counters, pool, settings)
    {
        Definition = definition;
    }

    public StageDefinition Definition { get; }

    /// <summary>Batches received and not yet processed (their outputs had no credit); each carries its pipe's edge.</summary>
    public Queue<PacketBatch> Pending { get; } = new();

    /// <summary>The batch the stage is processing (the one it held if it throws), until it has sent or returned it.</summary>
    public PacketBatch? InFlight { get; set; }

    /// <summary>The input edge of the batch being processed, until its credit went back; -1 otherwise.</summary>
    public int InFlightEdge { get; set; } = -1;

    /// <summary>Slots of the packets the stage delayed, in the order delayed; they survive a restart of the stage.</summary>
    public Queue<DelayedPacket> Delayed { get; } = new();

    /// <summary>Packets in <see cref="Delayed"/>.</summary>
    public int DelayedPackets { get; set; }

    /// <summary>Bytes in <see cref="Delayed"/>.</summary>
    public long DelayedBytes { get; set; }
}

/// <summary>
/// One slot of a packet held by the runtime for a stage until <see cref="ReleaseAt"/> (a
/// <see cref="TimeProvider"/> timestamp); a multi-slot packet is consecutive entries, MOREFRAG on all but
/// the last.
/// </summary>
internal readonly record struct DelayedPacket(Netmap.Io.Rings.Slot Slot, PacketMeta Meta, ushort Gate, long ReleaseAt);

/// <summary>Runtime state of a port node.</summary>
internal sealed class PortNode : NodeState
{
    public PortNode(PortDefinition definition, ushort index, Netmap.Io.Ports.PortHandle handle, NodeCounters counters, BatchPool pool, RuntimeSettings settings)
        : base(definition.Name, counters, pool, settings)
    {
        Definition = definition;
        Index = index;
        Handle = handle;
    }

    public PortDefinition Definition { get; }

    /// <summary>The port's index in the pipeline (written into each received packet's metadata).</summary>
    public ushort Index { get; }

    public Netmap.Io.Ports.PortHandle Handle { get; }

    /// <summary>True while the source side reads its RX rings.</summary>
    public bool Reading { get; set; } = true;

    private int _finished;

    /// <summary>True once a finite source has ended and its RX rings are empty: it will never send again.</summary>
    public bool Finished
    {
        get => Volatile.Read(ref _finished) != 0;
        set => Volatile.Write(ref _finished, value ? 1 : 0);
    }

    /// <summary>Batches waiting for room in the TX ring (each carries its pipe's edge); the first may be partly placed.</summary>
    public Queue<PacketBatch> TxQueue { get; } = new();

    /// <summary>Packets of the first queued batch already placed in the TX ring.</summary>
    public int TxPosition { get; set; }

    /// <summary>Packets whose data was moved to make headroom (the sender gave too little).</summary>
    public long HeadroomCopies { get; set; }

    /// <summary>
    /// True when everything the port can receive comes from the pipeline's own ports (the other end of a pipe
    /// it transmits into, a VALE switch of its own, a monitor of one of its ports): it runs dry once the rest
    /// of the pipeline has.
    /// </summary>
    public bool FedInternally { get; init; }

    /// <summary>The thread that runs the port (<c>thread: dedicated</c>), or null when its actor does.</summary>
    public PortSyncThread? SyncThread { get; set; }

    private Exception? _fault;

    /// <summary>
    /// The error that stopped the port for good (a sync that failed: a file that cannot be written, a device
    /// gone), or null. From then on the port moves no packet; what is sent to it is dropped as <c>fault</c>.
    /// </summary>
    public Exception? Fault => Volatile.Read(ref _fault);

    /// <summary>Records <paramref name="error"/> as the port's fault; false when it already had one (the first one stays).</summary>
    public bool TrySetFault(Exception error) => Interlocked.CompareExchange(ref _fault, error, null) is null;

    private PortWaker? _waker;

    /// <summary>What wakes the port's actor (set by the actor when it starts), or null before, and for a dedicated port.</summary>
    public PortWaker? Waker
    {
        get => Volatile.Read(ref _waker);
        set => Volatile.Write(ref _waker, value); // release: another thread's Wake sees it fully built
    }

    /// <summary>
    /// Makes the port's driver look at its rings now (coalesced; any thread): the actor through its
    /// <see cref="Waker"/>, a dedicated thread through its event. Before the actor started: its Start does the look.
    /// </summary>
    public void Wake()
    {
        if (SyncThread is { } thread)
        {
            thread.Wake();
        }
        else
        {
            Waker?.Wake();
        }
    }

    private long _idlePasses;

    /// <summary>Looks at the RX rings that found them empty (after a sync), so far.</summary>
    public long IdlePasses => Interlocked.Read(ref _idlePasses);

    /// <summary>Counts a look at the RX rings that found nothing (the port's driver, once per pass).</summary>
    public void NoteIdlePass() => Interlocked.Increment(ref _idlePasses);
}
