using Netmap.Io.Rings;
using Pipeline.Stages;

namespace Pipeline.Runtime;

internal sealed partial class PortPump
{
    /// <summary>Drains up to one batch from the RX rings; true when the batch filled (there may be more).</summary>
    public bool ReadRx()
    {
        var gate = _node.Outputs[0];
        if (gate.IsPipe && gate.Credits <= 0)
        {
            if (_node.Definition.Overflow == Config.PortOverflow.Drop)
            {
                DropOverflow();
            }

            return false; // no credit: the packets wait in the ring; a Credit brings us back
        }

        var budget = _node.Settings.Budget;
        var granted = int.MaxValue;
        if (budget is not null && (granted = budget.Take(_node.Pool.Capacity)) == 0)
        {
            return false; // the pipeline has taken all it was to take: the rest stays in the ring
        }

        var handle = _node.Handle;
        handle.RxSync();
        var packetsTaken = 0;
        var arena = handle.Arena;
        var portOwner = handle.Port.Owner;
        var poolOwner = _node.Pool.Owner;
        var headroom = _node.Settings.Headroom;
        PacketBatch? batch = null;
        long tooBig = 0;
        var meta = new PacketMeta { InputPort = _node.Index };
        foreach (var ring in handle.RxRings)
        {
            var room = (batch?.Capacity ?? _node.Pool.Capacity) - (batch?.Count ?? 0);
            var available = (int)Math.Min(ring.Space, (uint)room);
            if (available == 0)
            {
                continue;
            }

            var fresh = arena.AllocBatch(portOwner, _fresh.AsSpan(0, available));
            var freshBuffers = _fresh;
            var used = 0;
            var k = ring.Head;
            var tail = ring.Tail; // read once: the user side of the ring is ours until the next sync
            var capacity = _node.Pool.Capacity;
            var mask = ring.OffsetMask;
            var maxOffset = (ulong)ring.MaxOffset;
            var prefetch = _node.Settings.Prefetch;
            while (used < fresh && k != tail && packetsTaken < granted)
            {
                // A multi-slot packet moves whole or not at all (a one-slot packet, the common case, skips the loop).
                var end = k;
                var fragments = 1;
                while ((ring[end].Flags & SlotFlags.MoreFrag) != 0 && ring.Next(end) != tail)
                {
                    end = ring.Next(end);
                    fragments++;
                }

                if (fragments > capacity)
                {
                    // More slots than a whole batch holds: it could never move, and would block the ring for
                    // good. Its slots go back to the port with their buffers; it counts as a too-big drop.
                    k = ring.Next(end);
                    tooBig++;
                    continue;
                }

                if (used + fragments > fresh)
                {
                    break;
                }

                batch ??= RentBatch();
                packetsTaken++;
                for (var f = 0; f < fragments; f++)
                {
                    ref var slot = ref ring[k];
                    var offset = slot.Offset & mask; // the ring's ReadOffset, with the ring's fields in locals
                    var taken = new Slot
                    {
                        BufIdx = slot.BufIdx,
                        Len = slot.Len,
                        Flags = KeepFlags(slot.Flags),
                        Offset = offset > maxOffset ? maxOffset : offset,
                    };
                    if (f == 0)
                    {
                        if ((int)taken.Offset < headroom)
                        {
                            MakeHeadroom(ref taken, arena.BufferSize, headroom, arena.GetBuffer(taken.BufIdx));
                        }

                        // The first stage reads the headers next, on this thread or the batch's next one: start
                        // loading them now, all the batch's lines at once rather than one miss per packet there
                        // (unless this thread wrote them: a polled pipeline fed by its poller).
                        if (prefetch)
                        {
                            arena.Prefetch(taken.BufIdx, (int)taken.Offset);
                        }
                    }

                    arena.Transfer(taken.BufIdx, portOwner, poolOwner);
                    batch.Add(in taken, in meta);
                    slot.BufIdx = freshBuffers[used++];
                    slot.Len = 0;
                    slot.Flags = SlotFlags.BufChanged;
                    slot.Offset = (slot.Offset & ~mask) | ((ulong)headroom & mask);
                    k = ring.Next(k);
                }
            }

            if (used < fresh)
            {
                arena.FreeBatch(_fresh.AsSpan(used, fresh - used), portOwner);
            }

            ring.Head = ring.Cur = k;
        }

        budget?.Return(granted - packetsTaken);
        if (tooBig != 0)
        {
            _node.Counters.AddDrops(DropReason.TooBig, tooBig);
        }

        if (batch is null)
        {
            if (AllRxEmpty(handle))
            {
                if (handle.Port.EndOfInput)
                {
                    _node.Finished = true; // a file that has given everything: nothing more will come
                }

                _node.NoteIdlePass();
            }

            return false;
        }

        handle.RxSync(); // release the slots now: a pipe's sender gets its (fresh) buffers back sooner
        var (packets, bytes) = BatchStats.Measure(batch.Slots);
        _node.Counters.AddIn(packets, bytes);
        var full = batch.IsFull;
        _building = null;
        if (gate.IsPipe)
        {
            gate.Send(batch, _node.Self);
        }
        else
        {
            _node.DropBatch(batch, DropReason.Discarded);
        }

        return full;
    }

    private PacketBatch RentBatch()
    {
        var batch = _node.Pool.Rent(_node.Self, _node.Name);
        _building = batch; // a fault from here on frees it (Abandon)
        return batch;
    }

    /// <summary>After a fault in <see cref="ReadRx"/>: frees the batch it was filling, its packets counted as fault drops.</summary>
    public void Abandon()
    {
        if (_building is { } batch)
        {
            _building = null;
            _node.DropBatch(batch, DropReason.Fault);
        }
    }

    private static bool AllRxEmpty(Netmap.Io.Ports.PortHandle handle)
    {
        foreach (var ring in handle.RxRings)
        {
            if (!ring.IsEmpty)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The pipeline cannot take more: release what is in the RX rings, counted as overflow drops.</summary>
    private void DropOverflow()
    {
        var handle = _node.Handle;
        handle.RxSync();
        long dropped = 0;
        foreach (var ring in handle.RxRings)
        {
            for (var k = ring.Head; k != ring.Tail; k = ring.Next(k))
            {
                if ((ring[k].Flags & SlotFlags.MoreFrag) == 0)
                {
                    dropped++;
                }
            }

            ring.Head = ring.Cur = ring.Tail;
        }

        handle.RxSync();
        _node.Counters.AddDrops(DropReason.Overflow, dropped);
    }

    /// <summary>
    /// The sender left less headroom than the pipeline promises stages: move the packet up inside its
    /// buffer (the one copy on this path, counted), or leave it when it would not fit.
    /// </summary>
    private void MakeHeadroom(ref Slot slot, int bufferSize, int headroom, Span<byte> buffer)
    {
        var offset = (int)slot.Offset;
        if (headroom + slot.Len > bufferSize || (slot.Flags & SlotFlags.MoreFrag) != 0)
        {
            return;
        }

        buffer.Slice(offset, slot.Len).CopyTo(buffer[headroom..]);
        slot.Offset = (ulong)headroom;
        _node.HeadroomCopies++;
    }
}
