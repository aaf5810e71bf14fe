using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Stages.Ethernet;

namespace Stages.Tunnels;

/// <summary>
/// The outer headers <see cref="VxlanEncap"/> writes: YAML keys <c>vni</c>, <c>src-ip</c>, <c>dst-ip</c>,
/// <c>src-mac</c>, <c>dst-mac</c>, <c>udp-src</c>, <c>udp-dst</c>, <c>ttl</c>.
/// </summary>
/// <remarks>Each value is checked when it is set, so a bad one is reported at its YAML key.</remarks>
public sealed record VxlanEncapOptions
{
    /// <summary>The <c>udp-src</c> value that derives the source port from the inner flow.</summary>
    public const string Flow = "flow";

    /// <summary>The largest VNI (24 bits).</summary>
    public const uint MaxVni = VxlanFields.MaxVni;

    /// <summary>The VXLAN network identifier, 0 to 16777215.</summary>
    public required uint Vni
    {
        get;
        init => field = value <= MaxVni ? value : OutOfRange<uint>("vni", $"vni must be from 0 to {MaxVni} (24 bits), found {value}");
    }

    /// <summary>The outer IPv4 source: this tunnel endpoint's address.</summary>
    public required IPAddress SrcIp
    {
        get;
        init => field = Ipv4("src-ip", value);
    }

    /// <summary>The outer IPv4 destination: the remote tunnel endpoint (or a multicast group).</summary>
    public required IPAddress DstIp
    {
        get;
        init => field = Ipv4("dst-ip", value);
    }

    /// <summary>The outer Ethernet source, <c>aa:bb:cc:dd:ee:ff</c> (unicast).</summary>
    public required string SrcMac
    {
        get;
        init => field = MacAddressText.Validate("src-mac", value, unicast: true);
    }

    /// <summary>The outer Ethernet destination, <c>aa:bb:cc:dd:ee:ff</c>: the next hop towards <see cref="DstIp"/>.</summary>
    public required string DstMac
    {
        get;
        init => field = MacAddressText.Validate("dst-mac", value, unicast: false);
    }

    /// <summary>
    /// The outer UDP source port: <c>flow</c> (a port from 49152 to 65535 derived from the inner flow's hash, so
    /// the underlay spreads flows over its paths) or a fixed port number. <b>Default:</b> <c>flow</c>.
    /// </summary>
    public string UdpSrc
    {
        get;
        init => field = value == Flow || ushort.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _)
            ? value
            : OutOfRange<string>("udp-src", $"udp-src must be 'flow' or a port number from 0 to 65535, found '{value}'");
    } = Flow;

    /// <summary>The outer UDP destination port, 1 to 65535. <b>Default:</b> 4789 (IANA's VXLAN port).</summary>
    public ushort UdpDst
    {
        get;
        init => field = value != 0 ? value : OutOfRange<ushort>("udp-dst", "udp-dst must be from 1 to 65535, found 0");
    } = VxlanFields.DefaultPort;

    /// <summary>The outer IPv4 TTL, 1 to 255. <b>Default:</b> 64.</summary>
    public byte Ttl
    {
        get;
        init => field = value != 0 ? value : OutOfRange<byte>("ttl", "ttl must be from 1 to 255, found 0");
    } = 64;

    /// <summary>The fixed source port, or null for <c>flow</c>.</summary>
    internal ushort? FixedUdpSrc => UdpSrc == Flow ? null : ushort.Parse(UdpSrc, NumberStyles.None, CultureInfo.InvariantCulture);

    private static IPAddress Ipv4(string key, IPAddress value)
    {
        ArgumentNullException.ThrowIfNull(value, key);
        if (value.AddressFamily != AddressFamily.InterNetwork)
        {
            Invalid(key, $"{key} must be an IPv4 address (the outer header here is IPv4), found {value}");
        }

        return value;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Invalid(string key, string message) => throw new ArgumentException(message, key);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T OutOfRange<T>(string key, string message) => throw new ArgumentOutOfRangeException(key, message);
}
