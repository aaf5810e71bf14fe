using Akka.Actor;
using Netmap.Io.Rings;
using Pipeline.Runtime.Messages;
using Pipeline.Stages;

namespace Pipeline.Runtime;

/// <summary>
/// Hosts one stage: claims each batch it receives, runs the stage on it, scatters the packets to the
/// gates' pipes by verdict, frees the dropped ones at once, and returns a credit upstream. It processes a
/// batch only when every connected output pipe has credit; otherwise the batch waits in its queue (bounded
/// by the upstream window), so memory stays bounded under overload.
/// </summary>
/// <remarks>
/// Faults: when the stage throws, <see cref="PreRestart"/> frees the batch it held (fault drops), returns
/// its credit, and the supervisor restarts the actor with a fresh stage instance; queue, credits and
/// counters live in <see cref="StageNode"/> and survive.
/// </remarks>
internal sealed class StageActor : UntypedActor, IWithTimers
{
    private readonly StageNode _node;
    private readonly IPacketStage _stage;
    private readonly StageContext _context;
    private readonly PacketBatch?[] _scatter;
    private readonly uint[] _freed;
    private readonly uint[] _copyBuffers = new uint[Ring.MaxFragments];

    public ITimerScheduler Timers { get; set; } = null!;

    public StageActor(StageNode node)
    {
        _node = node;
        _stage = node.Definition.Descriptor.Create(node.Definition.Options);
        _context = new StageContext(node.Name, node.Definition.Gates, node.Pool.Arena, node.Pool.Capacity, node.Settings.Time)
        {
            PortNames = node.Settings.PortNames,
            // A gate piped somewhere, or to the drop sink, is connected; the others drop as 'unconnected'.
            ConnectedGates = Array.ConvertAll(node.Outputs, static o => o.Edge >= 0),
        };
        _scatter = new PacketBatch?[node.Outputs.Length];
        _freed = new uint[node.Pool.Capacity];
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case PacketBatch batch:
                _node.Pending.Enqueue(batch);
                Drain();
                break;
            case Credit credit:
                _node.AddCredit(credit);
                Drain();
                break;
            case Poll or Start or StopSources:
                Drain();
                break;
            case Shutdown:
                while (_node.Pending.TryDequeue(out var pending))
                {
                    var edge = pending.Edge; // read before the pool resets it
                    _node.DropBatch(pending, DropReason.Shutdown);
                    _node.ReturnCredit(edge, Self);
                }

                while (_node.Delayed.TryDequeue(out var delayed))
                {
                    _node.Pool.Arena.Free(delayed.Slot.BufIdx, _node.Pool.Owner);
                    if ((delayed.Slot.Flags & SlotFlags.MoreFrag) == 0)
                    {
                        _node.Counters.AddDrops(DropReason.Shutdown, 1);
                    }
                }

                _node.Pool.Unhold(_node.DelayedPackets);
                _node.DelayedPackets = 0;
                _node.DelayedBytes = 0;

                Sender.Tell(new ShutdownDone(_node.Name));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    protected override void PreRestart(Exception reason, object message)
    {
        // The stage threw while holding InFlight: its packets are freed and counted, its pipe gets its credit back
        // (also when the batch had already left: the credit goes back once it is done with the input).
        if (_node.InFlight is { } held)
        {
            _node.InFlight = null;
            held.TransferTo(Self, _node.Name, gate: null);
            _node.DropBatch(held, DropReason.Fault);
        }

        if (_node.InFlightEdge >= 0)
        {
            var edge = _node.InFlightEdge;
            _node.InFlightEdge = -1;
            _node.ReturnCredit(edge, Self);
        }

        _node.Counters.AddFault();
        base.PreRestart(reason, message);
    }

    protected override void PostRestart(Exception reason)
    {
        base.PostRestart(reason);
        Self.Tell(Poll.Instance); // resume the queue
    }

    private void Drain()
    {
        ReleaseDue();
        while (_node.Pending.Count > 0 && _node.AllOutputsHaveCredit)
        {
            var batch = _node.Pending.Dequeue();
            var edge = batch.Edge; // the batch may leave by another pipe: its input edge is read first
            _node.InFlight = batch;
            _node.InFlightEdge = edge;
            Process(batch); // clears InFlight once the batch is sent or back in the pool
            _node.InFlightEdge = -1;
            _node.ReturnCredit(edge, Self);
            ReleaseDue();
        }

        if (_node.Delayed.Count > 0 && !Timers.IsTimerActive(ReleaseTimer))
        {
            // Look again every millisecond (Akka's scheduler rounds it up to its 10-ms tick) while packets may be
            // held: the clock may be a fake one, so the due time is not a wall-clock wait. Periodic and kept once
            // started: a one-shot timer per batch would allocate per batch.
            Timers.StartPeriodicTimer(ReleaseTimer, Poll.Instance, ReleaseInterval);
        }
    }

    /// <summary>Sends the delayed packets that are due, in order, as far as their gates have credit.</summary>
    private void ReleaseDue()
    {
        var queue = _node.Delayed;
        if (queue.Count == 0)
        {
            return;
        }

        var now = _node.Settings.Time.GetTimestamp();
        var released = 0;
        long packets = 0;
        long bytes = 0;
        while (queue.TryPeek(out var head) && head.ReleaseAt <= now)
        {
            var gate = _node.Outputs[head.Gate];
            if (gate.IsPipe && gate.Credits <= 0 && _scatter[head.Gate] is null)
            {
                break; // the gate's pipe is full: the packets wait, in order
            }

            // Move the whole packet (its fragments are consecutive entries).
            var output = gate.IsPipe ? OutputFor(head.Gate) : null;
            while (queue.TryDequeue(out var entry))
            {
                bytes += entry.Slot.Len;
                _node.DelayedBytes -= entry.Slot.Len;
                if (output is null)
                {
                    _node.Pool.Arena.Free(entry.Slot.BufIdx, _node.Pool.Owner);
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

            _node.DelayedPackets--;
            released++;
            if (output is null)
            {
                _node.Counters.AddDrops(gate.ToDrop ? DropReason.Discarded : DropReason.Unconnected, 1);
                continue;
            }

            packets++;
            if (output.Count > output.Capacity - Ring.MaxFragments)
            {
                SendOutput(head.Gate);
            }
        }

        _node.Counters.AddOut(packets, bytes);
        _node.Pool.Unhold(released); // after the batches they left in were rented
        SendOutputs();
    }

    private void Process(PacketBatch batch)
    {
        batch.Claim(Self, _node.Name);
        var (packets, bytes) = BatchStats.Measure(batch.Slots);
        _node.Counters.AddIn(packets, bytes);
        _context.Reset(batch.Count);
        _context.DelayedPackets = _node.DelayedPackets;
        _context.DelayedBytes = _node.DelayedBytes;
        var previous = OwnershipScope.Enter(Self, _node.Name);
        try
        {
            _stage.OnBatch(batch, _context);
        }
        finally
        {
            OwnershipScope.Exit(previous);
        }

        _node.Counters.AddDrops(DropReason.Overflow, _context.LostCopies);
        Scatter(batch);
    }

    /// <summary>Sends each packet where its verdict says; the whole batch moves on when every packet goes to one pipe.</summary>
    private void Scatter(PacketBatch batch)
    {
        var verdicts = _context.Verdicts(batch.Count);
        var first = verdicts.Length > 0 ? verdicts[0] : (ushort)0;
        if (first < StageContext.DelayVerdict && _context.Copies.IsEmpty && !verdicts.ContainsAnyExcept(first) && _node.Outputs[first].IsPipe)
        {
            // Measured after the stage ran: pushed and popped headers change the bytes.
            var (packets, bytes) = BatchStats.Measure(batch.Slots);
            _node.Counters.AddOut(packets, bytes);
            _node.InFlight = null; // not ours from here on: a fault after the send must not free it
            _node.Outputs[first].Send(batch, Self);
            return;
        }

        var slots = batch.Slots;
        var meta = batch.Meta;
        var freed = 0;
        var delayed = 0;
        long outPackets = 0;
        long outBytes = 0;
        foreach (var (index, gate) in _context.Copies)
        {
            (outPackets, outBytes) = Copy(slots, meta, index, gate, outPackets, outBytes);
        }

        for (var i = 0; i < slots.Length;)
        {
            var end = BatchStats.PacketEnd(slots, i);
            var verdict = verdicts[i]; // the first fragment's verdict holds for the whole packet
            if (verdict == StageContext.DelayVerdict)
            {
                for (var k = i; k < end; k++)
                {
                    _node.Delayed.Enqueue(new DelayedPacket(slots[k], meta[k], _context.DelayGate(i), _context.ReleaseAt(i)));
                    _node.DelayedBytes += slots[k].Len;
                }

                _node.DelayedPackets++;
                delayed++;
                i = end;
                continue;
            }

            var reason = verdict == StageContext.DropVerdict ? _context.ReasonOf(i)
                : _node.Outputs[verdict].IsPipe ? (DropReason?)null
                : _node.Outputs[verdict].ToDrop ? DropReason.Discarded : DropReason.Unconnected;
            if (reason is { } r)
            {
                _node.Counters.AddDrops(r, 1);
                for (var k = i; k < end; k++)
                {
                    _freed[freed++] = slots[k].BufIdx;
                }
            }
            else
            {
                var output = OutputFor(verdict);
                if (output.Count + (end - i) > output.Capacity)
                {
                    SendOutput(verdict);
                    output = OutputFor(verdict);
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

        _node.Pool.Arena.FreeBatch(_freed.AsSpan(0, freed), _node.Pool.Owner);
        if (delayed > 0)
        {
            _node.Pool.Hold(delayed); // before the batch goes back: the pipeline is never seen empty in between
        }

        batch.SetCount(0);
        _node.InFlight = null;
        _node.Pool.Return(batch);
        _node.Counters.AddOut(outPackets, outBytes);
        SendOutputs();
    }

    /// <summary>Copies packet <paramref name="index"/> into new buffers bound for <paramref name="gate"/> (the mirror's one copy).</summary>
    private (long Packets, long Bytes) Copy(ReadOnlySpan<Slot> slots, ReadOnlySpan<PacketMeta> meta, int index, ushort gate, long packets, long bytes)
    {
        var end = BatchStats.PacketEnd(slots, index);
        var fragments = end - index;
        var target = _node.Outputs[gate];
        if (!target.IsPipe)
        {
            return (packets, bytes); // nothing takes the copy: it is never made
        }

        var arena = _node.Pool.Arena;
        var got = arena.AllocBatch(_node.Pool.Owner, _copyBuffers.AsSpan(0, fragments));
        if (got < fragments)
        {
            arena.FreeBatch(_copyBuffers.AsSpan(0, got), _node.Pool.Owner);
            _node.Counters.AddDrops(DropReason.Overflow, 1); // no buffer for the copy: the copy is dropped
            return (packets, bytes);
        }

        var output = OutputFor(gate);
        if (output.Count + fragments > output.Capacity)
        {
            SendOutput(gate);
            output = OutputFor(gate);
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

    private PacketBatch OutputFor(ushort gate) => _scatter[gate] ??= _node.Pool.Rent(Self, _node.Name);

    private void SendOutput(ushort gate)
    {
        if (_scatter[gate] is { } output)
        {
            _scatter[gate] = null;
            _node.Outputs[gate].Send(output, Self);
        }
    }

    private void SendOutputs()
    {
        for (var g = 0; g < _scatter.Length; g++)
        {
            SendOutput((ushort)g);
        }
    }

    private const string ReleaseTimer = "release";

    private static readonly TimeSpan ReleaseInterval = TimeSpan.FromMilliseconds(1);
}
