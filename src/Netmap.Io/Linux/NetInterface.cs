using Netmap.Io.Linux.Interop;

namespace Netmap.Io.Linux;

/// <summary>Interface look-ups through the calling thread's network namespace (if_nametoindex, SIOCGIFMTU, SIOCSIFFLAGS).</summary>
internal static unsafe class NetInterface
{
    /// <summary>Ethernet header (14) plus one VLAN tag (4): what a frame carries beyond the MTU.</summary>
    public const int FrameOverhead = 14 + 4;

    /// <summary>Rejects a name Linux cannot carry (empty, 16 bytes or more, '/', ':', whitespace or non-ASCII) with EINVAL.</summary>
    public static void ValidateName(string name, string subject)
    {
        if (name.Length == 0 || name.Length >= LibC.IFNAMSIZ)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, subject, $"interface name '{name}' must have 1 to {LibC.IFNAMSIZ - 1} characters");
        }

        foreach (var c in name)
        {
            if (c <= ' ' || c > '~' || c is '/' or ':')
            {
                ThrowHelper.Netmap(NetmapError.EINVAL, subject, $"interface name '{name}' contains '{c}', which Linux does not allow");
            }
        }
    }

    /// <summary>The interface's index in the calling thread's namespace, or 0 when there is none by that name.</summary>
    public static int IndexOf(string name) => (int)LibC.IfNameToIndex(name);

    /// <summary>The interface's MTU through <paramref name="fd"/> (any socket); -1 with errno set on failure.</summary>
    public static int GetMtu(int fd, string name)
    {
        var request = LibC.IfReqFor(name);
        return LibC.Ioctl(fd, LibC.SIOCGIFMTU, &request) == 0 ? request.Value : -1;
    }

    /// <summary>Sets IFF_UP on the interface through <paramref name="fd"/>; false with errno set on failure.</summary>
    public static bool BringUp(int fd, string name)
    {
        var request = LibC.IfReqFor(name);
        if (LibC.Ioctl(fd, LibC.SIOCGIFFLAGS, &request) != 0)
        {
            return false;
        }

        if ((request.Value & LibC.IFF_UP) != 0)
        {
            return true;
        }

        request.Value |= LibC.IFF_UP;
        return LibC.Ioctl(fd, LibC.SIOCSIFFLAGS, &request) == 0;
    }
}
