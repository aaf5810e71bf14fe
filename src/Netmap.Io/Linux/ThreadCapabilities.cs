using Netmap.Io.Linux.Interop;

namespace Netmap.Io.Linux;

/// <summary>The calling thread's capabilities (Linux credentials are per thread; capset is not broadcast by libc).</summary>
internal static unsafe class ThreadCapabilities
{
    /// <summary>CAP_NET_ADMIN: create TAPs, bring interfaces up.</summary>
    public const int NetAdmin = LibC.CAP_NET_ADMIN;

    /// <summary>CAP_NET_RAW: open AF_PACKET sockets.</summary>
    public const int NetRaw = LibC.CAP_NET_RAW;

    /// <summary>True when the calling thread has <paramref name="capability"/> in its effective set.</summary>
    public static bool Has(int capability)
    {
        var header = new LibC.CapHeader { Version = LibC.LINUX_CAPABILITY_VERSION_3 };
        var data = stackalloc LibC.CapData[2];
        return LibC.CapGet(&header, data) == 0 && (data[capability / 32].Effective & (1u << (capability % 32))) != 0;
    }

    /// <summary>
    /// Removes <paramref name="capabilities"/> from the calling thread's effective and permitted sets for good, so
    /// calls that need one fail EPERM as for an unprivileged user (the tests use it on a thread that then ends).
    /// Returns false with errno set when capget or capset fails.
    /// </summary>
    public static bool Drop(params int[] capabilities)
    {
        var header = new LibC.CapHeader { Version = LibC.LINUX_CAPABILITY_VERSION_3 };
        var data = stackalloc LibC.CapData[2];
        if (LibC.CapGet(&header, data) != 0)
        {
            return false;
        }

        foreach (var cap in capabilities)
        {
            var mask = ~(1u << (cap % 32));
            data[cap / 32].Effective &= mask;
            data[cap / 32].Permitted &= mask;
        }

        header.Pid = 0;
        return LibC.CapSet(&header, data) == 0;
    }
}
