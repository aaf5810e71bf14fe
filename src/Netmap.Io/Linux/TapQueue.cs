using System.Runtime.InteropServices;
using Netmap.Io.Linux.Interop;

namespace Netmap.Io.Linux;

/// <summary>
/// One descriptor of a TAP device (<c>/dev/net/tun</c> with IFF_TAP | IFF_NO_PI, non-blocking) and the buffer its
/// frames are read into: a <see cref="TapBackend"/> queue, or a host-stack queue of a <see cref="HostStackPath"/>.
/// </summary>
/// <remarks>
/// Ownership: <see cref="Buffer"/> is native memory freed on dispose; a frame read into it stays there until
/// <see cref="Release"/>. Thread: one thread at a time (the ring's sync).
/// </remarks>
internal sealed unsafe class TapQueue : IDisposable
{
    /// <summary>Larger than any frame a TAP without a vnet header delivers (at most 64 KiB + header).</summary>
    public const int BufferSize = 66 * 1024;

    private const string TunDevice = "/dev/net/tun";

    private readonly FileDescriptor _fd;

    private TapQueue(FileDescriptor fd)
    {
        _fd = fd;
        Fd = fd.Fd;
        Buffer = (byte*)NativeMemory.AlignedAlloc(BufferSize, 64);
    }

    /// <summary>The raw descriptor (for reads, writes and poll).</summary>
    public int Fd { get; }

    /// <summary>Where <see cref="TryRead"/> puts a frame.</summary>
    public byte* Buffer { get; private set; }

    /// <summary>Length of the frame handed out and not released, else -1.</summary>
    public int Held { get; private set; } = -1;

    public long ReceivedFrames { get; private set; }

    public long ReceivedBytes { get; private set; }

    public long SentFrames { get; private set; }

    public long SentBytes { get; private set; }

    public long TxBadLength { get; set; }

    public long TxErrors { get; private set; }

    public long RxErrors { get; private set; }

    /// <summary>
    /// Opens (creating it if absent) TAP <paramref name="name"/> in the calling thread's network namespace; a name
    /// with <c>%d</c> lets the kernel pick a free one, returned in <paramref name="actualName"/>. Errors name
    /// <paramref name="spec"/>: no /dev/net/tun → ENXIO, no CAP_NET_ADMIN → EPERM, an existing device that is not a
    /// TAP opened this way → EINVAL.
    /// </summary>
    public static TapQueue Open(string spec, string name, bool multiQueue, bool existed, out string actualName)
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

        actualName = Marshal.PtrToStringUTF8((nint)request.Name) ?? name;
        return new TapQueue(fd);
    }

    /// <summary>Reads the next frame (or returns the one still held); false when there is none now.</summary>
    public bool TryRead(out ReadOnlySpan<byte> frame)
    {
        if (Held >= 0)
        {
            frame = new ReadOnlySpan<byte>(Buffer, Held);
            return true;
        }

        var n = LibC.Read(Fd, Buffer, BufferSize);
        if (n <= 0)
        {
            if (n < 0 && LinuxErrors.LastErrno is not (LibC.EAGAIN or LibC.EINTR))
            {
                RxErrors++;
            }

            frame = default;
            return false;
        }

        Held = (int)n;
        ReceivedFrames++;
        ReceivedBytes += n;
        frame = new ReadOnlySpan<byte>(Buffer, (int)n);
        return true;
    }

    /// <summary>Gives back the frame <see cref="TryRead"/> returned.</summary>
    public void Release() => Held = -1;

    /// <summary>
    /// Writes one frame (the kernel receives it before this returns); false when the TAP has no room now. A frame the
    /// kernel rejects for another reason (device down or gone) is counted in <see cref="TxErrors"/> and reported as taken.
    /// </summary>
    public bool TryWrite(ReadOnlySpan<byte> frame)
    {
        nint n;
        fixed (byte* data = frame)
        {
            n = LibC.Write(Fd, data, (nuint)frame.Length);
        }

        if (n < 0)
        {
            var errno = LinuxErrors.LastErrno;
            if (errno is LibC.EAGAIN or LibC.ENOBUFS or LibC.EINTR)
            {
                return false;
            }

            TxErrors++;
            return true;
        }

        SentFrames++;
        SentBytes += frame.Length;
        return true;
    }

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
