using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Netmap.Io.Memory;
using Netmap.Io.Packets;
using Netmap.Io.Ports;
using Netmap.Io.Ports.Monitors;

namespace Netmap.Io.Rings;

/// <summary>
/// A ring of slots over the port's arena (netmap's <c>netmap_ring</c> and its kernel twin <c>netmap_kring</c>).
/// </summary>
/// <remarks>
/// Ownership (netmap's rule): the user owns slots [<see cref="Head"/>, <see cref="Tail"/>); the port owns
/// the rest. One slot is always empty. <see cref="Sync"/> hands slots across: TX passes [old head, head) to
/// the port and may advance Tail; RX releases [old head, head) and advances Tail over new packets.
/// Indices only move forward, modulo <see cref="NumSlots"/> (which need not be a power of two).
/// Thread: the user side (Head, Cur, slots in the user's range) belongs to one thread at a time; a sync
/// running on one ring skips a concurrent sync of the same ring (<see cref="SyncStatus.Busy"/>). While a sync
/// loop owns the ring (<see cref="IsSyncedByLoop"/>), the application writes Head/Cur and reads Tail on its
/// thread and the loop syncs on its own; Head, Cur and Tail are Volatile for that hand-over.
/// The busy flag (netmap's <c>nm_kr_tryget</c>) is biased: a thread that has synced the ring
/// <see cref="BiasAfter"/> times in a row takes it afterwards with a plain store and a load instead of a locked
/// instruction (which would also wait for every buffer write before it to reach the cache: a fifth of a pipe
/// loop's time in a profile). Any other thread takes it with a compare-exchange and a process-wide barrier
/// (asymmetric Dekker), and takes the bias away, so a ring synced from several threads goes back to the
/// compare-exchange alone.
/// </remarks>
public sealed class Ring
{
    private const int EnteredFast = 1;
    private const int EnteredSlow = 2;

    /// <summary>Consecutive syncs by one thread (with no other in between) after which the ring is biased to it.</summary>
    internal const int BiasAfter = 1024;

    private readonly Slot[] _slots;

    // The busy flag in two halves (see the remarks): _busy is taken with a compare-exchange by any thread,
    // the bias's own flag (_bias.Busy) with a plain store by the biased thread only. _holdKind, _lastThread, _run,
    // _runBias and the bias cache are touched only by the holder.
    private int _busy;
    private Bias? _bias;
    private Bias? _runBias;
    private Bias?[]? _biasCache;
    private int _biasCacheNext;
    private int _holdKind;
    private int _lastThread;
    private int _run;
    private uint _head;
    private uint _cur;
    private uint _tail;

    // Port-side state (netmap's kring). HwCur/HwTail: what the port has consumed/produced.
    // RHead/RCur/RTail: the user's head/cur/tail as of the last sync.
    internal uint HwCur;
    internal uint HwTail;
    internal uint RHead;
    internal uint RCur;
    internal uint RTail;
    internal int Users;
    internal bool ExclusiveOwned;

    // The managed thread id of the sync loop that owns this ring's syncs, 0 when none (Sync/SyncLoop.cs).
    internal int SyncLoopThread;

    // HwTail as of the last look for monitors: RX slots from here to HwTail arrived since (copy monitors),
    // TX slots after it up to HwTail's successor completed since (zero-copy monitors).
    internal uint MonitorSeen;

    internal Ring(Port port, RingKind kind, int ringId, bool isHostRing, uint numSlots)
    {
        Debug.Assert(numSlots >= 1);
        Port = port;
        Arena = port.Arena;
        Kind = kind;
        RingId = ringId;
        IsHostRing = isHostRing;
        NumSlots = numSlots;
        _slots = new Slot[numSlots];
        MaxOffset = 0;
        HwBufLen = Arena.BufferSize;
        if (kind == RingKind.Tx)
        {
            // Initial state after bind: TX head = cur = 0, tail = N - 1 (N - 1 free slots).
            HwTail = RTail = Tail = MonitorSeen = numSlots - 1;
        }
    }

    /// <summary>The port this ring belongs to.</summary>
    public Port Port { get; }

    /// <summary>The arena the slots' buffers live in.</summary>
    public BufferArena Arena { get; }

    /// <summary>TX or RX.</summary>
    public RingKind Kind { get; }

    /// <summary>Index of this ring among the port's rings of its direction (host rings follow the NIC rings).</summary>
    public int RingId { get; }

    /// <summary>True for a host (software) ring.</summary>
    public bool IsHostRing { get; }

    /// <summary>Slots in the ring.</summary>
    public uint NumSlots { get; }

    /// <summary>Bytes per buffer.</summary>
    public int BufferSize => Arena.BufferSize;

    /// <summary>First slot owned by the user.</summary>
    /// <remarks>Volatile: with a sync loop running the application writes it and the loop reads it; the
    /// release write publishes the slots filled before it (write Cur first, then Head).</remarks>
    public uint Head
    {
        get => Volatile.Read(ref _head);
        set => Volatile.Write(ref _head, value);
    }

    /// <summary>Wake-up point: a wait returns when Cur != Tail; may run ahead of Head up to Tail.</summary>
    /// <remarks>Volatile, as <see cref="Head"/>.</remarks>
    public uint Cur
    {
        get => Volatile.Read(ref _cur);
        set => Volatile.Write(ref _cur, value);
    }

    /// <summary>
    /// netmap's <c>nr_hwcur</c>: on a TX ring the next slot the port will take (the slots [PortCursor, Head) were
    /// handed over and not yet taken), on an RX ring the first slot not yet released. An application never
    /// needs it to move packets; it tells what a port that failed in its sync never took (to count it).
    /// </summary>
    public uint PortCursor => Volatile.Read(ref HwCur);

    /// <summary>First slot owned by the port (written by the port; a user write is undone at the next sync).</summary>
    /// <remarks>Volatile: with a sync loop running the loop writes it and the application reads it; the
    /// acquire read makes the slots the loop published before it visible.</remarks>
    public uint Tail
    {
        get => Volatile.Read(ref _tail);
        set => Volatile.Write(ref _tail, value);
    }

    /// <summary>True while a sync loop (<see cref="PortHandle.StartSyncLoop"/>) syncs this ring; the application's own syncs fail EBUSY then.</summary>
    public bool IsSyncedByLoop => Volatile.Read(ref SyncLoopThread) != 0;

    /// <summary>
    /// Time of the last RX sync, in <see cref="Stopwatch"/> ticks (netmap's <c>ts</c>): stamped at every RX sync
    /// unless the domain's <see cref="NetmapDomain.NoTimestamp"/> is on, then only with <see cref="RingFlags.Timestamp"/>.
    /// </summary>
    public long Timestamp { get; internal set; }

    /// <summary>The user's ring flags (netmap's <c>netmap_ring.flags</c>).</summary>
    public RingFlags Flags { get; set; }

    /// <summary>Mask over a slot's offset field; 0 when the ring was bound without offsets.</summary>
    public ulong OffsetMask { get; internal set; }

    /// <summary>Largest offset the port honours; larger offsets are cropped to it.</summary>
    public ulong MaxOffset { get; internal set; }

    /// <summary>TX alignment of offsets (0 = none).</summary>
    public uint TxAlign { get; internal set; }

    /// <summary>Alignment a port needs of packet starts, netmap's <c>buf_align</c> (0 = none).</summary>
    public ulong BufAlign { get; internal set; }

    /// <summary>Usable bytes after the offset: min(buffer size - max offset, min gap).</summary>
    public int HwBufLen { get; internal set; }

    internal ulong MinGap { get; set; }

    /// <summary>The ring on the other end of a pipe (slots cross between the two), else null.</summary>
    internal Ring? Peer { get; set; }

    /// <summary>True while at least one handle binds this ring.</summary>
    public bool IsBound => Volatile.Read(ref Users) > 0;

    /// <summary>The slot at <paramref name="index"/>.</summary>
    public ref Slot this[uint index] => ref _slots[index];

    /// <summary>The slot at <paramref name="index"/> without a bounds check, for a port's sync loops.</summary>
    /// <remarks>SAFETY: the caller guarantees <paramref name="index"/> &lt; <see cref="NumSlots"/>, the slot array's
    /// length (a sync's indices are HwCur and the validated RHead, and wrap at NumSlots).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ref Slot SlotUnchecked(uint index)
    {
        Debug.Assert(index < (uint)_slots.Length);
        return ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_slots), (nint)index);
    }

    /// <summary>All the slots, for loops that index them directly.</summary>
    public Span<Slot> Slots => _slots;

    /// <summary>Slots the user owns: (Tail - Head) mod N (on TX, free slots; on RX, received ones).</summary>
    public uint Space
    {
        get
        {
            var space = (int)Tail - (int)Head;
            return (uint)(space < 0 ? space + (int)NumSlots : space);
        }
    }

    /// <summary>True when the user owns no slot (Head == Tail).</summary>
    public bool IsEmpty => Head == Tail;

    /// <summary>TX: slots handed to the port that it has not completed yet (netmap's <c>nm_tx_pending</c>).</summary>
    public bool TxPending => Next(Tail) != Head;

    /// <summary>The index after <paramref name="index"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Next(uint index) => index + 1 == NumSlots ? 0 : index + 1;

    /// <summary>The index before <paramref name="index"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Prev(uint index) => index == 0 ? NumSlots - 1 : index - 1;

    /// <summary>The offset of a slot as the user reads it: <c>Offset &amp; OffsetMask</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong GetOffset(in Slot slot) => slot.Offset & OffsetMask;

    /// <summary>Writes an offset into a slot's offset field, keeping the bits outside the mask.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetOffset(ref Slot slot, ulong offset) => slot.Offset = (slot.Offset & ~OffsetMask) | (offset & OffsetMask);

    /// <summary>The offset as a port reads it: masked, then cropped to <see cref="MaxOffset"/> (netmap crops silently).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ReadOffset(in Slot slot)
    {
        var offset = slot.Offset & OffsetMask;
        return (int)(offset > MaxOffset ? MaxOffset : offset);
    }

    /// <summary>The whole buffer of slot <paramref name="index"/>. ENXIO once no handle binds the ring (its memory may be gone).</summary>
    public Span<byte> Buffer(uint index)
    {
        EnsureBound();
        return Arena.GetBuffer(_slots[index].BufIdx);
    }

    /// <summary>
    /// The slots and buffers of this ring for a per-packet loop, read once (<see cref="RingView"/>): take it after a
    /// sync, use it until the next one. ENXIO once no handle binds the ring.
    /// </summary>
    public RingView View()
    {
        EnsureBound();
        return new(_slots, Arena);
    }

    /// <summary>The packet in slot <paramref name="index"/>: its bytes at the slot's offset, and header push/pop. ENXIO once no handle binds the ring.</summary>
    public PacketView Packet(uint index)
    {
        EnsureBound();
        return new(this, ref _slots[index]);
    }

    // A ring whose handles all closed may belong to a domain that freed its memory: its slots name buffer 0, and an
    // access through them would read or write freed native memory.
    private void EnsureBound()
    {
        if (Volatile.Read(ref Users) == 0)
        {
            ThrowNotBound();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowNotBound() =>
        ThrowHelper.Netmap(NetmapError.ENXIO, Port.Name, $"{(Kind == RingKind.Tx ? "TX" : "RX")} ring {RingId} is not bound (its handle was closed)");

    /// <summary>The fragments of the packet that starts at slot <paramref name="index"/> (MOREFRAG chain), up to Tail.</summary>
    public FragmentEnumerator Fragments(uint index) => new(this, index);

    /// <summary>
    /// Syncs this ring: <see cref="Kind"/> TX runs TxSync, RX runs RxSync. Invalid Head/Cur reset the ring and
    /// report <see cref="SyncStatus.RingReinitialized"/>; a ring no handle binds throws ENXIO.
    /// </summary>
    public SyncStatus Sync() => Kind == RingKind.Tx ? TxSync() : RxSync();

    /// <summary>netmap's <c>txsync</c>: validates Head/Cur, hands [old head, head) to the port, refreshes Tail.</summary>
    public SyncStatus TxSync()
    {
        if (Kind != RingKind.Tx)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, Port.Name, $"TxSync on RX ring {RingId}");
        }

        if (Volatile.Read(ref Users) == 0)
        {
            ThrowHelper.Netmap(NetmapError.ENXIO, Port.Name, $"TX ring {RingId} is not bound");
        }

        // Acquire, paired with the loop's claim: a ring the loop took is never synced by the application too.
        var me = Environment.CurrentManagedThreadId;
        var loopThread = Volatile.Read(ref SyncLoopThread);
        if (loopThread != 0 && loopThread != me)
        {
            ThrowHelper.Netmap(NetmapError.EBUSY, Port.Name, $"TX ring {RingId} is synced by a sync loop");
        }

        if (!EnterBusy(me))
        {
            return SyncStatus.Busy;
        }

        try
        {
            var status = Port.SyncStatusFor(this);
            if (!TxPrologue(out var head, out var cur))
            {
                Reinit();
                return status | SyncStatus.RingReinitialized; // TX: the port sync is skipped
            }

            if (TxAlign != 0)
            {
                CheckTxAlignment(head);
            }

            RHead = head;
            RCur = cur;
            var monitors = Port.Monitors;
            if (monitors.Length != 0)
            {
                MonitorPort.CopyTx(monitors, this); // before the real sync: monitors see frames on submission
            }

            Port.TxSync(this);
            var hwtail = Volatile.Read(ref HwTail);
            if (hwtail != MonitorSeen)
            {
                monitors = Port.Monitors;
                if (monitors.Length != 0)
                {
                    MonitorPort.SwapCompletedTx(monitors, this, Next(MonitorSeen), Next(hwtail)); // zero-copy monitors
                }

                MonitorSeen = hwtail;
            }

            Tail = RTail = hwtail;
            return status;
        }
        finally
        {
            ExitBusy();
        }
    }

    /// <summary>netmap's <c>rxsync</c>: validates Head/Cur, releases [old head, head) to the port, advances Tail over new packets.</summary>
    public SyncStatus RxSync()
    {
        if (Kind != RingKind.Rx)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, Port.Name, $"RxSync on TX ring {RingId}");
        }

        if (Volatile.Read(ref Users) == 0)
        {
            ThrowHelper.Netmap(NetmapError.ENXIO, Port.Name, $"RX ring {RingId} is not bound");
        }

        // Acquire, paired with the loop's claim: a ring the loop took is never synced by the application too.
        var me = Environment.CurrentManagedThreadId;
        var loopThread = Volatile.Read(ref SyncLoopThread);
        if (loopThread != 0 && loopThread != me)
        {
            ThrowHelper.Netmap(NetmapError.EBUSY, Port.Name, $"RX ring {RingId} is synced by a sync loop");
        }

        if (!EnterBusy(me))
        {
            return SyncStatus.Busy;
        }

        try
        {
            var status = Port.SyncStatusFor(this);
            if (RxPrologue(out var head, out var cur))
            {
                RHead = head;
                RCur = cur;
            }
            else
            {
                Reinit();
                status |= SyncStatus.RingReinitialized; // RX: the port sync still runs
            }

            var monitors = Port.Monitors;
            if (monitors.Length != 0 && HwCur != RHead)
            {
                MonitorPort.SwapReleasedRx(monitors, this); // zero-copy monitors take what the app released
            }

            Port.RxSync(this);
            var hwtail = CopyArrivedToMonitors();
            if ((Flags & RingFlags.Timestamp) != 0 || !Port.Domain.NoTimestamp)
            {
                Timestamp = Stopwatch.GetTimestamp();
            }

            Tail = RTail = hwtail;
            return status;
        }
        finally
        {
            ExitBusy();
        }
    }

    /// <summary>
    /// netmap's <c>nm_inject</c> on this ring: copies <paramref name="packet"/> into the slots from Cur on,
    /// one buffer (after the slot's offset) per slot, MOREFRAG on all but the last, then sets Head = Cur past
    /// them. No sync is issued. False when the ring has not enough free slots (nothing is written then).
    /// </summary>
    public bool TryInject(ReadOnlySpan<byte> packet)
    {
        if (Kind != RingKind.Tx)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, Port.Name, $"inject into RX ring {RingId}");
        }

        EnsureBound();

        // First pass: find the last slot without writing anything (netmap's walk from cur).
        var rem = packet.Length;
        var j = Cur;
        var fragments = 1;
        while (true)
        {
            if (j == Tail)
            {
                return false; // no room (netmap would write into the tail slot for an empty packet: not us)
            }

            var room = SlotCapacity(in _slots[j]);
            if (rem <= room)
            {
                break;
            }

            rem -= room;
            j = Next(j);
            if (++fragments > MaxFragments)
            {
                return false;
            }
        }

        var i = Cur;
        var src = packet;
        while (true)
        {
            ref var slot = ref _slots[i];
            var room = SlotCapacity(in slot);
            var n = Math.Min(room, src.Length);
            src[..n].CopyTo(Arena.GetBuffer(slot.BufIdx).Slice(ReadOffset(in slot), n));
            slot.Len = (ushort)n;
            src = src[n..];
            if (i == j)
            {
                slot.Flags = SlotFlags.None;
                break;
            }

            slot.Flags = SlotFlags.MoreFrag;
            i = Next(i);
        }

        Head = Cur = Next(j);
        return true;
    }

    /// <summary>
    /// Gathers the packet that starts at slot <paramref name="start"/> (its MOREFRAG chain) into
    /// <paramref name="destination"/>. Returns the packet's length, or -1 when the chain runs into Tail
    /// (incomplete) or <paramref name="destination"/> is too small. <paramref name="next"/> is the slot after it.
    /// </summary>
    public int CopyPacket(uint start, Span<byte> destination, out uint next, out int fragments)
    {
        var total = 0;
        fragments = 0;
        var k = start;
        while (k != Tail)
        {
            var view = Packet(k);
            var data = view.Data;
            fragments++;
            k = Next(k);
            if (data.Length > destination.Length - total)
            {
                next = k;
                return -1;
            }

            data.CopyTo(destination[total..]);
            total += data.Length;
            if ((view.Flags & SlotFlags.MoreFrag) == 0)
            {
                next = k;
                return total;
            }
        }

        next = k;
        return -1;
    }

    /// <summary>netmap's limit on the fragments of one packet (<c>NETMAP_MAX_FRAGS</c>).</summary>
    public const int MaxFragments = 64;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int SlotCapacity(in Slot slot) => BufferSize - ReadOffset(in slot);

    /// <summary>netmap's <c>nm_txsync_prologue</c>: is the user's head/cur inside [rhead, rtail]?</summary>
    private bool TxPrologue(out uint head, out uint cur)
    {
        head = Head;
        cur = Cur;
        var n = NumSlots;
        if (head >= n || cur >= n)
        {
            return false;
        }

        if (RTail >= RHead)
        {
            if (head < RHead || head > RTail || cur < head || cur > RTail)
            {
                return false;
            }
        }
        else
        {
            // rtail < rhead: head must lie outside (rtail, rhead).
            if (head > RTail && head < RHead)
            {
                return false;
            }

            if (head <= RTail)
            {
                if (cur < head || cur > RTail)
                {
                    return false;
                }
            }
            else if (cur > RTail && cur < head)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>netmap's <c>nm_rxsync_prologue</c>: is the user's head/cur inside [hwcur, hwtail]?</summary>
    private bool RxPrologue(out uint head, out uint cur)
    {
        head = Head;
        cur = Cur;
        var n = NumSlots;
        var hwtail = Volatile.Read(ref HwTail);
        if (head >= n || cur >= n)
        {
            return false;
        }

        if (hwtail >= HwCur)
        {
            if (head < HwCur || head > hwtail || cur < head || cur > hwtail)
            {
                return false;
            }
        }
        else
        {
            if (head > hwtail && head < HwCur)
            {
                return false;
            }

            if (head <= hwtail)
            {
                if (cur < head || cur > hwtail)
                {
                    return false;
                }
            }
            else if (cur > hwtail && cur < head)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// netmap's <c>netmap_ring_reinit</c>, always resetting (this project's decision): slots with an invalid
    /// buffer get index 0 and length 0, slots longer than a buffer get length 0, and head/cur/tail go back
    /// to the port's view.
    /// </summary>
    private void Reinit()
    {
        var bufSize = BufferSize;
        for (var i = 0; i < _slots.Length; i++)
        {
            ref var slot = ref _slots[i];
            if (!Arena.IsValidIndex(slot.BufIdx))
            {
                slot.BufIdx = 0;
                slot.Len = 0;
            }
            else if (slot.Len > bufSize)
            {
                slot.Len = 0;
            }
        }

        Head = RHead = HwCur;
        Cur = RCur = HwCur;
        Tail = RTail = Volatile.Read(ref HwTail);
    }

    private void CheckTxAlignment(uint head)
    {
        var mask = (ulong)TxAlign - 1;
        for (var k = HwCur; k != head; k = Next(k))
        {
            var offset = GetOffset(in _slots[k]);
            if ((offset & mask) != 0)
            {
                ThrowHelper.Netmap(NetmapError.EINVAL, Port.Name,
                    $"TX ring {RingId} slot {k}: offset {offset} is not a multiple of the TX alignment {TxAlign}; nothing was sent");
            }
        }
    }

    /// <summary>
    /// RX, with the busy flag held: copies the slots that arrived since the last look into the port's
    /// monitors and returns the HwTail it read (the tail the user gets, so no packet reaches the user before
    /// its monitors).
    /// </summary>
    internal uint CopyArrivedToMonitors()
    {
        var hwtail = Volatile.Read(ref HwTail);
        if (hwtail != MonitorSeen)
        {
            var monitors = Port.Monitors;
            if (monitors.Length != 0)
            {
                MonitorPort.CopyRx(monitors, this, MonitorSeen, hwtail);
            }

            MonitorSeen = hwtail;
        }

        return hwtail;
    }

    /// <summary>The managed thread id the busy flag is biased to, 0 when none (tests, diagnostics).</summary>
    internal int BiasedThread => Volatile.Read(ref _bias)?.Thread ?? 0;

    /// <summary>Takes the busy flag as a sync does; false when a sync holds it.</summary>
    internal bool TryEnterBusy() => EnterBusy(Environment.CurrentManagedThreadId);

    /// <summary>Releases the busy flag taken by <see cref="TryEnterBusy"/> (or by a sync).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void ExitBusy()
    {
        // Release: the next holder, on any thread, sees what this one wrote. A fast holder's bias cannot change while
        // it holds (a slow entrant backs off when it sees the bias's flag set), so _bias is the one it entered with.
        if (_holdKind == EnteredFast)
        {
            Volatile.Write(ref _bias!.Busy, 0);
        }
        else
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>Takes the busy flag for the calling thread <paramref name="me"/>; false when another holds it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool EnterBusy(int me)
    {
        var bias = _bias;
        if (bias is not null && bias.Thread == me)
        {
            if (bias.Busy != 0)
            {
                return false; // we hold it already (only the biased thread sets its flag): a nested sync is refused, as before
            }

            // Dekker's handshake without a fence on this side: publish the flag, then look at _busy. The other side
            // (EnterBusySlow) takes _busy and then runs a process-wide barrier before it reads the flag, so either it
            // sees our store, or our load runs after the barrier and sees its _busy; at most one of us enters.
            // Volatile keeps the JIT from moving the load above the store; the CPU may still reorder the two, which
            // is what the other side's barrier covers. The bias may have moved on since we read it (we were
            // descheduled in between): the flag we set is then our old bias's, which nobody else reads, and the second
            // read of _bias sends us to the slow path. (With one flag shared by every bias, a thread that had lost the
            // bias cleared the new holder's flag on its way out, and two threads held the ring together.)
            Volatile.Write(ref bias.Busy, 1);
            if (Volatile.Read(ref _busy) == 0 && ReferenceEquals(Volatile.Read(ref _bias), bias))
            {
                _holdKind = EnteredFast;
                return true;
            }

            Volatile.Write(ref bias.Busy, 0);
        }

        return EnterBusySlow(me);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool EnterBusySlow(int me)
    {
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            return false;
        }

        var bias = Volatile.Read(ref _bias);
        if (bias is not null && bias.Thread != me)
        {
            // The biased thread may be inside with its flag only: after this barrier its store is visible to us,
            // or its next look at _busy sees ours.
            Interlocked.MemoryBarrierProcessWide();
            if (Volatile.Read(ref bias.Busy) != 0)
            {
                Volatile.Write(ref _busy, 0);
                return false;
            }

            // A second thread syncs this ring: the bias goes, or every sync of ours would pay the barrier. (Its holder
            // sees the change at its next look, made after our release of _busy, which it reads first.)
            Volatile.Write(ref _bias, null);
        }

        if (_lastThread == me)
        {
            if (++_run == BiasAfter)
            {
                Volatile.Write(ref _bias, _runBias); // before the release of _busy below: no fast entry while we hold it
            }
        }
        else
        {
            _lastThread = me;
            _run = 1;
            _runBias = BiasFor(me);
        }

        _holdKind = EnteredSlow;
        return true;
    }

    // Thread me's bias object: one per thread that syncs this ring, made the first time it does (a change of hands,
    // not a steady state) and kept in a small cache; never handed to another thread, whose flag it would then be.
    private Bias BiasFor(int me)
    {
        var cache = _biasCache ??= new Bias[4];
        for (var i = 0; i < cache.Length; i++)
        {
            if (cache[i]?.Thread == me)
            {
                return cache[i]!;
            }
        }

        var bias = new Bias(me);
        cache[_biasCacheNext] = bias; // evicts another thread's (it gets a new one if it comes back)
        _biasCacheNext = (_biasCacheNext + 1) % cache.Length;
        return bias;
    }

    // The thread the busy flag is biased to, and that thread's own half of the flag.
    private sealed class Bias(int thread)
    {
        public readonly int Thread = thread;
        public int Busy;
    }

    /// <summary>Puts the ring back in its just-created state (a pipe created afresh, a port re-created).</summary>
    internal void ResetState()
    {
        HwCur = RHead = RCur = Head = Cur = 0;
        HwTail = RTail = Tail = Kind == RingKind.Tx ? NumSlots - 1 : 0;
        MonitorSeen = HwTail;
    }
}
