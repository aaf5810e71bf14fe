using System.Diagnostics;
using Netmap.Io.Memory;
using Netmap.Io.Rings;

namespace Netmap.Io.Ports.Nic;

/// <summary>
/// A network interface in netmap's emulated ("generic") mode (<c>netmap_generic.c</c>): <c>netmap:IF</c> over an
/// <see cref="INicBackend"/>. NIC TX ring q copies the frames the application hands over to device queue q,
/// NIC RX ring q copies the frames device queue q received into its buffers, and the host rings talk to the
/// host network stack (netmap-notes §8). Opened as <c>netmap:IF</c> (NIC rings), <c>IF^</c> (host rings),
/// <c>IF*</c> (both), <c>IF-K</c> / <c>IF^K</c> (one NIC / host ring).
/// </summary>
/// <remarks>
/// <para>Life: created by the first open of the interface (which alone decides the ring, slot and host-ring
/// counts, as netmap honours them only with no user bound), destroyed when the last handle closes; the next
/// open starts afresh with one host ring per direction unless it asks otherwise. The interface is in netmap
/// mode (<see cref="INicBackend.SetNetmapMode"/>) for exactly the port's life, and each NIC ring's queue is in
/// netmap mode while the ring is bound (<see cref="INicBackend.SetQueueNetmapMode"/>). A backend the port
/// owns (one a <see cref="NetmapDomain.NicBackendFactory"/> made) is disposed with the port.</para>
/// <para>NIC TX sync: slots [HwCur, Head) frame by frame (a MOREFRAG chain gathered into one frame, each slot
/// read at its offset), each handed to <see cref="INicBackend.TrySend"/>; one <see cref="INicBackend.FlushSend"/>
/// per sync; sent slots complete at once (Tail = HwCur − 1). A frame the device refuses, and a trailing chain
/// whose last fragment is not there yet, stay in the ring for the next sync. With checksum offload off
/// (<see cref="SoftwareTxChecksums"/>) every frame is copied and its IPv4, TCP and UDP checksums filled in.
/// NIC RX sync: released slots go back to the port, then frames from <see cref="INicBackend.TryReceive"/> are
/// copied in at each slot's offset, split over up to 64 slots (MOREFRAG on all but the last), until the ring
/// is full; a frame that does not fit the free slots waits in the port for the next sync.
/// Host TX sync hands every complete frame to <see cref="INicBackend.TrySendToHost"/> and frees the slots at
/// once (refusals are counted drops); host RX sync copies host-stack frames in, one buffer each (a longer
/// frame is dropped, as netmap does).</para>
/// <para>Drops are counted per reason (<see cref="NicDropReason"/>), never silent. A backend without host
/// rings gets netmap's fake host rings: one per direction, with no buffers, that no mode can bind (SW modes
/// fail EINVAL).</para>
/// Ownership: every slot of every real ring holds a buffer of the port's owner for the port's whole life;
/// frames are copied between those buffers and the device, never moved.
/// Thread: each ring syncs on one thread at a time (<see cref="Ring"/>'s busy flag); different rings use
/// different device queues, so they may sync on different threads at once, as the backend allows.
/// </remarks>
public sealed class NicPort : Port
{
    /// <summary>Slots per ring unless the open asks otherwise (netmap's <c>generic_ringsize</c>).</summary>
    public const int DefaultSlots = 1024;

    /// <summary>Frames shorter than an Ethernet header are dropped as <see cref="NicDropReason.Runt"/>.</summary>
    public const int MinFrameSize = 14;

    private const int DropReasonCount = (int)NicDropReason.ForwardRefused + 1;

    private readonly INicBackend _backend;
    private readonly bool _ownsBackend;
    private readonly RingState[] _tx;
    private readonly RingState[] _rx;
    private readonly Lock _notifyGate = new();
    private bool _netmapMode;
    private bool _notifying;
    private int _softwareTxChecksums;
    private int _verifyRxChecksums;

    internal NicPort(NetmapDomain domain, string name, BufferArena arena, ushort memId, INicBackend backend, bool ownsBackend,
        int hostTxRings, int hostRxRings, uint txSlots, uint rxSlots)
        : base(domain, name, arena, memId)
    {
        _backend = backend;
        _ownsBackend = ownsBackend;
        var host = backend.SupportsHostRings;
        CreateRings(backend.TxQueues, backend.RxQueues, host ? hostTxRings : 1, host ? hostRxRings : 1, txSlots, rxSlots);
        _tx = NewStates(TxRingArray.Length);
        _rx = NewStates(RxRingArray.Length);
        try
        {
            foreach (var ring in TxRingArray)
            {
                if (host || !ring.IsHostRing)
                {
                    AllocRingBuffers(ring);
                }
            }

            foreach (var ring in RxRingArray)
            {
                if (host || !ring.IsHostRing)
                {
                    AllocRingBuffers(ring);
                }
            }

            backend.Notify = Notify;
            backend.SetHostRingCounts(host ? HostTxRingCount : 0, host ? HostRxRingCount : 0);
            _netmapMode = true; // set first: a backend that throws half way is still told to leave the mode
            backend.SetNetmapMode(true);
        }
        catch
        {
            MarkDestroyed();
            ReleaseResources();
            throw;
        }
    }

    /// <summary>The device behind the port.</summary>
    public INicBackend Backend => _backend;

    /// <summary>The interface's name (the <c>IF</c> of <c>netmap:IF</c>).</summary>
    public string InterfaceName => _backend.InterfaceName;

    /// <summary>The largest frame the device carries; longer ones are dropped (<see cref="NicDropReason.Oversize"/>).</summary>
    public int MaxFrameSize => _backend.MaxFrameSize;

    /// <summary>
    /// Checksum offload off: NIC TX fills in the IPv4 header checksum and the TCP/UDP checksum (IPv4 and IPv6,
    /// VLAN-tagged or not) of every frame in software before the device gets it. Asked for with
    /// <see cref="RegisterOptions.SoftwareTxChecksums"/> or <c>@csum=sw</c>; stays on until the port is closed.
    /// </summary>
    public bool SoftwareTxChecksums => Volatile.Read(ref _softwareTxChecksums) != 0;

    /// <summary>
    /// NIC RX checks the IPv4, TCP and UDP checksums of every received frame and counts the wrong ones
    /// (<see cref="NicPortCounters.RxBadChecksums"/>); the frames are delivered all the same. Asked for with
    /// <see cref="RegisterOptions.VerifyRxChecksums"/> or <c>@csum:rx=verify</c>.
    /// </summary>
    public bool VerifyRxChecksums => Volatile.Read(ref _verifyRxChecksums) != 0;

    /// <summary>Real host rings when the backend reaches the host stack; otherwise the host rings are fake and cannot be bound.</summary>
    public override bool HasHostRings => _backend.SupportsHostRings;

    /// <summary>Notification-mode sync loops are served when the backend raises <see cref="INicBackend.Notify"/>.</summary>
    internal override bool CanNotify => _backend.SupportsNotify;

    /// <summary>
    /// Frames handed to the NIC TX rings that never reached the wire: dropped by the port (longer than the device's
    /// largest frame, more than 64 slots, shorter than a header, an invalid slot) or refused by the device
    /// (<see cref="INicBackend.TxRefused"/>). Any thread; does not allocate.
    /// </summary>
    public long TxRefused()
    {
        long refused = 0;
        for (var i = 0; i < TxRingCount; i++)
        {
            refused += _tx[i].TotalDrops() + _backend.TxRefused(i);
        }

        return refused;
    }

    /// <summary>How often at most an idle port asks its device whether it still exists (<see cref="INicBackend.DeviceGone"/>).</summary>
    public static readonly TimeSpan PresenceCheckInterval = TimeSpan.FromMilliseconds(100);

    private static readonly long PresenceCheckTicks = (long)(PresenceCheckInterval.TotalSeconds * Stopwatch.Frequency);
    private long _nextPresenceCheck;

    // ENXIO once the device is gone, asked at most every PresenceCheckInterval (a clock read per idle sync otherwise).
    private void CheckPresence()
    {
        var now = Stopwatch.GetTimestamp();
        var next = Volatile.Read(ref _nextPresenceCheck);
        if (now < next || Interlocked.CompareExchange(ref _nextPresenceCheck, now + PresenceCheckTicks, next) != next)
        {
            return;
        }

        if (_backend.DeviceGone())
        {
            ThrowHelper.Netmap(NetmapError.ENXIO, Name, $"interface '{InterfaceName}' is gone (deleted, or moved to another namespace)");
        }
    }

    /// <summary>True when a NIC TX queue has frames still waiting for the device (<see cref="INicBackend.SendPending"/>): a TX sync kicks them.</summary>
    public bool SendPending()
    {
        for (var i = 0; i < TxRingCount; i++)
        {
            if (_backend.SendPending(i))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Frames the device received and skipped, too long to hand over (<see cref="INicBackend.RxSkipped"/>), over the NIC RX queues.</summary>
    public long RxSkipped()
    {
        long skipped = 0;
        for (var i = 0; i < RxRingCount; i++)
        {
            skipped += _backend.RxSkipped(i);
        }

        return skipped;
    }

    /// <summary>The port's counters now, summed over its rings (a snapshot; allocates).</summary>
    public NicPortCounters ReadCounters()
    {
        var drops = new long[DropReasonCount];
        long txFrames = 0, txBytes = 0, rxFrames = 0, rxBytes = 0, hostTxFrames = 0, hostTxBytes = 0, hostRxFrames = 0, hostRxBytes = 0, bad = 0;
        for (var i = 0; i < _tx.Length; i++)
        {
            var state = _tx[i];
            if (i < TxRingCount)
            {
                txFrames += Volatile.Read(ref state.Frames);
                txBytes += Volatile.Read(ref state.Bytes);
            }
            else
            {
                hostTxFrames += Volatile.Read(ref state.Frames);
                hostTxBytes += Volatile.Read(ref state.Bytes);
            }

            state.AddDropsTo(drops);
        }

        for (var i = 0; i < _rx.Length; i++)
        {
            var state = _rx[i];
            if (i < RxRingCount)
            {
                rxFrames += Volatile.Read(ref state.Frames);
                rxBytes += Volatile.Read(ref state.Bytes);
            }
            else
            {
                hostRxFrames += Volatile.Read(ref state.Frames);
                hostRxBytes += Volatile.Read(ref state.Bytes);
            }

            bad += Volatile.Read(ref state.BadChecksums);
            state.AddDropsTo(drops);
        }

        return new NicPortCounters(drops)
        {
            TxFrames = txFrames,
            TxBytes = txBytes,
            RxFrames = rxFrames,
            RxBytes = rxBytes,
            HostTxFrames = hostTxFrames,
            HostTxBytes = hostTxBytes,
            HostRxFrames = hostRxFrames,
            HostRxBytes = hostRxBytes,
            RxBadChecksums = bad,
        };
    }

    /// <summary>Turns on what an open asked for (never off: other handles may rely on it). Domain lock held.</summary>
    internal void EnableChecksums(bool softwareTx, bool verifyRx)
    {
        if (softwareTx)
        {
            Volatile.Write(ref _softwareTxChecksums, 1);
        }

        if (verifyRx)
        {
            Volatile.Write(ref _verifyRxChecksums, 1);
        }
    }

    /// <summary>
    /// NIC ring: hands the complete frames of [HwCur, RHead) to the device until it refuses one, kicks it once,
    /// completes what was sent. Host ring: hands every complete frame to the host stack and frees the slots.
    /// </summary>
    protected internal override void TxSync(Ring ring)
    {
        var state = _tx[ring.RingId];
        var host = ring.IsHostRing;
        var queue = host ? ring.RingId - TxRingCount : ring.RingId;
        // Read once: the device calls below are interface calls the JIT cannot see through.
        var backend = _backend;
        var maxFrame = backend.MaxFrameSize;
        var softwareChecksums = !host && Volatile.Read(ref _softwareTxChecksums) != 0;
        var start = ring.HwCur;
        var k = start;
        var head = ring.RHead;
        long frames = 0, bytes = 0;
        while (k != head)
        {
            var verdict = Measure(ring, k, head, out var end, out var length, out var fragments);
            if (verdict == Verdict.Incomplete)
            {
                break; // a trailing MOREFRAG chain waits for its last fragment
            }

            if (verdict == Verdict.Ok && length > maxFrame)
            {
                verdict = Verdict.Oversize;
            }

            if (verdict != Verdict.Ok)
            {
                state.Drops[(int)ReasonOf(verdict)]++;
                k = end;
                continue;
            }

            ReadOnlySpan<byte> frame = fragments == 1 && !softwareChecksums
                ? SlotData(ring, k)
                : Gather(ring, k, length, state, maxFrame, softwareChecksums);
            if (host)
            {
                if (backend.TrySendToHost(queue, frame))
                {
                    frames++;
                    bytes += length;
                }
                else
                {
                    state.Drops[(int)NicDropReason.HostRefused]++;
                }
            }
            else
            {
                if (!backend.TrySend(queue, frame))
                {
                    break; // the device is full: this frame and the rest stay for the next sync
                }

                frames++;
                bytes += length;
            }

            k = end;
        }

        if (!host && (frames != 0 || backend.SendPending(queue)))
        {
            backend.FlushSend(queue);
            if (backend.SendPending(queue))
            {
                CheckPresence(); // the kick was refused: a device gone takes nothing, ever
            }
        }

        for (var j = start; j != k; j = ring.Next(j))
        {
            ring[j].Flags &= ~SlotFlags.BufChanged;
        }

        ring.HwCur = k;
        // Release: the slots up to here are the user's again once Tail moves (a sync loop's reader).
        Volatile.Write(ref ring.HwTail, ring.Prev(k));
        state.Count(frames, bytes);
    }

    /// <summary>
    /// Takes back the released slots [HwCur, RHead), then copies frames from the device (NIC ring) or the host
    /// stack (host ring) into the free slots and publishes them by moving HwTail.
    /// </summary>
    protected internal override void RxSync(Ring ring)
    {
        var state = _rx[ring.RingId];
        var host = ring.IsHostRing;
        var queue = host ? ring.RingId - RxRingCount : ring.RingId;
        var head = ring.RHead;
        if (ring.HwCur != head && ((ring.Flags & RingFlags.Forward) != 0 || Domain.Forward))
        {
            ForwardReleased(ring, host, state, head);
        }

        for (var j = ring.HwCur; j != head; j = ring.Next(j))
        {
            ring[j].Flags &= ~SlotFlags.BufChanged;
        }

        ring.HwCur = head;
        var stop = ring.Prev(head); // the one slot that always stays empty
        var tail = ring.HwTail;
        var backend = _backend; // read once, as in TxSync
        // netmap: a NIC RX frame may span up to 64 slots; a host RX frame must fit one buffer.
        var maxFragments = host ? 1 : Ring.MaxFragments;
        var maxFrame = host ? int.MaxValue : backend.MaxFrameSize;
        var verify = !host && Volatile.Read(ref _verifyRxChecksums) != 0;
        long frames = 0, bytes = 0;
        if (state.StashLength >= 0)
        {
            // The frame that did not fit last time goes first, so frames keep their order.
            var stashed = new ReadOnlySpan<byte>(state.Scratch, 0, state.StashLength);
            var placement = Place(ring, ref tail, stop, stashed, maxFragments);
            if (placement == Placement.NoRoom)
            {
                Volatile.Write(ref ring.HwTail, tail);
                return;
            }

            if (placement == Placement.Placed)
            {
                Delivered(state, stashed, verify, ref frames, ref bytes);
            }
            else
            {
                state.Drops[(int)(host ? NicDropReason.Oversize : NicDropReason.TooManyFragments)]++;
            }

            state.StashLength = -1;
        }

        while (tail != stop)
        {
            var got = host ? backend.TryReceiveFromHost(queue, out var frame) : backend.TryReceive(queue, out frame);
            if (!got)
            {
                break;
            }

            var placement = frame.Length < MinFrameSize ? Placement.Runt
                : frame.Length > maxFrame ? Placement.Oversize
                : Place(ring, ref tail, stop, frame, maxFragments);
            switch (placement)
            {
                case Placement.Placed:
                    Delivered(state, frame, verify, ref frames, ref bytes);
                    break;
                case Placement.NoRoom:
                    Stash(state, frame, host ? ring.BufferSize : backend.MaxFrameSize);
                    break;
                case Placement.Runt:
                    state.Drops[(int)NicDropReason.Runt]++;
                    break;
                case Placement.Oversize:
                    state.Drops[(int)NicDropReason.Oversize]++;
                    break;
                default:
                    state.Drops[(int)(host ? NicDropReason.Oversize : NicDropReason.TooManyFragments)]++;
                    break;
            }

            if (host)
            {
                backend.ReleaseFromHost(queue);
            }
            else
            {
                backend.ReleaseReceived(queue);
            }

            if (placement == Placement.NoRoom)
            {
                break;
            }
        }

        // Release: the reader reads HwTail (through Tail), then the slots before it; they must be written first.
        Volatile.Write(ref ring.HwTail, tail);
        state.Count(frames, bytes);
        if (frames == 0 && !host)
        {
            CheckPresence(); // nothing came: is there still a device to come from?
        }
    }

    /// <summary>
    /// netmap's transparent mode (<c>NS_FORWARD</c> with <c>NR_FORWARD</c> or <c>dev.netmap.fwd</c>): the released slots
    /// [HwCur, <paramref name="head"/>) marked <see cref="SlotFlags.Forward"/> go to the other side. From a NIC RX ring
    /// each frame is copied to the host stack (netmap's <c>netmap_send_up</c>); from a host RX ring to the wire, through
    /// the queue of the first NIC TX ring no other thread is syncing (netmap moves them into the NIC TX rings of the same
    /// handle; here, with every NIC TX ring busy elsewhere, they are refused, counted). A slot shorter than a header, longer than its
    /// buffer after its offset, or part of a multi-slot frame is skipped, as netmap skips it, and counted.
    /// </summary>
    private void ForwardReleased(Ring ring, bool host, RingState state, uint head)
    {
        var backend = _backend;
        Ring? wire = null;
        if (host)
        {
            // The first NIC TX ring no other thread is syncing now; none free: what should go to the wire is refused.
            for (var q = 0; q < TxRingCount && wire is null; q++)
            {
                wire = TxRingArray[q].TryEnterBusy() ? TxRingArray[q] : null;
            }
        }

        try
        {
            var chained = false;
            var sent = false;
            for (var j = ring.HwCur; j != head; j = ring.Next(j))
            {
                ref var slot = ref ring[j];
                var flags = slot.Flags;
                var inChain = chained;
                chained = (flags & SlotFlags.MoreFrag) != 0;
                if ((flags & SlotFlags.Forward) == 0)
                {
                    continue;
                }

                var offset = (int)ring.ReadOffset(in slot);
                if (inChain || chained || slot.Len < MinFrameSize || slot.Len > ring.BufferSize - offset)
                {
                    state.Drops[(int)NicDropReason.ForwardSkipped]++;
                    continue;
                }

                var frame = ring.Arena.GetBuffer(slot.BufIdx).Slice(offset, slot.Len);
                bool taken;
                if (!host)
                {
                    taken = backend.TrySendToHost(0, frame);
                }
                else
                {
                    taken = wire is not null && backend.TrySend(wire.RingId, frame);
                    sent |= taken;
                }

                if (!taken)
                {
                    state.Drops[(int)NicDropReason.ForwardRefused]++;
                }
            }

            if (sent)
            {
                backend.FlushSend(wire!.RingId);
            }
        }
        finally
        {
            wire?.ExitBusy();
        }
    }

    /// <summary>Tells the device which NIC queues now have a bound ring (netmap's per-ring mode). Domain lock held.</summary>
    internal override void OnBind(PortHandle handle)
    {
        foreach (var ring in handle.TxRingArray)
        {
            if (!ring.IsHostRing && ring.Users == 1)
            {
                _backend.SetQueueNetmapMode(RingKind.Tx, ring.RingId, true);
            }
        }

        foreach (var ring in handle.RxRingArray)
        {
            if (!ring.IsHostRing && ring.Users == 1)
            {
                _backend.SetQueueNetmapMode(RingKind.Rx, ring.RingId, true);
            }
        }
    }

    /// <summary>Turns off the queues whose last ring user left; the last binding destroys the port. Domain lock held.</summary>
    internal override void OnUnbind(PortHandle handle, bool last)
    {
        // A failed open unbinds with no handle: it bound no ring.
        if (handle is not null && !IsDestroyed)
        {
            foreach (var ring in handle.TxRingArray)
            {
                if (!ring.IsHostRing && ring.Users == 0)
                {
                    _backend.SetQueueNetmapMode(RingKind.Tx, ring.RingId, false);
                }
            }

            foreach (var ring in handle.RxRingArray)
            {
                if (!ring.IsHostRing && ring.Users == 0)
                {
                    _backend.SetQueueNetmapMode(RingKind.Rx, ring.RingId, false);
                }
            }
        }

        if (last)
        {
            Destroy();
        }
    }

    /// <summary>Asks the device for notifications while a listener (a Notification-mode sync loop, a pipeline port) listens, and only then.</summary>
    private protected override void OnNotifyListenersChanged()
    {
        lock (_notifyGate)
        {
            var wanted = HasNotifyListeners && !IsDestroyed;
            if (wanted != _notifying)
            {
                _notifying = wanted;
                _backend.EnableNotify(wanted);
            }
        }
    }

    /// <summary>The interface leaves netmap mode, the ring buffers go back, an owned backend is disposed.</summary>
    internal override void Destroy()
    {
        if (IsDestroyed)
        {
            return;
        }

        MarkDestroyed();
        Domain.ForgetNicPort(this);
        ReleaseResources();
    }

    private static RingState[] NewStates(int count)
    {
        var states = new RingState[count];
        for (var i = 0; i < count; i++)
        {
            states[i] = new RingState();
        }

        return states;
    }

    /// <summary>Leaves netmap mode, frees every ring buffer and disposes an owned backend, whatever fails on the way.</summary>
    private void ReleaseResources()
    {
        ArenaException? error = null;
        try
        {
            _backend.Notify = null;
            lock (_notifyGate)
            {
                if (_notifying)
                {
                    _notifying = false;
                    _backend.EnableNotify(false);
                }
            }

            if (_netmapMode)
            {
                _netmapMode = false;
                _backend.SetNetmapMode(false);
            }
        }
        finally
        {
            foreach (var ring in TxRingArray)
            {
                FreeRingBuffers(ring, ref error);
            }

            foreach (var ring in RxRingArray)
            {
                FreeRingBuffers(ring, ref error);
            }

            if (_ownsBackend)
            {
                _backend.Dispose();
            }
        }

        if (error is not null)
        {
            throw error;
        }
    }

    /// <summary>
    /// Walks the packet that starts at <paramref name="start"/>: its fragments up to the first without
    /// MOREFRAG, before <paramref name="head"/>. Lengths are clamped to the buffer after each slot's offset.
    /// </summary>
    private static Verdict Measure(Ring ring, uint start, uint head, out uint end, out int length, out int fragments)
    {
        length = 0;
        fragments = 0;
        var valid = true;
        var arena = ring.Arena;
        var k = start;
        while (k != head)
        {
            ref var slot = ref ring[k];
            k = ring.Next(k);
            fragments++;
            if (arena.IsValidIndex(slot.BufIdx))
            {
                length += FragmentLength(ring, in slot);
            }
            else
            {
                valid = false;
            }

            if ((slot.Flags & SlotFlags.MoreFrag) == 0)
            {
                end = k;
                return !valid ? Verdict.InvalidSlot
                    : fragments > Ring.MaxFragments ? Verdict.TooManyFragments
                    : length < MinFrameSize ? Verdict.Runt
                    : Verdict.Ok;
            }
        }

        end = start;
        return Verdict.Incomplete;
    }

    private static int FragmentLength(Ring ring, in Slot slot)
    {
        var offset = ring.ReadOffset(in slot);
        var room = ring.BufferSize - offset;
        return slot.Len > room ? room : slot.Len; // netmap's copy check: clamped to the buffer after the offset
    }

    private static ReadOnlySpan<byte> SlotData(Ring ring, uint index)
    {
        ref var slot = ref ring[index];
        return ring.Arena.GetBuffer(slot.BufIdx).Slice(ring.ReadOffset(in slot), FragmentLength(ring, in slot));
    }

    /// <summary>Copies the fragments of a measured packet into the ring's scratch buffer, filling checksums if asked.</summary>
    private static ReadOnlySpan<byte> Gather(Ring ring, uint start, int length, RingState state, int maxFrame, bool fillChecksums)
    {
        var scratch = state.Scratch ??= new byte[maxFrame]; // once per ring, on its first multi-slot or checksummed frame
        var at = 0;
        var k = start;
        while (at < length)
        {
            var data = SlotData(ring, k);
            data.CopyTo(scratch.AsSpan(at));
            at += data.Length;
            k = ring.Next(k);
        }

        var frame = scratch.AsSpan(0, length);
        if (fillChecksums)
        {
            SoftwareChecksum.Fill(frame);
        }

        return frame;
    }

    /// <summary>
    /// Copies <paramref name="frame"/> into the free slots from <paramref name="tail"/> (never reaching
    /// <paramref name="stop"/>), each at its offset, MOREFRAG on all but the last, and advances
    /// <paramref name="tail"/> past it. Nothing is written unless the whole frame fits. A slot whose buffer index
    /// is invalid (the user's doing) holds no bytes: it becomes an empty MOREFRAG fragment, so no byte is lost.
    /// </summary>
    private static Placement Place(Ring ring, ref uint tail, uint stop, ReadOnlySpan<byte> frame, int maxFragments)
    {
        // First pass: find the last slot, writing nothing.
        var remaining = frame.Length;
        var k = tail;
        var fragments = 0;
        while (true)
        {
            if (fragments == maxFragments)
            {
                return Placement.TooBig;
            }

            if (k == stop)
            {
                // With every slot free and still no fit, it never will.
                return tail == ring.HwCur ? Placement.TooBig : Placement.NoRoom;
            }

            fragments++;
            var room = Capacity(ring, in ring[k]);
            if (remaining <= room)
            {
                break;
            }

            remaining -= room;
            k = ring.Next(k);
        }

        var last = k;
        var src = frame;
        var arena = ring.Arena;
        k = tail;
        while (true)
        {
            ref var slot = ref ring[k];
            var room = Capacity(ring, in slot);
            var n = Math.Min(room, src.Length);
            if (n != 0)
            {
                src[..n].CopyTo(arena.GetBuffer(slot.BufIdx).Slice(ring.ReadOffset(in slot), n));
                src = src[n..];
            }

            slot.Len = (ushort)n;
            if (k == last)
            {
                slot.Flags = SlotFlags.None;
                break;
            }

            slot.Flags = SlotFlags.MoreFrag;
            k = ring.Next(k);
        }

        tail = ring.Next(last);
        return Placement.Placed;
    }

    private static int Capacity(Ring ring, in Slot slot) =>
        ring.Arena.IsValidIndex(slot.BufIdx) ? ring.BufferSize - ring.ReadOffset(in slot) : 0;

    private static void Delivered(RingState state, ReadOnlySpan<byte> frame, bool verify, ref long frames, ref long bytes)
    {
        frames++;
        bytes += frame.Length;
        if (verify && !SoftwareChecksum.Verify(frame))
        {
            state.BadChecksums++;
        }
    }

    /// <summary>Keeps a frame that did not fit the free slots for the next sync (the device's copy is released).</summary>
    private static void Stash(RingState state, ReadOnlySpan<byte> frame, int capacity)
    {
        if (state.Scratch is null || state.Scratch.Length < frame.Length)
        {
            state.Scratch = new byte[Math.Max(frame.Length, capacity)]; // once per ring, the first time it fills up
        }

        frame.CopyTo(state.Scratch);
        state.StashLength = frame.Length;
    }

    private static NicDropReason ReasonOf(Verdict verdict) => verdict switch
    {
        Verdict.Oversize => NicDropReason.Oversize,
        Verdict.TooManyFragments => NicDropReason.TooManyFragments,
        Verdict.Runt => NicDropReason.Runt,
        _ => NicDropReason.InvalidSlot,
    };

    private enum Verdict
    {
        Ok,
        Incomplete,
        Oversize,
        TooManyFragments,
        Runt,
        InvalidSlot,
    }

    private enum Placement
    {
        Placed,
        NoRoom,
        TooBig,
        Runt,
        Oversize,
    }

    /// <summary>Per ring: the scratch frame (TX gather, RX stash) and the counters, written only by the ring's sync.</summary>
    private sealed class RingState
    {
        public readonly long[] Drops = new long[DropReasonCount];
        public byte[]? Scratch;
        public int StashLength = -1;
        public long Frames;
        public long Bytes;
        public long BadChecksums;

        /// <summary>Adds one sync's traffic (one write per counter per sync; readers on other threads use Volatile).</summary>
        public void Count(long frames, long bytes)
        {
            if (frames != 0)
            {
                Volatile.Write(ref Frames, Frames + frames);
                Volatile.Write(ref Bytes, Bytes + bytes);
            }
        }

        // What a TX ring's sync threw away as unsendable (not the forwarding reasons, counted on the host side).
        public long TotalDrops() =>
            Volatile.Read(ref Drops[(int)NicDropReason.Oversize]) + Volatile.Read(ref Drops[(int)NicDropReason.TooManyFragments])
            + Volatile.Read(ref Drops[(int)NicDropReason.Runt]) + Volatile.Read(ref Drops[(int)NicDropReason.InvalidSlot]);

        public void AddDropsTo(long[] totals)
        {
            for (var i = 0; i < Drops.Length; i++)
            {
                totals[i] += Volatile.Read(ref Drops[i]);
            }
        }
    }
}
