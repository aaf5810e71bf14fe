using Netmap.Io.Ports;
using Netmap.Io.Ports.Nic;

namespace Netmap.Io.Linux;

/// <summary>
/// Plugs the Linux backends into a <see cref="NetmapDomain"/>: <c>netmap:IF</c> opens interface IF through
/// AF_PACKET (<see cref="AfPacketBackend"/>), <c>tap:NAME</c> opens (creating it if absent) TAP device NAME
/// (<see cref="TapBackend"/>). Both become NIC ports with netmap's ring names (<c>-K</c> one queue, and so on).
/// </summary>
/// <remarks>
/// Opt-in, so that a domain never touches the machine's interfaces unless asked:
/// <code>var domain = new NetmapDomain().UseLinuxInterfaces();</code>
/// Queues: the open's <c>@conf:rings=N</c> (or <see cref="RegisterOptions.TxRings"/>/<see cref="RegisterOptions.RxRings"/>;
/// the larger of the two) on the open that creates the port, else 1. The interface is looked up in the
/// network namespace of the thread that opens the port.
/// </remarks>
public static class LinuxInterfaces
{
    /// <summary>The prefix of TAP port names (<c>tap:NAME</c>).</summary>
    public const string TapPrefix = PortSpecParser.TapPrefix;

    /// <summary>Sets <see cref="NetmapDomain.NicBackendFactory"/> to <see cref="Factory"/> and returns the domain.</summary>
    public static NetmapDomain UseLinuxInterfaces(this NetmapDomain domain, AfPacketOptions? afPacket = null)
    {
        ArgumentNullException.ThrowIfNull(domain);
        domain.NicBackendFactory = Factory(afPacket);
        return domain;
    }

    /// <summary>A factory for <see cref="NetmapDomain.NicBackendFactory"/> (AF_PACKET sockets set up per <paramref name="afPacket"/>).</summary>
    public static Func<string, NicOpenRequest, INicBackend?> Factory(AfPacketOptions? afPacket = null)
    {
        var options = afPacket ?? new AfPacketOptions();
        return (name, request) => Open(name, request, options);
    }

    /// <summary>
    /// The backend for one open: a TAP for <c>tap:NAME</c>, an AF_PACKET backend for an existing interface,
    /// null (the open fails ENXIO) for an interface that does not exist or off Linux.
    /// </summary>
    public static INicBackend? Open(string name, NicOpenRequest request, AfPacketOptions afPacket)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(afPacket);
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var asked = Math.Max(request.TxRings, request.RxRings);
        if (request.Spec.Prefix == PortPrefix.Tap)
        {
            var tap = name.StartsWith(TapPrefix, StringComparison.Ordinal) ? name[TapPrefix.Length..] : name;
            return TapBackend.Open(tap, asked == 0 ? 1 : asked, request.Spec.Spec);
        }

        if (NetInterface.IndexOf(name) == 0)
        {
            return null;
        }

        return AfPacketBackend.Open(name, asked == 0 ? afPacket : afPacket with { Queues = asked }, request.Spec.Spec);
    }
}
