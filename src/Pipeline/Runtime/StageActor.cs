using Akka.Actor;
using Akka.Event;
using Netmap.Io.Rings;
using Pipeline.Runtime.Messages;
using Pipeline.Stages;

namespace Pipeline.Runtime;

/// <summary>
/// Hosts one stage, or the stages of a fused island: claims each batch it receives, runs the stage on it,
/// scatters the packets to the gates' pipes by verdict, frees the dropped ones at once, and returns a credit
/// upstream. A stage processes a batch only when every connected output pipe has credit; otherwise the batch
/// waits in its queue (bounded by the upstream window), so memory stays bounded under overload. In an island a
/// pipe between two of its stages is a queue: a send puts the batch in the next stage's queue and the same drain
/// runs it, and its credit goes back without a message.
/// </summary>
/// <remarks>
/// Faults: when a stage throws, <see cref="PreRestart"/> frees the batch it held (fault drops), returns its
/// credit, and the supervisor restarts the actor with a fresh stage instance; queue, credits and counters live in
/// <see cref="StageNode"/> and survive. In an island the actor catches the exception itself and does the same for
/// the stage that threw alone (<see cref="OnStageFault"/>), so the other stages keep their instances.
/// </remarks>
internal sealed class StageActor : UntypedActor, IWithTimers
{
    private readonly StageRunner[] _runners;
    private readonly bool _fused;
    private readonly Dictionary<int, StageRunner> _byEdge = [];
    private readonly uint[] _freed;
    private readonly uint[] _copyBuffers = new uint[Ring.MaxFragments];

    public ITimerScheduler Timers { get; set; } = null!;

    public StageActor(StageNode node)
        : this([node])
    {
    }

    /// <summary>An island: <paramref name="nodes"/> in topological order (upstream first), one actor for all.</summary>
    public StageActor(StageNode[] nodes)
    {
        _runners = Array.ConvertAll(nodes, static n => new StageRunner(n));
        _fused = nodes.Length > 1;
        _freed = new uint[nodes[0].Pool.Capacity];
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case PacketBatch batch:
                RunnerFor(batch.Edge).Node.Pending.Enqueue(batch);
                Drain();
                break;
            case Credit credit:
                foreach (var runner in _runners)
                {
                    if (runner.Node.AddCredit(credit))
                    {
                        break;
                    }
                }

                Drain();
                break;
            case Poll or Start or StopSources:
                Drain();
                break;
            case Shutdown:
                foreach (var runner in _runners)
                {
                    ShutdownStage(runner.Node);
                }

                Sender.Tell(new ShutdownDone(_runners[0].Node.Name));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    protected override void PreRestart(Exception reason, object message)
    {
        // A stage threw while holding InFlight: its packets are freed and counted, its pipe gets its credit back
        // (also when the batch had already left: the credit goes back once it is done with the input).
        var counted = false;
        foreach (var runner in _runners)
        {
            if (ReleaseHeld(runner.Node, returnCredit: true))
            {
                runner.Node.Counters.AddFault();
                counted = true;
            }
        }

        if (!counted)
        {
            _runners[0].Node.Counters.AddFault(); // failed outside any stage's batch: counted on the first stage
        }

        base.PreRestart(reason, message);
    }

    protected override void PostRestart(Exception reason)
    {
        base.PostRestart(reason);
        Self.Tell(Poll.Instance); // resume the queue
    }

    private void Drain()
    {
        // An island repeats until no stage can move: a stage's sends fill the queues of the stages after it, and its
        // credits (returned without a message) may unblock the stages before it.
        bool progress;
        do
        {
            progress = false;
            foreach (var runner in _runners)
            {
                var node = runner.Node;
                progress |= ReleaseDue(runner);
                while (node.Pending.Count > 0 && node.AllOutputsHaveCredit)
                {
                    var batch = node.Pending.Dequeue();
                    var edge = batch.Edge; // the batch may leave by another pipe: its input edge is read first
                    node.InFlight = batch;
                    node.InFlightEdge = edge;
                    if (_fused)
                    {
                        try
                        {
                            Process(runner, batch); // clears InFlight once the batch is sent or back in the pool
                        }
                        catch (Exception error) when (error is not OutOfMemoryException)
                        {
                            OnStageFault(runner, error);
                        }
                    }
                    else
                    {
                        Process(runner, batch);
                    }

                    node.InFlightEdge = -1;
                    node.ReturnCredit(edge, Self);
                    progress = true;
                    ReleaseDue(runner);
                }
            }
        }
        while (progress && _fused);

        foreach (var runner in _runners)
        {
            if (runner.Node.Delayed.Count > 0 && !Timers.IsTimerActive(ReleaseTimer))
            {
                // Look again every millisecond (Akka's scheduler rounds it up to its 10-ms tick) while packets may be
                // held: the clock may be a fake one, so the due time is not a wall-clock wait. Periodic and kept once
                // started: a one-shot timer per batch would allocate per batch.
                Timers.StartPeriodicTimer(ReleaseTimer, Poll.Instance, ReleaseInterval);
            }
        }
    }

    /// <summary>
    /// In an island, a stage threw on a batch: what a restart by the supervisor does for an unfused stage, for this
    /// stage alone (the batch it held counted as <c>fault</c> drops, a fault counted, a fresh instance); the others
    /// go on with theirs. The caller returns the batch's credit.
    /// </summary>
    private void OnStageFault(StageRunner runner, Exception error)
    {
        foreach (var output in runner.Scatter)
        {
            if (output is not null)
            {
                // Failed inside the runtime's scatter, not in the stage: left to the supervisor's restart.
                throw new InvalidOperationException($"stage '{runner.Node.Name}' failed with output batches half built", error);
            }
        }

        Context.GetLogger().Error(error, "stage '{0}' failed; the packets of the batch it held are dropped as 'fault' and it restarts with a fresh instance", runner.Node.Name);
        ReleaseHeld(runner.Node, returnCredit: false);
        runner.Node.Counters.AddFault();
        runner.Renew();
    }

    /// <summary>
    /// Frees the batch a stage held when it failed (fault drops) and, with <paramref name="returnCredit"/>, returns its
    /// input's credit; false when it held neither.
    /// </summary>
    private bool ReleaseHeld(StageNode node, bool returnCredit)
    {
        var held = false;
        if (node.InFlight is { } batch)
        {
            node.InFlight = null;
            batch.TransferTo(Self, node.Name, gate: null);
            node.DropBatch(batch, DropReason.Fault);
            held = true;
        }

        if (returnCredit && node.InFlightEdge >= 0)
        {
            var edge = node.InFlightEdge;
            node.InFlightEdge = -1;
            node.ReturnCredit(edge, Self);
            held = true;
        }

        return held;
    }

    /// <summary>Frees what a stage still holds at the pipeline's end, counted as shutdown drops.</summary>
    private void ShutdownStage(StageNode node)
    {
        while (node.Pending.TryDequeue(out var pending))
        {
            var edge = pending.Edge; // read before the pool resets it
            node.DropBatch(pending, DropReason.Shutdown);
            node.ReturnCredit(edge, Self);
        }

        while (node.Delayed.TryDequeue(out var delayed))
        {
            node.Pool.Arena.Free(delayed.Slot.BufIdx, node.Pool.Owner);
            if ((delayed.Slot.Flags & SlotFlags.MoreFrag) == 0)
            {
                node.Counters.AddDrops(DropReason.Shutdown, 1);
            }
        }

        node.Pool.Unhold(node.DelayedPackets);
        node.DelayedPackets = 0;
        node.DelayedBytes = 0;
    }

    /// <summary>The stage a batch on <paramref name="edge"/> is for.</summary>
    private StageRunner RunnerFor(int edge)
    {
        if (!_fused)
        {
            return _runners[0];
        }

        if (_byEdge.TryGetValue(edge, out var known))
        {
            return known;
        }

        // Found on first use (the wiring is complete before any batch is sent). A loop, not a lambda: a closure over
        // the edge would be allocated on every call, found or not.
        foreach (var runner in _runners)
        {
            if (runner.Node.HasInput(edge))
            {
                _byEdge[edge] = runner;
                return runner;
            }
        }

        throw new InvalidOperationException($"a batch arrived on pipe {edge}, which feeds none of the stages of this island");
    }

    /// <summary>Sends the delayed packets that are due, in order, as far as their gates have credit; true when it sent any.</summary>
    private bool ReleaseDue(StageRunner runner)
    {
        var node = runner.Node;
        var queue = node.Delayed;
        if (queue.Count == 0)
        {
            return false;
        }

        var now = node.Settings.Time.GetTimestamp();
        var released = 0;
        long packets = 0;
        long bytes = 0;
        while (queue.TryPeek(out var head) && head.ReleaseAt <= now)
        {
            var gate = node.Outputs[head.Gate];
            if (gate.IsPipe && gate.Credits <= 0 && runner.Scatter[head.Gate] is null)
            {
                break; // the gate's pipe is full: the packets wait, in order
            }

            // Move the whole packet (its fragments are consecutive entries).
            var output = gate.IsPipe ? OutputFor(runner, head.Gate) : null;
            while (queue.TryDequeue(out var entry))
            {
                bytes += entry.Slot.Len;
                node.DelayedBytes -= entry.Slot.Len;
                if (output is null)
                {
                    node.Pool.Arena.Free(entry.Slot.BufIdx, node.Pool.Owner);
                }
                else
                {
                    var slot = entry.Slot;
                    var meta = entry.Meta;
                    output.Add(in slot, in meta);
                }

                if ((entry.Slot.Flags & SlotFlags.MoreFrag) == 0)
                {
                    break;
                }
            }

            node.DelayedPackets--;
            released++;
            if (output is null)
            {
                node.Counters.AddDrops(gate.ToDrop ? DropReason.Discarded : DropReason.Unconnected, 1);
                continue;
            }

            packets++;
            if (output.Count > output.Capacity - Ring.MaxFragments)
            {
                SendOutput(runner, head.Gate);
            }
        }

        node.Counters.AddOut(packets, bytes);
        node.Pool.Unhold(released); // after the batches they left in were rented
        SendOutputs(runner);
        return released > 0;
    }

    private void Process(StageRunner runner, PacketBatch batch)
    {
        var node = runner.Node;
        batch.Claim(Self, node.Name);
        var (packets, bytes) = BatchStats.Measure(batch.Slots);
        node.Counters.AddIn(packets, bytes);
        runner.Context.Reset(batch.Count);
        runner.Context.DelayedPackets = node.DelayedPackets;
        runner.Context.DelayedBytes = node.DelayedBytes;
        var previous = OwnershipScope.Enter(Self, node.Name);
        try
        {
            runner.Stage.OnBatch(batch, runner.Context);
        }
        finally
        {
            OwnershipScope.Exit(previous);
        }

        node.Counters.AddDrops(DropReason.Overflow, runner.Context.LostCopies);
        Scatter(runner, batch);
    }

    /// <summary>Sends each packet where its verdict says; the whole batch moves on when every packet goes to one pipe.</summary>
    private void Scatter(StageRunner runner, PacketBatch batch)
    {
        var node = runner.Node;
        var verdicts = runner.Context.Verdicts(batch.Count);
        var first = verdicts.Length > 0 ? verdicts[0] : (ushort)0;
        if (first < StageContext.DelayVerdict && runner.Context.Copies.IsEmpty && !verdicts.ContainsAnyExcept(first) && node.Outputs[first].IsPipe)
        {
            // Measured after the stage ran: pushed and popped headers change the bytes.
            var (packets, bytes) = BatchStats.Measure(batch.Slots);
            node.Counters.AddOut(packets, bytes);
            node.InFlight = null; // not ours from here on: a fault after the send must not free it
            node.Outputs[first].Send(batch, Self);
            return;
        }

        var slots = batch.Slots;
        var meta = batch.Meta;
        var freed = 0;
        var delayed = 0;
        long outPackets = 0;
        long outBytes = 0;
        foreach (var (index, gate) in runner.Context.Copies)
        {
            (outPackets, outBytes) = Copy(runner, slots, meta, index, gate, outPackets, outBytes);
        }

        for (var i = 0; i < slots.Length;)
        {
            var end = BatchStats.PacketEnd(slots, i);
            var verdict = verdicts[i]; // the first fragment's verdict holds for the whole packet
            if (verdict == StageContext.DelayVerdict)
            {
                for (var k = i; k < end; k++)
                {
                    node.Delayed.Enqueue(new DelayedPacket(slots[k], meta[k], runner.Context.DelayGate(i), runner.Context.ReleaseAt(i)));
                    node.DelayedBytes += slots[k].Len;
                }

                node.DelayedPackets++;
                delayed++;
                i = end;
                continue;
            }

            var reason = verdict == StageContext.DropVerdict ? runner.Context.ReasonOf(i)
                : node.Outputs[verdict].IsPipe ? (DropReason?)null
                : node.Outputs[verdict].ToDrop ? DropReason.Discarded : DropReason.Unconnected;
            if (reason is { } r)
            {
                node.Counters.AddDrops(r, 1);
                for (var k = i; k < end; k++)
                {
                    _freed[freed++] = slots[k].BufIdx;
                }
            }
            else
            {
                var output = OutputFor(runner, verdict);
                if (output.Count + (end - i) > output.Capacity)
                {
                    SendOutput(runner, verdict);
                    output = OutputFor(runner, verdict);
                }

                for (var k = i; k < end; k++)
                {
                    output.Add(in slots[k], in meta[k]);
                    outBytes += slots[k].Len;
                }

                outPackets++;
            }

            i = end;
        }

        node.Pool.Arena.FreeBatch(_freed.AsSpan(0, freed), node.Pool.Owner);
        if (delayed > 0)
        {
            node.Pool.Hold(delayed); // before the batch goes back: the pipeline is never seen empty in between
        }

        batch.SetCount(0);
        node.InFlight = null;
        node.Pool.Return(batch);
        node.Counters.AddOut(outPackets, outBytes);
        SendOutputs(runner);
    }

    /// <summary>Copies packet <paramref name="index"/> into new buffers bound for <paramref name="gate"/> (the mirror's one copy).</summary>
    private (long Packets, long Bytes) Copy(StageRunner runner, ReadOnlySpan<Slot> slots, ReadOnlySpan<PacketMeta> meta, int index, ushort gate, long packets, long bytes)
    {
        var node = runner.Node;
        var end = BatchStats.PacketEnd(slots, index);
        var fragments = end - index;
        var target = node.Outputs[gate];
        if (!target.IsPipe)
        {
            return (packets, bytes); // nothing takes the copy: it is never made
        }

        var arena = node.Pool.Arena;
        var got = arena.AllocBatch(node.Pool.Owner, _copyBuffers.AsSpan(0, fragments));
        if (got < fragments)
        {
            arena.FreeBatch(_copyBuffers.AsSpan(0, got), node.Pool.Owner);
            node.Counters.AddDrops(DropReason.Overflow, 1); // no buffer for the copy: the copy is dropped
            return (packets, bytes);
        }

        var output = OutputFor(runner, gate);
        if (output.Count + fragments > output.Capacity)
        {
            SendOutput(runner, gate);
            output = OutputFor(runner, gate);
        }

        for (var f = 0; f < fragments; f++)
        {
            var slot = slots[index + f];
            var length = (int)slot.Offset + slot.Len;
            arena.GetBuffer(slot.BufIdx)[..length].CopyTo(arena.GetBuffer(_copyBuffers[f]));
            slot.BufIdx = _copyBuffers[f];
            output.Add(in slot, in meta[index + f]);
            bytes += slot.Len;
        }

        return (packets + 1, bytes);
    }

    private PacketBatch OutputFor(StageRunner runner, ushort gate) => runner.Scatter[gate] ??= runner.Node.Pool.Rent(Self, runner.Node.Name);

    private void SendOutput(StageRunner runner, ushort gate)
    {
        if (runner.Scatter[gate] is { } output)
        {
            runner.Scatter[gate] = null;
            runner.Node.Outputs[gate].Send(output, Self);
        }
    }

    private void SendOutputs(StageRunner runner)
    {
        for (var g = 0; g < runner.Scatter.Length; g++)
        {
            SendOutput(runner, (ushort)g);
        }
    }

    private const string ReleaseTimer = "release";

    private static readonly TimeSpan ReleaseInterval = TimeSpan.FromMilliseconds(1);
}
