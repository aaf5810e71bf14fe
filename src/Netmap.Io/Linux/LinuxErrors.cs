using System.Runtime.InteropServices;
using Netmap.Io.Linux.Interop;

namespace Netmap.Io.Linux;

/// <summary>Turns a failed Linux call into a <see cref="NetmapException"/> a user can act on.</summary>
internal static class LinuxErrors
{
    /// <summary>How to get the capabilities the Linux backends need, quoted in every permission error.</summary>
    public const string GrantHint =
        "run as root, or grant the capabilities to the .NET host: sudo setcap cap_net_raw,cap_net_admin,cap_bpf+ep \"$(readlink -f \"$(which dotnet)\")\"";

    /// <summary>The errno of the last failed P/Invoke on this thread.</summary>
    public static int LastErrno => Marshal.GetLastPInvokeError();

    /// <summary>
    /// The exception for <paramref name="errno"/> returned by <paramref name="operation"/>. A permission error
    /// names <paramref name="capability"/> (<c>CAP_NET_RAW</c> or <c>CAP_NET_ADMIN</c>) and how to grant it; a
    /// missing device names <paramref name="interfaceName"/>.
    /// </summary>
    public static NetmapException Create(int errno, string subject, string operation, string capability, string interfaceName)
    {
        var detail = $"{operation} failed: {ErrnoName(errno)} ({Marshal.GetPInvokeErrorMessage(errno)})";
        return errno switch
        {
            LibC.EPERM or LibC.EACCES => new NetmapException(
                NetmapError.EPERM,
                subject,
                $"{operation} needs {capability}, which this process does not have ({ErrnoName(errno)}): {GrantHint}"),
            LibC.ENODEV or LibC.ENXIO => new NetmapException(NetmapError.ENXIO, subject, $"no such interface '{interfaceName}' ({detail})"),
            LibC.EBUSY => new NetmapException(NetmapError.EBUSY, subject, detail),
            LibC.EINVAL => new NetmapException(NetmapError.EINVAL, subject, detail),
            LibC.ENOMEM or LibC.ENOBUFS => new NetmapException(NetmapError.ENOMEM, subject, detail),
            LibC.EMSGSIZE => new NetmapException(NetmapError.EMSGSIZE, subject, detail),
            _ => new NetmapException(NetmapError.EIO, subject, detail),
        };
    }

    /// <summary>The symbolic name of the errno values the backends meet, else <c>errno N</c>.</summary>
    public static string ErrnoName(int errno) => errno switch
    {
        LibC.EPERM => "EPERM",
        LibC.ENOENT => "ENOENT",
        LibC.EINTR => "EINTR",
        LibC.EIO => "EIO",
        LibC.ENXIO => "ENXIO",
        LibC.EBADF => "EBADF",
        LibC.EAGAIN => "EAGAIN",
        LibC.ENOMEM => "ENOMEM",
        LibC.EACCES => "EACCES",
        LibC.EBUSY => "EBUSY",
        LibC.EEXIST => "EEXIST",
        LibC.ENODEV => "ENODEV",
        LibC.EINVAL => "EINVAL",
        LibC.EBADFD => "EBADFD",
        LibC.EMSGSIZE => "EMSGSIZE",
        LibC.EAFNOSUPPORT => "EAFNOSUPPORT",
        LibC.ENETDOWN => "ENETDOWN",
        LibC.ENOBUFS => "ENOBUFS",
        _ => $"errno {errno}",
    };
}
