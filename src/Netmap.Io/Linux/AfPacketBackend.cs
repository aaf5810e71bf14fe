using Netmap.Io.Linux.Interop;
using Netmap.Io.Ports.Nic;

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
/// Emulated mode, as netmap's generic adapter, with one difference: the host stack keeps seeing the wire's frames
/// and its own transmissions still reach the wire (netmap mode has no effect, <see cref="SupportsHostRings"/> is
/// false; see docs/dev/datapaths.md). Frames the interface sends (the host stack's, or another socket's) are
/// skipped on RX. A VLAN tag the kernel strips on receive is put back, so frames arrive as they were on the wire.
/// Thread: one thread at a time per queue; different queues on different threads.
/// </remarks>
public sealed class AfPacketBackend : INicBackend
{
    private readonly AfPacketQueue[] _queues;
    private int _disposed;

    private AfPacketBackend(string interfaceName, AfPacketQueue[] queues, int fanoutGroup)
    {
        InterfaceName = interfaceName;
        _queues = queues;
        FanoutGroup = fanoutGroup;
        MaxFrameSize = queues[0].MaxFrameSize;
    }

    /// <inheritdoc/>
    public string InterfaceName { get; }

    /// <inheritdoc/>
    public int TxQueues => _queues.Length;

    /// <inheritdoc/>
    public int RxQueues => _queues.Length;

    /// <summary>The interface MTU + 14 (Ethernet header) + 4 (a VLAN tag), as read when the backend opened.</summary>
    public int MaxFrameSize { get; }

    /// <summary>False: AF_PACKET cannot take the host stack off the wire (see the remarks).</summary>
    public bool SupportsHostRings => false;

    /// <summary>The PACKET_FANOUT group id of the queues, or -1 with one queue.</summary>
    public int FanoutGroup { get; }

    /// <summary>True between SetNetmapMode(true) and SetNetmapMode(false); it changes nothing on the interface.</summary>
    public bool IsInNetmapMode { get; private set; }

    /// <summary>Not raised: a port over this backend polls.</summary>
    public Action? Notify { get; set; }

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

            return new AfPacketBackend(interfaceName, queues, group);
        }
        catch
        {
            for (var i = 0; i < opened; i++)
            {
                queues[i].Dispose();
            }

            throw;
        }
    }

    /// <summary>Counters summed over the queues (AF_PACKET's kernel drop count is collected on each call).</summary>
    public NicStatistics GetStatistics()
    {
        long rx = 0, rxBytes = 0, tx = 0, txBytes = 0, drops = 0, outgoing = 0, truncated = 0, badLength = 0, errors = 0;
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
        };
    }

    /// <inheritdoc/>
    public void SetNetmapMode(bool enabled) => IsInNetmapMode = enabled;

    /// <inheritdoc/>
    public bool TryReceive(int queue, out ReadOnlySpan<byte> frame) => _queues[queue].TryReceive(out frame);

    /// <inheritdoc/>
    public void ReleaseReceived(int queue) => _queues[queue].ReleaseReceived();

    /// <summary>
    /// Queues one frame on <paramref name="queue"/>'s TX ring; false when the ring is full. A frame shorter than an
    /// Ethernet header or longer than MTU + 14 (MTU + 18 if VLAN-tagged) is dropped, counted in
    /// <see cref="NicStatistics.TxBadLength"/>, and reported as taken.
    /// </summary>
    public bool TrySend(int queue, ReadOnlySpan<byte> frame) => _queues[queue].TrySend(frame);

    /// <inheritdoc/>
    public void FlushSend(int queue) => _queues[queue].FlushSend();

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

    /// <summary>Closes the sockets (the kernel undoes promiscuous mode and the fanout group) and unmaps the rings.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var queue in _queues)
        {
            queue.Dispose();
        }
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
