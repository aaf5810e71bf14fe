using System.Net.Sockets;

namespace Netmap.Io.Linux;

/// <summary>
/// One owner at a time puts an interface in netmap mode: a second process (or a second domain of this one) would get
/// sockets of its own and a copy of every frame, not netmap's shared rings, and would fight the first over the host
/// path. The lock is a Unix socket bound to the abstract name <c>@netmap-io/IF</c>: abstract names belong to a network
/// namespace (the same interface name in two namespaces is two interfaces, two names), binding one that is bound
/// fails, and the kernel frees it when the socket closes or its process dies, so a crash leaves nothing behind.
/// </summary>
/// <remarks>
/// Taken on the thread that opens the interface, which is inside the interface's namespace. Where no such socket can
/// be made (not Linux), nothing is checked: the lock guards against a mistake, it does not enforce a policy.
/// <c>ss -xp | grep netmap-io</c>, run in the namespace, shows who holds which of its interfaces.
/// </remarks>
internal sealed class InterfaceLock : IDisposable
{
    /// <summary>The abstract names' prefix.</summary>
    public const string Prefix = "netmap-io/";

    private readonly Socket _socket;

    private InterfaceLock(Socket socket) => _socket = socket;

    /// <summary>
    /// Locks <paramref name="interfaceName"/> of the calling thread's network namespace for this owner; null when no
    /// lock can be made here (then nothing is checked).
    /// </summary>
    /// <exception cref="NetmapException">EBUSY: another process, or another domain of this one, holds it.</exception>
    public static InterfaceLock? Acquire(string interfaceName, string spec)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        Socket socket;
        try
        {
            socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        }
        catch (SocketException)
        {
            return null;
        }

        try
        {
            socket.Bind(new UnixDomainSocketEndPoint("\0" + Prefix + interfaceName)); // a leading NUL: the abstract namespace
            return new InterfaceLock(socket);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            throw new NetmapException(
                NetmapError.EBUSY,
                spec,
                $"interface {interfaceName} is already in netmap mode in another process or domain of this namespace (`ss -xp | grep {Prefix}{interfaceName}` in the namespace shows which): one owner at a time");
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
    }

    /// <summary>Releases the interface (the name is free once the socket closes).</summary>
    public void Dispose() => _socket.Dispose();
}
