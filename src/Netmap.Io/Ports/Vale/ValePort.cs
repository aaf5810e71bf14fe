using Netmap.Io.Memory;
using Netmap.Io.Rings;

namespace Netmap.Io.Ports.Vale;

/// <summary>
/// A port of a VALE switch (<c>valeB:P</c>, notes §7). Ephemeral ports are created by the first open, attached
/// to their switch while bound (or while pipes hang off them) and destroyed after that. Persistent ports
/// (<see cref="NetmapDomain.CreatePersistentPort"/>) outlive their handles and attachments. Its buffers live in
/// a private region of its own (unless a mem id was given); the switch copies packets between regions.
/// </summary>
/// <remarks>
/// Ownership: every slot of every ring holds a buffer of this port's owner in its region, for the port's
/// whole life; the switch copies bytes into them and never moves a buffer between ports. Freed when the port
/// is destroyed; the private region goes once nothing else uses it (a zero-copy monitor or a pipe end of this
/// port holds buffers in it, see <see cref="NetmapDomain"/>'s region references).
/// A private region has room for the port's rings twice over (netmap sizes it for the port's rings plus its
/// fake host rings): the spare half takes the rings of zero-copy monitors and of pipes on this port.
/// TxSync forwards [HwCur, RHead) through the switch and frees the whole ring at once (a VALE sender never
/// blocks: Tail = Head - 1). RxSync only releases [HwCur, RHead): packets are written by other ports' TxSync.
/// A port of a second switch that wraps a persistent port (netmap's bwrap, see <see cref="ValeLink"/>) has no
/// rings of its own: the switch writes into the wrapped port's TX rings instead.
/// Thread: a sender writes this port's RX slots under the switch lock and publishes HwTail with a release
/// write; RxSync publishes HwCur the same way, so sender and receiver may run on different threads.
/// </remarks>
public sealed class ValePort : Port
{
    private const int DropReasons = (int)ValeDropReason.NoSuchPort + 1;

    private readonly bool _privateRegion;
    private ValeSwitch? _switch;
    private int _pipeReferences;
    internal long ForwardedPacketsCount;
    internal long ForwardedBytesCount;
    internal long DeliveredPacketsCount;
    internal long DeliveredBytesCount;

    /// <summary>Packets dropped, by <see cref="ValeDropReason"/>; written under the switch lock.</summary>
    internal readonly long[] DropCounts = new long[DropReasons];

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

    /// <summary>The port of switch <paramref name="sw"/> that wraps persistent port <paramref name="wrapped"/> (no rings of its own).</summary>
    internal ValePort(NetmapDomain domain, ValeSwitch sw, string name, ValePort wrapped)
        : base(domain, name, wrapped.Arena, wrapped.MemId)
    {
        _switch = sw;
        Wrapped = wrapped;
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

    /// <summary>
    /// For the port a second switch sees when a persistent port is attached to it too (netmap's bwrap): the
    /// wrapped persistent port. Null for every other port.
    /// </summary>
    public ValePort? Wrapped { get; }

    /// <summary>
    /// The switch this port links its own switch to, or null: for a persistent port wrapped onto a second
    /// switch, that second switch; for the wrapper, the wrapped port's first switch.
    /// </summary>
    public ValeSwitch? LinkedSwitch => Link is { } link ? (Wrapped is null ? link.Second : link.First) : null;

    /// <summary>Packets this port sent into the switch (whatever their fate).</summary>
    public long ForwardedPackets => Volatile.Read(ref ForwardedPacketsCount);

    /// <summary>Bytes this port sent into the switch.</summary>
    public long ForwardedBytes => Volatile.Read(ref ForwardedBytesCount);

    /// <summary>Packets the switch copied into this port's RX rings.</summary>
    public long DeliveredPackets => Volatile.Read(ref DeliveredPacketsCount);

    /// <summary>Bytes the switch copied into this port's RX rings.</summary>
    public long DeliveredBytes => Volatile.Read(ref DeliveredBytesCount);

    /// <summary>Packets for this port that were dropped: no room in its RX ring, or the ring not bound.</summary>
    public long DroppedPackets => Drops(ValeDropReason.NoRoom) + Drops(ValeDropReason.RingNotBound);

    /// <summary>Packets dropped for <paramref name="reason"/> (destination reasons count packets for this port, source reasons packets from it).</summary>
    public long Drops(ValeDropReason reason) => Volatile.Read(ref DropCounts[(int)reason]);

    /// <summary>The link this port is part of (wrapped persistent port or wrapper), else null. Domain lock for writes.</summary>
    internal ValeLink? Link { get; set; }

    /// <summary>Pipe parents that use this port's region and keep it alive.</summary>
    internal int PipeReferences => _pipeReferences;

    /// <summary>Forwards the slots [HwCur, RHead) through the switch, then hands the whole ring back.</summary>
    protected internal override void TxSync(Ring ring)
    {
        // A persistent port attached to no switch sends into the void.
        Switch?.Forward(this, ring, ring.HwCur, ring.RHead);
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

    /// <summary>A persistent port survives its last handle; an ephemeral one is destroyed unless pipes still hang off it.</summary>
    internal override void OnUnbind(PortHandle handle, bool last)
    {
        if (!Persistent && last && _pipeReferences == 0)
        {
            Destroy();
        }
    }

    /// <summary>A pipe parent starts using this port's region (netmap: the pipe holds a reference to its parent). Domain lock held.</summary>
    internal void AddPipeReference() => _pipeReferences++;

    /// <summary>A pipe parent let go; an ephemeral port nobody binds goes with the last one. Domain lock held.</summary>
    internal void ReleasePipeReference()
    {
        _pipeReferences--;
        if (_pipeReferences == 0 && !Persistent && Bindings == 0)
        {
            Destroy();
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
                // Unmapped now, or when the last zero-copy monitor or pipe using it lets go.
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
