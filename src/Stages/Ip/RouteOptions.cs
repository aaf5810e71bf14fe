using System.Net;
using Stages.Ethernet;
using Stages.Standard;

namespace Stages.Ip;

/// <summary>One route of <see cref="Router"/>: YAML keys <c>prefix</c>, <c>gate</c>, <c>next-hop</c>, <c>next-hop-mac</c>.</summary>
/// <remarks>Each value is checked when it is set, so a bad one is reported at its YAML key.</remarks>
public sealed record RouteOptions
{
    /// <summary>
    /// The destinations it covers: an IPv4 or IPv6 prefix such as <c>10.0.0.0/8</c>, <c>2001:db8::/32</c>,
    /// <c>0.0.0.0/0</c> (a default route); a bare address is a host route. No bits may be set past the length.
    /// </summary>
    public required string Prefix
    {
        get;
        init
        {
            IpPrefix.Parse("prefix", value);
            field = value;
        }
    }

    /// <summary>The gate matching packets leave by (letters, digits, '_' and '-').</summary>
    public required string Gate
    {
        get;
        init => field = GateNames.Validate("gate", value);
    }

    /// <summary>
    /// The gateway, of the prefix's family; null for a directly connected network. The router does no ARP or
    /// neighbour discovery: it cannot resolve the gateway's MAC, give it as <see cref="NextHopMac"/>.
    /// <b>Default:</b> null.
    /// </summary>
    public IPAddress? NextHop { get; init; }

    /// <summary>The destination MAC written into routed packets (the next hop's); null leaves it as it is. <b>Default:</b> null.</summary>
    public string? NextHopMac
    {
        get;
        init => field = value is null ? null : MacAddressText.Validate("next-hop-mac", value, unicast: true);
    }
}
