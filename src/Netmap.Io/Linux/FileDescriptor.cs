using Microsoft.Win32.SafeHandles;
using Netmap.Io.Linux.Interop;

namespace Netmap.Io.Linux;

/// <summary>A Linux file descriptor (socket, /dev/net/tun) closed exactly once, also if its owner is never disposed.</summary>
internal sealed class FileDescriptor : SafeHandleMinusOneIsInvalid
{
    public FileDescriptor(int fd)
        : base(ownsHandle: true)
    {
        SetHandle(fd);
    }

    /// <summary>The raw descriptor for the hot path; valid while this handle is open.</summary>
    public int Fd => (int)handle;

    protected override bool ReleaseHandle() => LibC.Close((int)handle) == 0;
}
