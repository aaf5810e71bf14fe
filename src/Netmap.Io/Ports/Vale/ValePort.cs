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
    private ValeSwitch? _switch;
    internal long ForwardedPacketsCount;
    internal long ForwardedBytesCount;
    internal long DeliveredPacketsCount;
    internal long DeliveredBytesCount;
    internal long DroppedPacketsCount;

    internal ValePort(NetmapDomain domain, ValeSwitch? sw, string name, BufferArena arena, ushort memId, bool privateRegion, int rings, uint slots, int rxRings, uint rxSlots)
        : base(domain, name, arena, memId)
    {
        _switch = sw;
        Persistent = sw is null;
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

    /// <summary>The switch the port is attached to; null for a persistent port not attached to any.</summary>
    public ValeSwitch? Switch
    {
        get => Volatile.Read(ref _switch);
        internal set => Volatile.Write(ref _switch, value);
    }

    /// <summary>True for a persistent port (<c>vale-ctl -n</c>): it outlives its handles and its attachments.</summary>
    public bool Persistent { get; }

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
        // A persistent port attached to no switch sends into the void.
        Switch?.Forward(this, ring);
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

    /// <summary>A persistent port survives its last handle; an ephemeral one is destroyed.</summary>
    internal override void OnUnbind(PortHandle handle, bool last)
    {
        if (!Persistent)
        {
            base.OnUnbind(handle, last);
        }
    }

    internal override void Destroy()
    {
        if (IsDestroyed)
        {
            return;
        }

        if (Switch is { } sw)
        {
            sw.Detach(this);
            Domain.ValeSwitches.RemoveIfEmpty(sw);
            Switch = null;
        }

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
