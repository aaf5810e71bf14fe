using System.Buffers.Binary;
using Netmap.Io.Linux.Interop;
using Netmap.Io.Ports.Nic;

namespace Netmap.Io.Linux;

/// <summary>
/// A Linux TAP device as a NIC (<c>tap:NAME</c>): the "wire" is the TAP's file side. Frames the port transmits
/// are written to the TAP, so the kernel receives them as if from a cable; frames the kernel sends out of the TAP
/// are read from it and received by the port. Opened with IFF_TAP | IFF_NO_PI, and IFF_MULTI_QUEUE with more than
/// one queue (one descriptor per queue; the kernel spreads its frames over the queues by flow).
/// </summary>
/// <remarks>
/// A TAP that does not exist is created (needs CAP_NET_ADMIN; a permission error says how to grant it), brought
/// up, and removed when the backend closes (it is not made persistent). An existing TAP (e.g. <c>ip tuntap add
/// NAME mode tap</c>) is attached to and left as it was. The device lives in the network namespace of the thread
/// that calls <see cref="Open"/>. No host rings: the kernel on the other side of a TAP is the wire.
/// Each read and write is one system call; <see cref="FlushSend"/> has nothing to do. Notifications: while a
/// Notification-mode sync loop listens (<see cref="EnableNotify"/>), a thread polls the queues and raises
/// <see cref="Notify"/> when one has frames, or room after a write found none.
/// Thread: one thread at a time per queue; different queues on different threads.
/// </remarks>
public sealed class TapBackend : INicBackend
{
    private readonly TapQueue[] _queues;
    private readonly int _maxUntagged;
    private readonly BackendNotifier _notifier;
    private readonly NetDevCounters? _counters;
    private readonly long _missedBase;
    private long _missedFinal = -1;

    private TapBackend(string name, TapQueue[] queues, int mtu, bool created, NetDevCounters? counters)
    {
        InterfaceName = name;
        _queues = queues;
        Created = created;
        _maxUntagged = mtu + 14;
        MaxFrameSize = mtu + NetInterface.FrameOverhead;
        _notifier = new BackendNotifier(name, QueueDescriptors);
        _counters = counters;
        _missedBase = counters is not null && counters.TryRead(out var now) ? now.TxDropped : 0;
    }

    /// <inheritdoc/>
    public string InterfaceName { get; }

    /// <inheritdoc/>
    public int TxQueues => _queues.Length;

    /// <inheritdoc/>
    public int RxQueues => _queues.Length;

    /// <summary>The TAP's MTU + 14 (Ethernet header) + 4 (a VLAN tag), as read when the backend opened.</summary>
    public int MaxFrameSize { get; }

    /// <summary>False: the kernel behind the TAP is the wire.</summary>
    public bool SupportsHostRings => false;

    /// <summary>True when this backend created the TAP (it goes away when the backend closes).</summary>
    public bool Created { get; }

    /// <summary>True between SetNetmapMode(true) and SetNetmapMode(false); it changes nothing on the device.</summary>
    public bool IsInNetmapMode { get; private set; }

    /// <summary>Raised (from a watcher thread, while <see cref="EnableNotify"/> is on) when a queue has frames to read or room again after a full write.</summary>
    public Action? Notify
    {
        get => _notifier.Notify;
        set => _notifier.Notify = value;
    }

    /// <summary>True: a poll thread watches the queues while a Notification-mode sync loop listens.</summary>
    public bool SupportsNotify => true;

    /// <summary>
    /// Opens (creating it if absent) TAP <paramref name="name"/> with <paramref name="queues"/> queues in the calling
    /// thread's network namespace. Errors (prefixed with <paramref name="spec"/>, default <c>tap:NAME</c>): no
    /// CAP_NET_ADMIN → EPERM saying how to grant it; a non-TAP interface of that name, or a TAP whose multi-queue
    /// setting differs → EINVAL; every queue of an existing TAP taken → EBUSY; no /dev/net/tun → ENXIO.
    /// </summary>
    public static TapBackend Open(string name, int queues = 1, string? spec = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        spec ??= "tap:" + name;
        NetInterface.ValidateName(name, spec);
        if (queues is < 1 or > 64)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, spec, $"queues must be 1 to 64, not {queues}");
        }

        var existed = NetInterface.IndexOf(name) != 0;
        var opened = new TapQueue[queues];
        var count = 0;
        try
        {
            for (; count < queues; count++)
            {
                opened[count] = TapQueue.Open(spec, name, queues > 1, existed, out _);
            }

            var control = LibC.Socket(LibC.AF_INET, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0);
            if (control < 0)
            {
                throw LinuxErrors.Create(LinuxErrors.LastErrno, spec, "socket(AF_INET, SOCK_DGRAM)", "CAP_NET_ADMIN", name);
            }

            using var controlFd = new FileDescriptor(control);
            if (!existed && !NetInterface.BringUp(control, name))
            {
                throw LinuxErrors.Create(LinuxErrors.LastErrno, spec, $"bringing {name} up (SIOCSIFFLAGS)", "CAP_NET_ADMIN", name);
            }

            var mtu = NetInterface.GetMtu(control, name);
            if (mtu < 0)
            {
                throw LinuxErrors.Create(LinuxErrors.LastErrno, spec, $"SIOCGIFMTU on {name}", "CAP_NET_ADMIN", name);
            }

            // The TAP's kernel counters, opened here, in its namespace. A TAP counts the frames for its reader that
            // found the reader's queue full as transmit drops; RxMissed reports them (from this open on).
            NetDevCounters? counters = null;
            try
            {
                counters = NetDevCounters.OpenHere(name);
            }
            catch (NetmapException)
            {
                // no /proc: the drops cannot be read, RxMissed stays 0
            }

            return new TapBackend(name, opened, mtu, created: !existed, counters);
        }
        catch
        {
            for (var i = 0; i < count; i++)
            {
                opened[i].Dispose();
            }

            throw;
        }
    }

    /// <inheritdoc/>
    public long TxRefused(int queue) => _queues[queue].TxBadLength;

    /// <inheritdoc/>
    /// <remarks>
    /// The kernel counts one figure for the whole TAP (its transmit drops: frames for the reader whose queue was
    /// full), so queue 0 reports it and the other queues 0. Read from <c>/proc/net/dev</c> on each call (not per
    /// packet); after <see cref="Dispose"/>, the last value read on the way out.
    /// </remarks>
    public long RxMissed(int queue)
    {
        if (queue != 0 || _counters is null)
        {
            return 0;
        }

        var final = Volatile.Read(ref _missedFinal);
        if (final >= 0)
        {
            return final;
        }

        try
        {
            return _counters.TryRead(out var now) ? Math.Max(0, now.TxDropped - _missedBase) : 0;
        }
        catch (ObjectDisposedException)
        {
            return Volatile.Read(ref _missedFinal); // closed meanwhile: the value read on the way out
        }
    }

    /// <summary>Counters summed over the queues.</summary>
    public NicStatistics GetStatistics()
    {
        long rx = 0, rxBytes = 0, tx = 0, txBytes = 0, badLength = 0, txErrors = 0, rxErrors = 0;
        foreach (var q in _queues)
        {
            rx += q.ReceivedFrames;
            rxBytes += q.ReceivedBytes;
            tx += q.SentFrames;
            txBytes += q.SentBytes;
            badLength += q.TxBadLength;
            txErrors += q.TxErrors;
            rxErrors += q.RxErrors;
        }

        return new NicStatistics
        {
            ReceivedFrames = rx,
            ReceivedBytes = rxBytes,
            SentFrames = tx,
            SentBytes = txBytes,
            TxBadLength = badLength,
            TxErrors = txErrors,
            RxErrors = rxErrors,
        };
    }

    /// <inheritdoc/>
    public void SetNetmapMode(bool enabled) => IsInNetmapMode = enabled;

    /// <summary>Times the poll thread raised <see cref="Notify"/> (a diagnostic: each is one wake-up of a waiting sync loop).</summary>
    public long Notifications => _notifier.Notifications;

    /// <summary>True while the poll thread runs (between <see cref="EnableNotify"/>(true) and (false)).</summary>
    public bool IsWatching => _notifier.IsWatching;

    /// <summary>Starts (the first Notification-mode loop) or stops (the last one ended) the thread that raises <see cref="Notify"/>.</summary>
    public void EnableNotify(bool enabled) => _notifier.Enable(enabled);

    /// <inheritdoc/>
    public bool TryReceive(int queue, out ReadOnlySpan<byte> frame)
    {
        if (_queues[queue].TryRead(out frame))
        {
            return true;
        }

        _notifier.ArmRead(queue);
        return false;
    }

    /// <inheritdoc/>
    public void ReleaseReceived(int queue) => _queues[queue].Release();

    /// <summary>
    /// Writes one frame to the TAP (the kernel receives it before this returns); false when the TAP has no room.
    /// A frame shorter than an Ethernet header or longer than MTU + 14 (MTU + 18 if VLAN-tagged), or one the
    /// kernel rejects (device down or gone), is dropped, counted, and reported as taken.
    /// </summary>
    public bool TrySend(int queue, ReadOnlySpan<byte> frame)
    {
        var q = _queues[queue];
        if (frame.Length < 14 || (frame.Length > _maxUntagged && !IsTaggedWithin(frame)))
        {
            q.TxBadLength++;
            return true;
        }

        if (q.TryWrite(frame))
        {
            return true;
        }

        _notifier.ArmWrite(queue);
        return false;
    }

    /// <summary>Nothing to do: every <see cref="TrySend"/> already handed its frame to the kernel.</summary>
    public void FlushSend(int queue)
    {
    }

    /// <summary>Always false: no host rings.</summary>
    public bool TryReceiveFromHost(int queue, out ReadOnlySpan<byte> frame)
    {
        frame = default;
        return false;
    }

    /// <summary>Nothing to release: no host rings.</summary>
    public void ReleaseFromHost(int queue)
    {
    }

    /// <summary>Always false: no host rings.</summary>
    public bool TrySendToHost(int queue, ReadOnlySpan<byte> frame) => false;

    /// <summary>Stops the notification thread and closes the queues; a TAP this backend created disappears with the last one.</summary>
    public void Dispose()
    {
        if (!_notifier.Close())
        {
            return;
        }

        if (_counters is not null)
        {
            // Read before the queues close: a TAP this backend created vanishes with its last queue, counters and all.
            Volatile.Write(ref _missedFinal, RxMissed(0));
            _counters.Dispose();
        }

        foreach (var queue in _queues)
        {
            queue.Dispose();
        }
    }

    private int[] QueueDescriptors()
    {
        var fds = new int[_queues.Length];
        for (var i = 0; i < fds.Length; i++)
        {
            fds[i] = _queues[i].Fd;
        }

        return fds;
    }

    private bool IsTaggedWithin(ReadOnlySpan<byte> frame) =>
        frame.Length <= MaxFrameSize && BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) is 0x8100 or 0x88a8;
}
