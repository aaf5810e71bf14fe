using Netmap.Io.Linux.Interop;
using Netmap.Io.Ports.Nic;
using Netmap.Io.Rings;

namespace Netmap.Io.Linux;

/// <summary>
/// A Linux interface as a NIC (<c>netmap:IF</c>), through AF_PACKET sockets with TPACKET_V3 mmap rings: per
/// queue one socket whose RX ring is block based (frames are read in place from the mapped blocks and the
/// block goes back to the kernel after its last frame) and whose TX ring is frame based (TPACKET_V3, Linux
/// 4.11+; one <c>sendto</c> per batch kicks it). With more than one queue the sockets form a PACKET_FANOUT hash
/// group, so each flow arrives on exactly one queue.
/// </summary>
/// <remarks>
/// Needs CAP_NET_RAW (a permission error says how to grant it). The sockets and the device belong to the network
/// namespace of the thread that calls <see cref="Open"/>; after that any thread may use them.
/// Emulated mode, as netmap's generic adapter. Netmap mode (<see cref="SetNetmapMode"/>, the port's life) takes
/// the interface from the host stack and gives the port real host rings through a <see cref="HostStackPath"/> (a
/// TAP and tcx eBPF programs; also CAP_NET_ADMIN and CAP_BPF, Linux 6.6+): while a NIC RX ring is bound the wire's
/// frames reach the NIC RX rings only, while a NIC TX ring is bound the host stack's frames go to the host RX rings
/// instead of the wire, and the host TX rings' frames reach the host stack as if received on IF. With
/// <see cref="AfPacketOptions.HostRings"/> false the host stack shares the wire instead and the host rings are fake.
/// Frames the interface sends (the host stack's, or another socket's) are skipped on RX. A VLAN tag the kernel
/// strips on receive is put back, so frames arrive as they were on the wire. Notifications: while a
/// Notification-mode sync loop listens (<see cref="EnableNotify"/>), a thread polls the sockets (and the host TAP)
/// and raises <see cref="Notify"/> when frames arrive, or TX room appears after a send found none.
/// Thread: one thread at a time per queue; different queues on different threads.
/// </remarks>
public sealed class AfPacketBackend : INicBackend
{
    private readonly AfPacketQueue[] _queues;
    private readonly string _spec;
    private readonly int _interfaceIndex;
    private readonly bool _hostRings;
    private readonly bool[] _rxBound;
    private readonly bool[] _txBound;
    private readonly BackendNotifier _notifier;
    private int _hostRxRings = 1;
    private HostStackPath? _host;
    private InterfaceLock? _owner;

    private AfPacketBackend(string interfaceName, string spec, int interfaceIndex, AfPacketQueue[] queues, int fanoutGroup, bool hostRings)
    {
        InterfaceName = interfaceName;
        _spec = spec;
        _interfaceIndex = interfaceIndex;
        _queues = queues;
        _hostRings = hostRings;
        _rxBound = new bool[queues.Length];
        _txBound = new bool[queues.Length];
        FanoutGroup = fanoutGroup;
        MaxFrameSize = queues[0].MaxFrameSize;
        _notifier = new BackendNotifier(interfaceName, WatchedDescriptors);
    }

    /// <inheritdoc/>
    public string InterfaceName { get; }

    /// <inheritdoc/>
    public int TxQueues => _queues.Length;

    /// <inheritdoc/>
    public int RxQueues => _queues.Length;

    /// <summary>The interface MTU + 14 (Ethernet header) + 4 (a VLAN tag), as read when the backend opened.</summary>
    public int MaxFrameSize { get; }

    /// <summary>True unless <see cref="AfPacketOptions.HostRings"/> is off: netmap mode then takes the interface from the host stack.</summary>
    public bool SupportsHostRings => _hostRings;

    /// <summary>True: a poll thread raises <see cref="Notify"/> while a Notification-mode sync loop listens.</summary>
    public bool SupportsNotify => true;

    /// <summary>The TAP that carries the host stack's frames while in netmap mode with host rings, else null.</summary>
    public string? HostTapName => Volatile.Read(ref _host)?.TapName;

    /// <summary>The PACKET_FANOUT group id of the queues, or -1 with one queue.</summary>
    public int FanoutGroup { get; }

    /// <summary>True between SetNetmapMode(true) and SetNetmapMode(false).</summary>
    public bool IsInNetmapMode { get; private set; }

    /// <summary>Raised from the poll thread (see <see cref="EnableNotify"/>) when frames arrived or TX room appeared.</summary>
    public Action? Notify
    {
        get => _notifier.Notify;
        set => _notifier.Notify = value;
    }

    /// <summary>
    /// Opens <paramref name="interfaceName"/> in the calling thread's network namespace. Errors (as
    /// <see cref="NetmapException"/>, prefixed with <paramref name="spec"/>, default <c>netmap:IF</c>): no such
    /// interface → ENXIO naming it; no CAP_NET_RAW → EPERM saying how to grant it; bad options → EINVAL.
    /// </summary>
    public static AfPacketBackend Open(string interfaceName, AfPacketOptions? options = null, string? spec = null)
    {
        ArgumentNullException.ThrowIfNull(interfaceName);
        spec ??= "netmap:" + interfaceName;
        options ??= new AfPacketOptions();
        options.Validate(spec);
        NetInterface.ValidateName(interfaceName, spec);
        var ifIndex = NetInterface.IndexOf(interfaceName);
        if (ifIndex == 0)
        {
            ThrowHelper.Netmap(NetmapError.ENXIO, spec, $"no such interface '{interfaceName}' in this network namespace");
        }

        var owner = InterfaceLock.Acquire(interfaceName, spec);
        var queues = new AfPacketQueue[options.Queues];
        var opened = 0;
        try
        {
            // With a fanout group, every socket drops all until the group is complete: a frame arriving earlier
            // would reach each socket bound so far, i.e. more than one queue.
            var fanout = options.Queues > 1;
            for (; opened < queues.Length; opened++)
            {
                queues[opened] = AfPacketQueue.Open(spec, interfaceName, ifIndex, options, quiet: fanout);
            }

            var group = -1;
            if (fanout)
            {
                group = JoinFanout(spec, interfaceName, queues);
                foreach (var queue in queues)
                {
                    queue.Unmute(spec, interfaceName);
                }
            }

            return new AfPacketBackend(interfaceName, spec, ifIndex, queues, group, options.HostRings) { _owner = owner };
        }
        catch
        {
            owner?.Dispose();
            for (var i = 0; i < opened; i++)
            {
                queues[i].Dispose();
            }

            throw;
        }
    }

    /// <inheritdoc/>
    /// <remarks>With the frames still unsent when the queue closed (the device down, or its queue full for good).</remarks>
    public long TxRefused(int queue) => _queues[queue].TxBadLength + _queues[queue].TxUnsent;

    /// <inheritdoc/>
    public bool SendPending(int queue) => _queues[queue].KickPending;

    /// <inheritdoc/>
    public bool DeviceGone() => _queues[0].DeviceGone();

    /// <inheritdoc/>
    public long RxSkipped(int queue) => _queues[queue].Truncated;

    /// <inheritdoc/>
    /// <remarks>The kernel's count is collected on each call (a getsockopt): ask a few times a second, not per packet.</remarks>
    public long RxMissed(int queue)
    {
        var q = _queues[queue];
        q.CollectKernelStatistics();
        return q.KernelDrops;
    }

    /// <summary>Counters summed over the queues (AF_PACKET's kernel drop count is collected on each call).</summary>
    public NicStatistics GetStatistics()
    {
        long rx = 0, rxBytes = 0, tx = 0, txBytes = 0, drops = 0, outgoing = 0, truncated = 0, badLength = 0, errors = 0, completed = 0;
        foreach (var q in _queues)
        {
            q.CollectKernelStatistics();
            rx += q.ReceivedFrames;
            rxBytes += q.ReceivedBytes;
            tx += q.SentFrames;
            txBytes += q.SentBytes;
            drops += q.KernelDrops;
            outgoing += q.SkippedOutgoing;
            truncated += q.Truncated;
            badLength += q.TxBadLength;
            errors += q.TxKickErrors;
            completed += q.ChecksumsCompleted;
        }

        return new NicStatistics
        {
            ReceivedFrames = rx,
            ReceivedBytes = rxBytes,
            SentFrames = tx,
            SentBytes = txBytes,
            KernelRxDrops = drops,
            SkippedOutgoing = outgoing,
            Truncated = truncated,
            TxBadLength = badLength,
            TxErrors = errors,
            RxChecksumsCompleted = completed,
        };
    }

    /// <summary>
    /// Netmap mode on: with host rings, the TAP and the programs are set up (on the calling thread, which must be in
    /// the interface's namespace), both directions still left to the host stack until a NIC ring of that direction is
    /// bound (<see cref="SetQueueNetmapMode"/>). Off: the programs are detached and the TAP removed; the interface is
    /// as it was. Errors: EPERM without CAP_NET_ADMIN or CAP_BPF, EOPNOTSUPP without tcx (both say what to do).
    /// </summary>
    public void SetNetmapMode(bool enabled)
    {
        if (enabled == IsInNetmapMode)
        {
            return;
        }

        if (!enabled)
        {
            IsInNetmapMode = false;
            LeaveHostPath();
            return;
        }

        if (_hostRings)
        {
            var host = HostStackPath.Open(_spec, InterfaceName, _interfaceIndex, MaxFrameSize - NetInterface.FrameOverhead, _hostRxRings);
            try
            {
                foreach (var queue in _queues)
                {
                    queue.SetHostPath(_spec, InterfaceName, on: true);
                }
            }
            catch
            {
                host.Dispose();
                foreach (var queue in _queues)
                {
                    try
                    {
                        queue.SetHostPath(_spec, InterfaceName, on: false);
                    }
                    catch (NetmapException)
                    {
                        // Best effort: the first error is the one to report, and the sockets close with the port.
                    }
                }

                throw;
            }

            Volatile.Write(ref _host, host);
            Array.Clear(_rxBound);
            Array.Clear(_txBound);
            _notifier.UpdateDescriptors();
        }

        IsInNetmapMode = true;
    }

    /// <summary>Host RX rings for the next netmap-mode session: the TAP gets as many queues.</summary>
    public void SetHostRingCounts(int hostTxRings, int hostRxRings) => _hostRxRings = Math.Max(1, hostRxRings);

    /// <summary>
    /// A NIC ring got its first binding or lost its last: the wire's frames are taken from the host stack while any
    /// NIC RX ring is bound, the host stack's frames go to the host RX rings while any NIC TX ring is bound (per
    /// direction, not per queue: the fanout hash cannot be told apart in the kernel's hooks).
    /// </summary>
    public void SetQueueNetmapMode(RingKind kind, int queue, bool enabled)
    {
        var bound = kind == RingKind.Rx ? _rxBound : _txBound;
        if ((uint)queue >= (uint)bound.Length)
        {
            return;
        }

        bound[queue] = enabled;
        var any = Array.IndexOf(bound, true) >= 0;
        var host = Volatile.Read(ref _host);
        if (kind == RingKind.Rx)
        {
            host?.SetRxDiverted(any);
        }
        else
        {
            host?.SetTxDiverted(any);
        }
    }

    /// <summary>Times the poll thread raised <see cref="Notify"/> (a diagnostic: each is one wake-up of a waiting sync loop).</summary>
    public long Notifications => _notifier.Notifications;

    /// <summary>True while the poll thread runs (between <see cref="EnableNotify"/>(true) and (false)).</summary>
    public bool IsWatching => _notifier.IsWatching;

    /// <summary>Starts (the first Notification-mode loop) or stops (the last one ended) the thread that raises <see cref="Notify"/>.</summary>
    public void EnableNotify(bool enabled) => _notifier.Enable(enabled);

    /// <inheritdoc/>
    public bool TryReceive(int queue, out ReadOnlySpan<byte> frame)
    {
        if (_queues[queue].TryReceive(out frame))
        {
            return true;
        }

        _notifier.ArmRead(queue);
        return false;
    }

    /// <inheritdoc/>
    public void ReleaseReceived(int queue) => _queues[queue].ReleaseReceived();

    /// <summary>
    /// Queues one frame on <paramref name="queue"/>'s TX ring; false when the ring is full. A frame shorter than an
    /// Ethernet header or longer than MTU + 14 (MTU + 18 if VLAN-tagged) is dropped, counted in
    /// <see cref="NicStatistics.TxBadLength"/>, and reported as taken.
    /// </summary>
    public bool TrySend(int queue, ReadOnlySpan<byte> frame)
    {
        if (_queues[queue].TrySend(frame))
        {
            return true;
        }

        _notifier.ArmWrite(queue);
        return false;
    }

    /// <inheritdoc/>
    public void FlushSend(int queue) => _queues[queue].FlushSend();

    /// <summary>The next frame the host stack sent (read from the host TAP's queue <paramref name="queue"/>); false when there is none or no host path.</summary>
    public bool TryReceiveFromHost(int queue, out ReadOnlySpan<byte> frame)
    {
        var host = Volatile.Read(ref _host);
        if (host is null || (uint)queue >= (uint)host.Queues)
        {
            frame = default;
            return false;
        }

        if (host.TryReceive(queue, out frame))
        {
            return true;
        }

        _notifier.ArmRead(_queues.Length + queue);
        return false;
    }

    /// <summary>Gives back the frame <see cref="TryReceiveFromHost"/> returned.</summary>
    public void ReleaseFromHost(int queue)
    {
        var host = Volatile.Read(ref _host);
        if (host is not null && (uint)queue < (uint)host.Queues)
        {
            host.Release(queue);
        }
    }

    /// <summary>Hands one frame to the host stack as if received on the interface; false without a host path or when the TAP has no room.</summary>
    public bool TrySendToHost(int queue, ReadOnlySpan<byte> frame)
    {
        var host = Volatile.Read(ref _host);
        return host is not null && host.TrySend(queue, frame);
    }

    /// <summary>
    /// Stops the notification thread, removes the host path (programs and TAP), closes the sockets (the kernel undoes
    /// promiscuous mode and the fanout group) and unmaps the rings. Closing descriptors is all it does, which is also
    /// what the kernel does for a process that dies, so either way the interface is left as it was.
    /// </summary>
    public void Dispose()
    {
        if (!_notifier.Close())
        {
            return;
        }

        Interlocked.Exchange(ref _host, null)?.Dispose();
        foreach (var queue in _queues)
        {
            queue.Dispose();
        }

        Interlocked.Exchange(ref _owner, null)?.Dispose(); // the interface is free for another process now
    }

    private void LeaveHostPath()
    {
        var host = Interlocked.Exchange(ref _host, null);
        if (host is null)
        {
            return;
        }

        _notifier.UpdateDescriptors();
        host.Dispose(); // the egress program first: the host stack's frames reach the wire again
        foreach (var queue in _queues)
        {
            queue.SetHostPath(_spec, InterfaceName, on: false);
        }
    }

    /// <summary>The poll thread watches the NIC sockets (indices 0..queues) and the host TAP's queues after them.</summary>
    private int[] WatchedDescriptors()
    {
        var hostFds = Volatile.Read(ref _host)?.Descriptors ?? [];
        var fds = new int[_queues.Length + hostFds.Length];
        for (var i = 0; i < _queues.Length; i++)
        {
            fds[i] = _queues[i].Socket;
        }

        hostFds.CopyTo(fds, _queues.Length);
        return fds;
    }

    private static int JoinFanout(string spec, string interfaceName, AfPacketQueue[] queues)
    {
        // Ask the group to skip outgoing frames (Linux 6.3+: the group's hook replaces each socket's own, and
        // with it PACKET_IGNORE_OUTGOING); an older kernel refuses the flag and TryReceive skips them instead.
        var flags = LibC.PACKET_FANOUT_FLAG_IGNORE_OUTGOING;
        var group = queues[0].TryJoinFanout(0, flags | LibC.PACKET_FANOUT_FLAG_UNIQUEID);
        if (group < 0)
        {
            flags = 0;
            group = queues[0].TryJoinFanout(0, LibC.PACKET_FANOUT_FLAG_UNIQUEID);
        }

        if (group < 0)
        {
            throw LinuxErrors.Create(LinuxErrors.LastErrno, spec, "PACKET_FANOUT (hash, unique id)", "CAP_NET_RAW", interfaceName);
        }

        for (var i = 1; i < queues.Length; i++)
        {
            if (queues[i].TryJoinFanout(group, flags) < 0)
            {
                throw LinuxErrors.Create(LinuxErrors.LastErrno, spec, $"PACKET_FANOUT group {group} for queue {i}", "CAP_NET_RAW", interfaceName);
            }
        }

        return group;
    }
}
