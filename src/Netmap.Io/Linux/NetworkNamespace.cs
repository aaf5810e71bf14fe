using System.Runtime.ExceptionServices;
using Netmap.Io.Linux.Interop;

namespace Netmap.Io.Linux;

/// <summary>
/// Runs code inside a Linux network namespace, so that a port opened there (<c>netmap:IF</c>, <c>tap:NAME</c>) finds
/// its interface, or creates its TAP, in that namespace rather than the process's.
/// </summary>
/// <remarks>
/// Network namespaces belong to threads: <see cref="Run{T}"/> starts a new thread, enters the namespace with
/// <c>setns</c>, runs the code and lets the thread end, so no thread of the process is left in another namespace.
/// What the code opened (AF_PACKET sockets, TAP descriptors) stays in that namespace for its life and may be used from
/// any thread afterwards; while it is open the namespace lives on, also after <c>ip netns del</c>.
/// A namespace is named as <c>ip netns</c> names it (a file under <see cref="NamedDirectory"/>) or by the absolute
/// path of a namespace file (<c>/proc/PID/ns/net</c>, a container's). Entering one needs CAP_SYS_ADMIN.
/// <code>using var nic = NetworkNamespace.Run("blue", () => domain.Open("netmap:veth0"), "netmap:veth0");</code>
/// </remarks>
public static class NetworkNamespace
{
    /// <summary>Where <c>ip netns add NAME</c> puts namespace NAME.</summary>
    public const string NamedDirectory = "/var/run/netns";

    // NAME_MAX: a namespace name is one file name under NamedDirectory.
    private const int MaxNameLength = 255;

    /// <summary>
    /// True when <paramref name="name"/> can name a namespace: an <c>ip netns</c> name (a file name: not empty,
    /// <c>.</c> or <c>..</c>, no <c>/</c> or NUL, at most 255 bytes) or an absolute path; else false with the reason.
    /// </summary>
    public static bool IsValidName(string name, out string reason)
    {
        ArgumentNullException.ThrowIfNull(name);
        reason = string.Empty;
        if (name.Length == 0)
        {
            reason = "a network namespace name is empty";
        }
        else if (name.Contains('\0', StringComparison.Ordinal))
        {
            reason = "a network namespace name cannot contain a NUL character";
        }
        else if (name[0] == '/')
        {
            return true;
        }
        else if (name is "." or "..")
        {
            reason = $"'{name}' is not a network namespace name";
        }
        else if (name.Contains('/', StringComparison.Ordinal))
        {
            reason = $"'{name}' is neither a network namespace name (no '/' in one) nor an absolute path";
        }
        else if (System.Text.Encoding.UTF8.GetByteCount(name) > MaxNameLength)
        {
            reason = $"a network namespace name is at most {MaxNameLength} bytes";
        }

        return reason.Length == 0;
    }

    /// <summary>The namespace file of <paramref name="name"/>: the path itself when absolute, else under <see cref="NamedDirectory"/>.</summary>
    public static string PathOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.StartsWith('/') ? name : NamedDirectory + "/" + name;
    }

    /// <summary>
    /// Runs <paramref name="action"/> on a new thread inside network namespace <paramref name="name"/> and returns its
    /// result; an exception it throws is rethrown here. Errors entering the namespace are <see cref="NetmapException"/>s
    /// prefixed with <paramref name="subject"/> (a port spec): a bad name is EINVAL, a namespace that does not exist
    /// ENOENT, no permission EPERM, a file that is not a network namespace EINVAL, off Linux EOPNOTSUPP.
    /// </summary>
    public static T Run<T>(string name, Func<T> action, string? subject = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(action);
        subject ??= "netns " + name;
        if (!OperatingSystem.IsLinux())
        {
            ThrowHelper.Netmap(NetmapError.EOPNOTSUPP, subject, "network namespaces exist only on Linux");
        }

        if (!IsValidName(name, out var reason))
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, subject, reason);
        }

        T? result = default;
        ExceptionDispatchInfo? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                Enter(name, subject);
                result = action();
            }
            catch (Exception e)
            {
                error = ExceptionDispatchInfo.Capture(e);
            }
        })
        {
            Name = "netns " + name,
            IsBackground = true,
        };
        thread.Start();
        thread.Join();
        error?.Throw();
        return result!;
    }

    // Thread: the new thread of Run, which ends after the action; setns changes this thread alone.
    private static void Enter(string name, string subject)
    {
        var path = PathOf(name);
        var fd = LibC.Open(path, LibC.O_CLOEXEC); // read-only: O_RDONLY is 0
        if (fd < 0)
        {
            var errno = LinuxErrors.LastErrno;
            throw errno switch
            {
                LibC.ENOENT => new NetmapException(
                    NetmapError.ENOENT,
                    subject,
                    name.StartsWith('/') ? $"no network namespace file '{path}'" : $"network namespace '{name}' does not exist (no {path}; 'ip netns add {name}' creates it)"),
                LibC.EACCES or LibC.EPERM => new NetmapException(NetmapError.EPERM, subject, $"cannot open network namespace '{path}': {LinuxErrors.ErrnoName(errno)}; entering a namespace needs root (CAP_SYS_ADMIN)"),
                _ => new NetmapException(NetmapError.EIO, subject, $"cannot open network namespace '{path}': {LinuxErrors.ErrnoName(errno)}"),
            };
        }

        try
        {
            if (LibC.SetNs(fd, LibC.CLONE_NEWNET) != 0)
            {
                var errno = LinuxErrors.LastErrno;
                throw errno switch
                {
                    LibC.EPERM => new NetmapException(NetmapError.EPERM, subject, $"cannot enter network namespace '{name}': entering a namespace needs CAP_SYS_ADMIN (run as root)"),
                    LibC.EINVAL => new NetmapException(NetmapError.EINVAL, subject, $"'{path}' is not a network namespace"),
                    _ => new NetmapException(NetmapError.EIO, subject, $"cannot enter network namespace '{name}': setns failed: {LinuxErrors.ErrnoName(errno)}"),
                };
            }
        }
        finally
        {
            LibC.Close(fd);
        }
    }
}
