using Netmap.Io.Rings;

namespace Pipeline.Runtime;

internal sealed partial class PortPump
{
    /// <summary>The TX side's turn: the queued batches into the ring, or, with none, a kick for what the device still holds.</summary>
    public void ServeTx()
    {
        if (_node.TxQueue.Count > 0)
        {
            FlushTx();
        }
        else if (TxPending)
        {
            KickTx();
        }
    }

    /// <summary>
    /// True when the port's device still holds frames it could not send yet (a kick found its queue full, or it was
    /// down): the port must sync TX again, new batches or not, or they wait for good.
    /// </summary>
    public bool TxPending => _node.Handle.Port is Netmap.Io.Ports.Nic.NicPort nic && nic.SendPending();

    /// <summary>Syncs the TX ring with nothing new in it: the device is kicked for what it still holds.</summary>
    private void KickTx() => _node.Handle.TxRing.TxSync();

    /// <summary>Places queued batches into the TX ring as far as it has room, then syncs.</summary>
    public void FlushTx()
    {
        var handle = _node.Handle;
        var ring = handle.TxRing;
        var arena = handle.Arena;
        var portOwner = handle.Port.Owner;
        var poolOwner = _node.Pool.Owner;
        while (_node.TxQueue.TryPeek(out var batch))
        {
            var slots = batch.Slots;
            var position = _node.TxPosition;
            if (ring.Space < (uint)(slots.Length - position))
            {
                ring.TxSync(); // reclaim completed slots
            }

            var head = ring.Head;
            var space = (int)ring.Space;
            var old = 0;
            var oldBuffers = _old;
            var mask = ring.OffsetMask;
            while (position < slots.Length)
            {
                var end = BatchStats.PacketEnd(slots, position);
                if (end - position > space)
                {
                    break;
                }

                for (var i = position; i < end; i++)
                {
                    ref var slot = ref ring[head];
                    oldBuffers[old++] = slot.BufIdx;
                    ref readonly var fragment = ref slots[i];
                    arena.Transfer(fragment.BufIdx, poolOwner, portOwner);
                    slot.BufIdx = fragment.BufIdx;
                    slot.Len = fragment.Len;
                    slot.Flags = (fragment.Flags & SlotFlags.MoreFrag) | SlotFlags.BufChanged;
                    slot.Offset = (slot.Offset & ~mask) | (fragment.Offset & mask); // the ring's SetOffset, mask in a local
                    head = ring.Next(head);
                }

                space -= end - position;
                position = end;
            }

            arena.FreeBatch(_old.AsSpan(0, old), portOwner);
            ring.Head = ring.Cur = head;
            _node.TxPosition = position; // before the sync: what is in the ring is the port's even if the sync throws
            if (old > 0)
            {
                ring.TxSync();
            }

            if (position < slots.Length)
            {
                return; // the ring is full: the rest waits, and so does the upstream's credit
            }

            var (packets, bytes) = BatchStats.Measure(slots);
            _node.Counters.AddOut(packets, bytes);
            _node.TxPosition = 0;
            _node.TxQueue.Dequeue();
            var edge = batch.Edge; // read before the pool resets it
            batch.SetCount(0);
            _node.Pool.Return(batch);
            _node.ReturnCredit(edge, _node.Self);
        }
    }
}
