using Netmap.Io.Memory;
using Netmap.Io.Ports.Nic;
using Netmap.Io.Rings;

namespace Netmap.Io.Ports.Monitors;

/// <summary>
/// A monitor (<c>netmap_monitor.c</c>). A copy monitor, opened as <c>PARENT/r</c>, <c>/t</c> or <c>/rt</c>,
/// receives a copy of what the parent port transmits (at submission, before the parent's own TX sync) and/or
/// receives (on arrival, even if the parent's reader never reads). A zero-copy monitor (<c>/z</c>) swaps
/// buffers with the parent instead: TX slots once the port completed them, RX slots once the app released
/// them (the parent slot gets BufChanged). RX ring i gets parent TX ring i and RX ring i; when the parent has host
/// rings the monitor has as many host RX rings, host ring j getting the parent's host TX and RX ring j (opened with
/// the parent's modes: <c>IF^/r</c>, <c>IF*/t</c>). The one TX ring cannot send (its sync fails EIO). The parent
/// is never slowed down: when a monitor ring is full, the oldest excess packets are skipped.
/// A second zero-copy monitor of the same port is chained after the first (netmap's zmon list): it receives
/// the buffers the first monitor's reader releases, and so on down the chain. When a monitor in the chain
/// closes, the ones after it move up to its parent.
/// </summary>
/// <remarks>
/// Ownership: the monitor's rings hold buffers of their own, freed when the monitor's last binding goes. A
/// copy monitor has its own <see cref="Port.Owner"/> (in the parent's region, or the default region when the
/// parent's is a VALE port's private one) and no buffer crosses to the parent. A zero-copy monitor lives in the
/// parent's region and shares its owner, since its buffers and the parent's are exchanged; only its RX rings
/// get buffers (its TX ring can never send), and it holds a reference on that region, so a VALE port's private
/// region outlives the port until the monitor closes.
/// Thread: the parent's TX and RX syncs (and the monitor's forced look at the parent RX ring) write monitor
/// ring i under that ring's producer lock and publish HwTail with a release write; the monitor's reader
/// releases slots by a release write of HwCur.
/// </remarks>
public sealed class MonitorPort : Port
{
    private readonly Lock[] _ringLocks;
    private volatile bool _orphaned;
    private bool _detached;
    private Port _parent;

    /// <remarks>A copy monitor may take its buffers from another region (<paramref name="arena"/>, <paramref name="memId"/>),
    /// e.g. the default one for a VALE port whose private region is sized for its own rings only.</remarks>
    internal MonitorPort(Port parent, string name, MonitorKind kind, bool monitorsTx, bool monitorsRx, int rxRings, int hostRxRings, uint slots, BufferArena? arena = null, ushort memId = 0)
        : base(parent.Domain, name, arena ?? parent.Arena, arena is null ? parent.MemId : memId)
    {
        _parent = parent;
        Kind = kind;
        if (kind == MonitorKind.ZeroCopy)
        {
            // Buffers move between the parent's slots and ours, so they have one owner, as a pipe's ends do.
            Owner = parent.Owner;
        }

        MonitorsTx = monitorsTx;
        MonitorsRx = monitorsRx;
        CreateRings(1, rxRings, 0, hostRxRings, slots, slots);
        _ringLocks = new Lock[rxRings + hostRxRings];
        for (var i = 0; i < _ringLocks.Length; i++)
        {
            _ringLocks[i] = new Lock();
        }

        var done = 0;
        try
        {
            foreach (var ring in TxRingArray)
            {
                if (kind == MonitorKind.ZeroCopy)
                {
                    break; // no buffers for a ring that never sends: the parent's region is shared and tight
                }

                AllocRingBuffers(ring);
                done++;
            }

            foreach (var ring in RxRingArray)
            {
                AllocRingBuffers(ring);
                done++;
            }
        }
        catch (NetmapException)
        {
            // Free what the rings that succeeded hold (the failing ring gave its own back).
            ArenaException? error = null;
            var all = kind == MonitorKind.ZeroCopy ? 0 : TxRingArray.Length;
            for (var i = 0; i < done; i++)
            {
                FreeRingBuffers(i < all ? TxRingArray[i] : RxRingArray[i - all], ref error);
            }

            MarkDestroyed();
            throw;
        }

        Domain.RetainRegion(MemId); // a VALE port's private region stays while this monitor holds buffers in it
    }

    /// <summary>The monitored port; for a chained zero-copy monitor, the zero-copy monitor before it in the chain.</summary>
    public Port Parent
    {
        get => Volatile.Read(ref _parent);
        private set => Volatile.Write(ref _parent, value);
    }

    /// <summary>Copy or zero-copy.</summary>
    public MonitorKind Kind { get; }

    /// <summary>Copy monitors honour offsets; zero-copy ones do not (netmap's rule).</summary>
    public override bool SupportsOffsets => Kind == MonitorKind.Copy;

    /// <summary>True when the monitor sees what the parent transmits (<c>/t</c>).</summary>
    public bool MonitorsTx { get; }

    /// <summary>True when the monitor sees what the parent receives (<c>/r</c>).</summary>
    public bool MonitorsRx { get; }

    /// <summary>True once the parent left netmap mode (its last binding went): syncs fail EIO from then on.</summary>
    public bool IsOrphaned => _orphaned;

    /// <summary>A monitor cannot transmit: always EIO.</summary>
    protected internal override void TxSync(Ring ring) =>
        ThrowHelper.Netmap(NetmapError.EIO, Name, "a monitor cannot transmit");

    /// <summary>
    /// Releases [HwCur, RHead), then looks at the parent's RX ring for packets that arrived since its last
    /// sync (netmap's forced RX sync on parent notification), so the monitor sees them even if nobody reads
    /// the parent. The look holds the parent ring's busy flag, as netmap's <c>nm_kr_tryget</c> does, so a parent
    /// sync that collides with it reports <see cref="SyncStatus.Busy"/>. For a NIC parent the look syncs the bound
    /// parent ring itself (what netmap's forced sync does): frames waiting in the device are copied into the ring,
    /// the user's Head and Tail are left alone, so the parent's reader gets them at its next sync. EIO once the
    /// parent is gone.
    /// </summary>
    protected internal override void RxSync(Ring ring)
    {
        if (_orphaned)
        {
            ThrowHelper.Netmap(NetmapError.EIO, Name, $"the monitored port '{Parent.Name}' left netmap mode");
        }

        // Release: producers overwrite slots up to HwCur - 1; the reader is done with them.
        Volatile.Write(ref ring.HwCur, ring.RHead);
        if (Kind == MonitorKind.Copy && MonitorsRx && ParentRxRingOf(ring) is { } source)
        {
            // Skip when the parent's RX sync runs now: it copies the same slots itself.
            if (source.TryEnterBusy())
            {
                try
                {
                    if (source.Port is NicPort && Volatile.Read(ref source.Users) > 0)
                    {
                        source.Port.RxSync(source); // netmap's forced RX sync: device frames into the ring
                    }

                    source.CopyArrivedToMonitors();
                }
                finally
                {
                    source.ExitBusy();
                }
            }
        }
    }

    /// <summary>Copies the slots [HwCur, RHead) the app hands to <paramref name="source"/> (a parent TX ring) into every TX monitor.</summary>
    internal static void CopyTx(MonitorPort[] monitors, Ring source)
    {
        foreach (var monitor in monitors)
        {
            if (monitor.MonitorsTx && monitor.Kind == MonitorKind.Copy)
            {
                monitor.Transfer(source, source.HwCur, source.RHead, SlotFlags.TxMon, swap: false);
            }
        }
    }

    /// <summary>Copies the slots [from, to) newly arrived in <paramref name="source"/> (a parent RX ring) into every RX monitor.</summary>
    internal static void CopyRx(MonitorPort[] monitors, Ring source, uint from, uint to)
    {
        foreach (var monitor in monitors)
        {
            if (monitor.MonitorsRx && monitor.Kind == MonitorKind.Copy)
            {
                monitor.Transfer(source, from, to, SlotFlags.None, swap: false);
            }
        }
    }

    /// <summary>Zero-copy, after the parent's TX sync: swaps the slots [from, to) the port just completed into every /z monitor.</summary>
    internal static void SwapCompletedTx(MonitorPort[] monitors, Ring source, uint from, uint to)
    {
        foreach (var monitor in monitors)
        {
            if (monitor.MonitorsTx && monitor.Kind == MonitorKind.ZeroCopy)
            {
                monitor.Transfer(source, from, to, SlotFlags.TxMon, swap: true);
            }
        }
    }

    /// <summary>Zero-copy, before the parent's RX sync: swaps the slots [HwCur, RHead) the app released into every /z monitor.</summary>
    internal static void SwapReleasedRx(MonitorPort[] monitors, Ring source)
    {
        foreach (var monitor in monitors)
        {
            if (monitor.MonitorsRx && monitor.Kind == MonitorKind.ZeroCopy)
            {
                monitor.Transfer(source, source.HwCur, source.RHead, SlotFlags.None, swap: true);
            }
        }
    }

    /// <summary>The parent left netmap mode: this monitor and the ones chained after it fail EIO. Domain lock held.</summary>
    internal void Orphan()
    {
        _orphaned = true;
        base.OrphanMonitors();
    }

    /// <summary>
    /// This monitor's last binding goes: the zero-copy monitors chained after it move up to its parent, as
    /// netmap unlinks a zmon from the middle of its list (or fail EIO when this one was orphaned already).
    /// Domain lock held.
    /// </summary>
    internal override void OrphanMonitors()
    {
        var chained = Monitors;
        var parent = Parent;
        foreach (var monitor in chained)
        {
            DetachMonitor(monitor);
            if (_orphaned || parent.IsDestroyed)
            {
                monitor.Orphan();
            }
            else
            {
                monitor.Parent = parent;
                parent.AttachMonitor(monitor);
            }
        }
    }

    /// <summary>The last zero-copy monitor chained after <paramref name="port"/> (itself if it has none): where a new /z monitor goes.</summary>
    internal static Port ZeroCopyChainEnd(Port port)
    {
        while (true)
        {
            MonitorPort? next = null;
            foreach (var monitor in port.Monitors)
            {
                if (monitor.Kind == MonitorKind.ZeroCopy)
                {
                    next = monitor;
                    break;
                }
            }

            if (next is null)
            {
                return port;
            }

            port = next;
        }
    }

    internal override void Destroy()
    {
        if (IsDestroyed)
        {
            return;
        }

        Parent.DetachMonitor(this);
        // A parent sync that took the monitor list before the detach may still be copying: wait for it,
        // and make later ones see the monitor gone before its buffers go back.
        foreach (var l in _ringLocks)
        {
            l.Enter();
        }

        _detached = true;
        foreach (var l in _ringLocks)
        {
            l.Exit();
        }

        try
        {
            base.Destroy();
        }
        finally
        {
            Domain.ReleasePrivateRegion(MemId);
        }
    }

    /// <summary>
    /// The monitor RX ring that gets parent ring <paramref name="source"/>'s packets, or -1: NIC ring i (TX or RX) →
    /// ring i, host ring j of either direction → host ring j (after the NIC rings), as netmap pairs them.
    /// </summary>
    private int MonitorRingOf(Ring source)
    {
        if (!source.IsHostRing)
        {
            return source.RingId < RxRingCount ? source.RingId : -1;
        }

        var parent = source.Port;
        var host = source.RingId - (source.Kind == RingKind.Tx ? parent.TxRingCount : parent.RxRingCount);
        return host < HostRxRingCount ? RxRingCount + host : -1;
    }

    /// <summary>The parent RX ring whose arrivals monitor ring <paramref name="ring"/> gets, or null.</summary>
    private Ring? ParentRxRingOf(Ring ring)
    {
        var parent = Parent;
        var parentRx = parent.RxRingArray;
        if (!ring.IsHostRing)
        {
            return ring.RingId < parent.RxRingCount ? parentRx[ring.RingId] : null;
        }

        var host = ring.RingId - RxRingCount;
        return parent.HasHostRings && host < parent.HostRxRingCount ? parentRx[parent.RxRingCount + host] : null;
    }

    /// <summary>
    /// Moves the slots [from, to) of a parent ring into monitor ring <c>source.RingId</c>: a copy of the bytes,
    /// or (zero-copy) an exchange of buffer index and length, the parent slot getting BufChanged.
    /// </summary>
    private void Transfer(Ring source, uint from, uint to, SlotFlags txMon, bool swap)
    {
        var id = MonitorRingOf(source);
        var rxRings = RxRingArray;
        if (from == to || id < 0)
        {
            return;
        }

        var dst = rxRings[id];
        if (!dst.IsBound || _orphaned)
        {
            return;
        }

        lock (_ringLocks[id])
        {
            if (_detached)
            {
                return;
            }

            var n = source.NumSlots;
            var busy = to >= from ? to - from : to + n - from;
            var dn = dst.NumSlots;
            // Acquire: the reader released the slots before HwCur before writing it.
            var hwcur = Volatile.Read(ref dst.HwCur);
            var tail = dst.HwTail;
            var free = (int)hwcur - (int)tail - 1;
            if (free < 0)
            {
                free += (int)dn;
            }

            if (busy > (uint)free)
            {
                // Overflow: skip the oldest excess; the parent is never held back.
                var skip = busy - (uint)free;
                from = (uint)((from + (ulong)skip) % n);
                busy = (uint)free;
            }

            var srcArena = source.Arena;
            var dstArena = dst.Arena;
            // Down a chain of zero-copy monitors a slot keeps TxMon: it still tells which side the packet came from.
            var keep = source.Port is MonitorPort ? ~SlotFlags.BufChanged : ~(SlotFlags.TxMon | SlotFlags.BufChanged);
            for (var c = 0u; c < busy; c++)
            {
                ref var s = ref source[from];
                ref var d = ref dst[tail];
                if (swap)
                {
                    (s.BufIdx, d.BufIdx) = (d.BufIdx, s.BufIdx);
                    (s.Len, d.Len) = (d.Len, s.Len);
                    d.Flags = (s.Flags & keep) | txMon;
                    s.Flags |= SlotFlags.BufChanged;
                    from = from + 1 == n ? 0 : from + 1;
                    tail = tail + 1 == dn ? 0 : tail + 1;
                    continue;
                }

                var len = 0;
                if (srcArena.IsValidIndex(s.BufIdx) && dstArena.IsValidIndex(d.BufIdx))
                {
                    var sOff = source.ReadOffset(in s);
                    var dOff = dst.ReadOffset(in d);
                    // Truncated to what fits after the monitor slot's offset (and to what the source buffer holds).
                    len = Math.Min(Math.Min((int)s.Len, Math.Max(0, source.BufferSize - sOff)), Math.Max(0, dst.BufferSize - dOff));
                    srcArena.GetBuffer(s.BufIdx).Slice(sOff, len).CopyTo(dstArena.GetBuffer(d.BufIdx).Slice(dOff, len));
                }

                d.Len = (ushort)len;
                // BufChanged describes the parent slot's buffer, not the monitor's copy.
                d.Flags = (s.Flags & ~(SlotFlags.TxMon | SlotFlags.BufChanged)) | txMon;
                from = from + 1 == n ? 0 : from + 1;
                tail = tail + 1 == dn ? 0 : tail + 1;
            }

            // Release: the reader reads HwTail, then the slots before it; they must be written first.
            Volatile.Write(ref dst.HwTail, tail);
        }
    }
}
