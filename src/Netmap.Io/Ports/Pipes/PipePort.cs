using Netmap.Io.Memory;
using Netmap.Io.Rings;

namespace Netmap.Io.Ports.Pipes;

/// <summary>
/// One end of a netmap pipe (<c>netmap_pipe.c</c>): <c>X{N</c> is the master, <c>X}N</c> the slave. TX ring k
/// of one end feeds RX ring k of the other, zero-copy: the buffer index one end transmits is the one the
/// other receives, and a released RX slot carries its buffer back to the sender.
/// </summary>
/// <remarks>
/// Ownership: both ends share one arena owner (<see cref="PipePair"/>); a buffer index in flight appears in
/// both rings' slot arrays, and which copy counts is given by the rings' positions: slots
/// [RX HwCur, TX HwCur) are the receiver's, the rest the sender's.
/// Thread: the two ends may run on two threads (one per end). TxSync writes the peer's slots, then publishes
/// the peer's HwTail with a release write; RxSync does the same in the other direction.
/// </remarks>
public sealed class PipePort : Port
{
    internal PipePort(PipePair pair, bool master, string name, int txRings, int rxRings, uint txSlots, uint rxSlots)
        : base(pair.Parent.Domain, name, pair.Parent.Arena, pair.Parent.MemId)
    {
        Pair = pair;
        IsMaster = master;
        Owner = pair.Owner;
        CreateRings(txRings, rxRings, 0, 0, txSlots, rxSlots);
    }

    /// <summary>The pipe this end belongs to.</summary>
    public PipePair Pair { get; }

    /// <summary>True for the master end (<c>{</c>).</summary>
    public bool IsMaster { get; }

    /// <summary>The other end.</summary>
    public PipePort Peer => IsMaster ? Pair.Slave : Pair.Master;

    /// <summary>True while the other end has no binding.</summary>
    public bool PeerClosed => Peer.Bindings == 0;

    internal override void ValidateMode(RegisterMode mode, string spec)
    {
        if (mode is not (RegisterMode.AllNic or RegisterMode.OneNic))
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, spec, $"a pipe end takes only the ALL_NIC or ONE_NIC mode, not {mode}");
        }
    }

    /// <summary>A pipe end notifies its peer when packets or room cross, so it can serve a Notification-mode sync loop.</summary>
    internal override bool CanNotify => true;

    /// <inheritdoc/>
    protected internal override SyncStatus SyncStatusFor(Ring ring) => PeerClosed ? SyncStatus.PeerClosed : SyncStatus.Ok;

    /// <summary>
    /// Copies the slots [HwCur, RHead) to the same indices of the peer's RX ring (offset cropped to the max,
    /// length clamped to the buffer), clears BUF_CHANGED on them, and publishes the peer's tail up to the end
    /// of the last complete packet: a trailing MOREFRAG chain stays invisible until its last fragment is sent.
    /// </summary>
    protected internal override void TxSync(Ring ring)
    {
        var peer = ring.Peer!;
        var k = ring.HwCur;
        var head = ring.RHead;
        var lastComplete = uint.MaxValue;
        // Read once: the slot writes below would otherwise make the JIT reload them per packet.
        var bufSize = (ulong)ring.BufferSize;
        var mask = ring.OffsetMask;
        var maxOffset = ring.MaxOffset;
        var numSlots = ring.NumSlots;
        while (k != head)
        {
            // k and head are below NumSlots (HwCur, and the RHead the prologue validated), the peer has as many slots.
            // Loaded field by field, as the user just wrote them: an 8-byte load over the 2-byte stores of Len and
            // Flags still in the store buffer could not be forwarded and would wait for them to reach the cache.
            ref var ts = ref ring.SlotUnchecked(k);
            var flags = ts.Flags;
            if ((flags & SlotFlags.BufChanged) != 0)
            {
                // Cleared on the TX slot only when set, as netmap does: no store per packet in the common case.
                flags &= ~SlotFlags.BufChanged;
                ts.Flags = flags;
            }

            var field = ts.Offset;
            var raw = field & mask;
            var offset = raw > maxOffset ? maxOffset : raw;
            var len = (ulong)ts.Len;
            if (len + offset > bufSize)
            {
                len = (bufSize - offset) & 0xFFFF; // clamped to the buffer
            }

            ref var rs = ref peer.SlotUnchecked(k);
            var word = ts.BufIdx | (len << 32) | ((ulong)flags << 48);
            Slot.Word0(ref rs) = word;
            Slot.Word1(ref rs) = (field & ~mask) | offset;
            k = k + 1 == numSlots ? 0 : k + 1;
            if ((word & Slot.MoreFragBit) == 0)
            {
                lastComplete = k;
            }
        }

        ring.HwCur = k;
        if (lastComplete != uint.MaxValue)
        {
            // Release: the receiver reads HwTail, then the slots before it; they must be written first.
            Volatile.Write(ref peer.HwTail, lastComplete);
            peer.Port.Notify(); // after the publish: a woken sync loop of the peer sees the new packets
        }
    }

    /// <summary>
    /// Gives the released slots [HwCur, RHead) back to the sender's TX ring (the slot travels whole, so a
    /// buffer the reader swapped in goes to the sender), and frees the sender's tail up to the slot before RHead.
    /// </summary>
    protected internal override void RxSync(Ring ring)
    {
        var peer = ring.Peer!;
        var head = ring.RHead;
        var released = ring.HwCur != head;
        var numSlots = ring.NumSlots;
        for (var k = ring.HwCur; k != head; k = k + 1 == numSlots ? 0 : k + 1)
        {
            // netmap's netmap_pipe_rxsync: only a slot whose buffer the reader swapped (NS_BUF_CHANGED) is copied back,
            // whole, with the flag set for the sender; any other still names the buffer the sender's slot names (TxSync
            // copied it there), so there is nothing to return. k is below NumSlots, as in TxSync.
            ref var rs = ref ring.SlotUnchecked(k);
            var flags = rs.Flags;
            if ((flags & SlotFlags.BufChanged) != 0)
            {
                // Through locals: clearing the 2-byte flags in place and then loading the 16-byte slot defeats the
                // CPU's store-to-load forwarding (a stall of ~15 cycles per slot).
                var word = rs.BufIdx | ((ulong)rs.Len << 32) | ((ulong)flags << 48); // field loads, as in TxSync
                var field = rs.Offset;
                rs.Flags = flags & ~SlotFlags.BufChanged;
                ref var ts = ref peer.SlotUnchecked(k);
                Slot.Word0(ref ts) = word;
                Slot.Word1(ref ts) = field;
            }
        }

        ring.HwCur = head;
        // Release: the sender reuses slots up to its HwTail; the copies above must land first.
        Volatile.Write(ref peer.HwTail, ring.Prev(head));
        if (released)
        {
            peer.Port.Notify(); // after the publish: a woken sync loop of the sender sees the new room
        }
    }

    internal override void OnUnbind(PortHandle handle, bool last)
    {
        if (last && Peer.Bindings == 0)
        {
            Pair.Destroy();
        }
    }

    internal void AllocTxBuffers()
    {
        foreach (var ring in TxRingArray)
        {
            AllocRingBuffers(ring);
        }
    }

    /// <summary>Frees one direction's buffers (TX ring of this end, RX ring of the peer) and clears both slot arrays.</summary>
    internal void FreeDirection(Ring tx, Ring rx, ref ArenaException? error)
    {
        for (uint k = 0; k < tx.NumSlots; k++)
        {
            // Slots [rx.HwCur, tx.HwCur) were sent and not yet released: their buffers are in the RX copy.
            var holder = InCircularRange(k, rx.HwCur, tx.HwCur, tx.NumSlots) ? rx : tx;
            FreeBuffer(holder[k].BufIdx, ref error);
            tx[k] = default;
            rx[k] = default;
        }
    }

    internal override void Destroy() => MarkDestroyed(); // the pair frees the buffers, direction by direction

    private static bool InCircularRange(uint k, uint from, uint to, uint n)
    {
        var distK = k >= from ? k - from : k + n - from;
        var distTo = to >= from ? to - from : to + n - from;
        return distK < distTo;
    }
}
