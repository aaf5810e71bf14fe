using Netmap.Io;
using Netmap.Io.Linux;
using Netmap.Io.Memory;
using Netmap.Io.Ports;
using Pipeline.Config;

namespace Pipeline.Runtime;

/// <summary>
/// How the runtime reaches Linux devices: the domain it creates opens <c>netmap:IF</c> through AF_PACKET and
/// <c>tap:NAME</c> as a TAP (a pipeline file that names one asks for it), and a port with <c>netns:</c> is opened
/// inside that network namespace.
/// </summary>
internal static class DevicePorts
{
    /// <summary>
    /// A domain over <paramref name="arena"/> whose NIC ports are the machine's interfaces and TAPs. Its RX syncs keep no
    /// ring timestamp (netmap's <c>no_timestamp</c>): nothing in a pipeline reads it, and each stamp is a clock read.
    /// </summary>
    public static NetmapDomain CreateDomain(ArenaOptions arena) => new NetmapDomain(arena) { NoTimestamp = true }.UseLinuxInterfaces();

    /// <summary>
    /// Opens <paramref name="port"/>: in its network namespace when it has one (on a thread that enters it, see
    /// <see cref="NetworkNamespace.Run{T}"/>; the sockets or TAP stay there), else on the calling thread.
    /// </summary>
    public static PortHandle Open(NetmapDomain domain, PortDefinition port, RegisterOptions options) =>
        port.Netns is { } netns
            ? NetworkNamespace.Run(netns, () => domain.Open(port.Spec, options), port.Spec.Spec)
            : domain.Open(port.Spec, options);
}
