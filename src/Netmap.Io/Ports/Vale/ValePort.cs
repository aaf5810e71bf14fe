using Netmap.Io.Memory;
using Netmap.Io.Rings;

namespace Netmap.Io.Ports.Vale;

/// <summary>
/// An ephemeral port of a VALE switch (<c>valeB:P</c>, notes §7): created by the first open, attached to its
/// switch while bound, destroyed (and detached) when the last handle closes. Its buffers live in a private
/// region of its own (unless a mem id was given); the switch copies packets between regions.
/// </summary>
/// <remarks>
/// Ownership: every slot of every ring holds a buffer of this port's owner in its region, for the port's
/// whole life; the switch copies bytes into them and never moves a buffer between ports. Freed (and the
/// private region removed, with a leak audit) when the last handle closes.
/// TxSync forwards [HwCur, RHead) through the switch and frees the whole ring at once (a VALE sender never
/// blocks: Tail = Head - 1). RxSync only releases [HwCur, RHead): packets are written by other ports' TxSync.
/// Thread: a sender writes this port's RX slots under the switch lock and publishes HwTail with a release
/// write; RxSync publishes HwCur the same way, so sender and receiver may run on different threads.
/// </remarks>
public sealed class ValePort : Port
{
    private readonly bool _privateRegion;
    internal long ForwardedPacketsCount;
    internal long ForwardedBytesCount;
    internal long DeliveredPacketsCount;
    internal long DeliveredBytesCount;
    internal long DroppedPacketsCount;

    internal ValePort(ValeSwitch sw, string name, BufferArena arena, ushort memId, bool privateRegion, int rings, uint slots, int rxRings, uint rxSlots)
        : base(sw.Domain, name, arena, memId)
    {
        Switch = sw;
        _privateRegion = privateRegion;
        CreateRings(rings, rxRings, 0, 0, slots, rxSlots);
        try
        {
            foreach (var ring in TxRingArray)
            {
                AllocRingBuffers(ring);
            }

            foreach (var ring in RxRingArray)
            {
                AllocRingBuffers(ring);
            }
        }
        catch (NetmapException)
        {
            FreeAll();
            throw;
        }
    }

    /// <summary>The switch the port is attached to.</summary>
    public ValeSwitch Switch { get; }

    /// <summary>The port index in the switch (netmap's <c>port_index</c>), or -1 once detached.</summary>
    public int Index { get; internal set; } = -1;

    /// <summary>Packets this port sent into the switch (whatever their fate).</summary>
    public long ForwardedPackets => Volatile.Read(ref ForwardedPacketsCount);

    /// <summary>Bytes this port sent into the switch.</summary>
    public long ForwardedBytes => Volatile.Read(ref ForwardedBytesCount);

    /// <summary>Packets the switch copied into this port's RX rings.</summary>
    public long DeliveredPackets => Volatile.Read(ref DeliveredPacketsCount);

    /// <summary>Bytes the switch copied into this port's RX rings.</summary>
    public long DeliveredBytes => Volatile.Read(ref DeliveredBytesCount);

    /// <summary>Packets for this port that were dropped: no room in its RX ring, or the ring not bound.</summary>
    public long DroppedPackets => Volatile.Read(ref DroppedPacketsCount);

    /// <summary>Forwards the slots [HwCur, RHead) through the switch, then hands the whole ring back.</summary>
    protected internal override void TxSync(Ring ring)
    {
        Switch.Forward(this, ring);
        ring.HwCur = ring.RHead;
        ring.HwTail = ring.Prev(ring.RHead);
    }

    /// <summary>Takes back the slots the reader released; new packets were already published by senders.</summary>
    protected internal override void RxSync(Ring ring)
    {
        var head = ring.RHead;
        for (var k = ring.HwCur; k != head; k = ring.Next(k))
        {
            ring[k].Flags &= ~SlotFlags.BufChanged;
        }

        // Release: a sender computes the free slots from HwCur; the slot writes above must land first.
        Volatile.Write(ref ring.HwCur, head);
    }

    internal override void ValidateMode(RegisterMode mode, string spec)
    {
        if (mode is not (RegisterMode.AllNic or RegisterMode.OneNic))
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, spec, $"a VALE port has no host rings: only the ALL_NIC or ONE_NIC mode, not {mode}");
        }
    }

    internal override void Destroy()
    {
        if (IsDestroyed)
        {
            return;
        }

        Switch.Detach(this);
        Domain.ValeSwitches.RemoveIfEmpty(Switch);
        MarkDestroyed();
        FreeAll();
    }

    private void FreeAll()
    {
        ArenaException? error = null;
        foreach (var ring in TxRingArray)
        {
            FreeRingBuffers(ring, ref error);
        }

        foreach (var ring in RxRingArray)
        {
            FreeRingBuffers(ring, ref error);
        }

        if (_privateRegion)
        {
            try
            {
                Domain.ReleasePrivateRegion(MemId);
            }
            catch (ArenaException ex)
            {
                error ??= ex;
            }
        }

        if (error is not null)
        {
            throw error;
        }
    }
}
