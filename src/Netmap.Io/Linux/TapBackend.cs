using System.Buffers.Binary;
using System.Runtime.InteropServices;
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
/// Each read and write is one system call; <see cref="FlushSend"/> has nothing to do.
/// Thread: one thread at a time per queue; different queues on different threads.
/// </remarks>
public sealed unsafe class TapBackend : INicBackend
{
    private const string TunDevice = "/dev/net/tun";

    private readonly Queue[] _queues;
    private readonly int _maxUntagged;
    private int _disposed;

    private TapBackend(string name, Queue[] queues, int mtu, bool created)
    {
        InterfaceName = name;
        _queues = queues;
        Created = created;
        _maxUntagged = mtu + 14;
        MaxFrameSize = mtu + NetInterface.FrameOverhead;
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

    /// <summary>Not raised: a port over this backend polls.</summary>
    public Action? Notify { get; set; }

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
        var opened = new Queue[queues];
        var count = 0;
        try
        {
            for (; count < queues; count++)
            {
                opened[count] = OpenQueue(spec, name, queues > 1, existed);
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

            return new TapBackend(name, opened, mtu, created: !existed);
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

    /// <inheritdoc/>
    public bool TryReceive(int queue, out ReadOnlySpan<byte> frame)
    {
        var q = _queues[queue];
        if (q.Held >= 0)
        {
            frame = new ReadOnlySpan<byte>(q.Buffer, q.Held);
            return true;
        }

        var n = LibC.Read(q.Fd, q.Buffer, Queue.BufferSize);
        if (n <= 0)
        {
            if (n < 0 && LinuxErrors.LastErrno is not (LibC.EAGAIN or LibC.EINTR))
            {
                q.RxErrors++;
            }

            frame = default;
            return false;
        }

        q.Held = (int)n;
        q.ReceivedFrames++;
        q.ReceivedBytes += n;
        frame = new ReadOnlySpan<byte>(q.Buffer, (int)n);
        return true;
    }

    /// <inheritdoc/>
    public void ReleaseReceived(int queue) => _queues[queue].Held = -1;

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

        nint n;
        fixed (byte* data = frame)
        {
            n = LibC.Write(q.Fd, data, (nuint)frame.Length);
        }

        if (n < 0)
        {
            var errno = LinuxErrors.LastErrno;
            if (errno is LibC.EAGAIN or LibC.ENOBUFS or LibC.EINTR)
            {
                return false;
            }

            q.TxErrors++;
            return true;
        }

        q.SentFrames++;
        q.SentBytes += frame.Length;
        return true;
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

    /// <summary>Closes the queues; a TAP this backend created disappears with the last one.</summary>
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

    private bool IsTaggedWithin(ReadOnlySpan<byte> frame) =>
        frame.Length <= MaxFrameSize && BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) is 0x8100 or 0x88a8;

    private static Queue OpenQueue(string spec, string name, bool multiQueue, bool existed)
    {
        var raw = LibC.Open(TunDevice, LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        if (raw < 0)
        {
            var errno = LinuxErrors.LastErrno;
            if (errno is LibC.ENOENT or LibC.ENODEV or LibC.ENXIO)
            {
                ThrowHelper.Netmap(NetmapError.ENXIO, spec, $"{TunDevice} is missing ({LinuxErrors.ErrnoName(errno)}): load the tun module (modprobe tun)");
            }

            throw LinuxErrors.Create(errno, spec, $"open {TunDevice}", "CAP_NET_ADMIN", name);
        }

        var fd = new FileDescriptor(raw);
        var request = LibC.IfReqFor(name);
        request.Value = LibC.IFF_TAP | LibC.IFF_NO_PI | (multiQueue ? LibC.IFF_MULTI_QUEUE : 0);
        if (LibC.Ioctl(raw, LibC.TUNSETIFF, &request) != 0)
        {
            var errno = LinuxErrors.LastErrno;
            fd.Dispose();
            if (errno == LibC.EINVAL && existed)
            {
                ThrowHelper.Netmap(
                    NetmapError.EINVAL,
                    spec,
                    $"'{name}' exists but is not a TAP device opened this way (a TUN or other device, or a TAP whose multi-queue setting differs from {(multiQueue ? "multi-queue" : "single-queue")})");
            }

            throw LinuxErrors.Create(errno, spec, existed ? $"attaching to TAP {name} (TUNSETIFF)" : $"creating TAP {name} (TUNSETIFF)", "CAP_NET_ADMIN", name);
        }

        return new Queue(fd);
    }

    /// <summary>One TAP descriptor and the buffer its frames are read into.</summary>
    /// <remarks>Ownership: <see cref="Buffer"/> is native memory freed on dispose; a received frame lives in it until released.</remarks>
    private sealed class Queue : IDisposable
    {
        /// <summary>Larger than any frame a TAP without a vnet header delivers (at most 64 KiB + header).</summary>
        public const int BufferSize = 66 * 1024;

        private readonly FileDescriptor _fd;

        public Queue(FileDescriptor fd)
        {
            _fd = fd;
            Fd = fd.Fd;
            Buffer = (byte*)NativeMemory.AlignedAlloc(BufferSize, 64);
        }

        public int Fd { get; }

        public byte* Buffer { get; private set; }

        /// <summary>Length of the frame handed out and not released, else -1.</summary>
        public int Held { get; set; } = -1;

        public long ReceivedFrames { get; set; }

        public long ReceivedBytes { get; set; }

        public long SentFrames { get; set; }

        public long SentBytes { get; set; }

        public long TxBadLength { get; set; }

        public long TxErrors { get; set; }

        public long RxErrors { get; set; }

        public void Dispose()
        {
            _fd.Dispose();
            if (Buffer != null)
            {
                NativeMemory.AlignedFree(Buffer);
                Buffer = null;
            }
        }
    }
}
