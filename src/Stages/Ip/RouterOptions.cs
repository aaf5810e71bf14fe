using System.Diagnostics.CodeAnalysis;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Pipeline.Stages;
using Stages.Ethernet;

namespace Stages.Ip;

/// <summary>The table <see cref="Router"/> routes by: YAML keys <c>routes</c> and <c>mac</c>.</summary>
/// <remarks>Each value is checked when it is set, so a bad one is reported at its YAML key.</remarks>
public sealed record RouterOptions : IStageGates
{
    /// <summary>
    /// The routes, at least one; IPv4 and IPv6 mixed. A destination takes the route with the longest prefix that
    /// holds it. Two routes may not have the same prefix; a next hop must be of its prefix's family.
    /// </summary>
    public required IReadOnlyList<RouteOptions> Routes
    {
        get;
        init => field = Validate(value);
    }

    /// <summary>The source MAC written into routed packets (the router's own); null leaves it as it is. <b>Default:</b> null.</summary>
    public string? Mac
    {
        get;
        init => field = value is null ? null : MacAddressText.Validate("mac", value, unicast: true);
    }

    /// <summary>The gates: each distinct route gate once, in the order the routes first name them.</summary>
    IReadOnlyList<string> IStageGates.Gates => GatesOf(Routes ?? []);

    internal static List<string> GatesOf(IReadOnlyList<RouteOptions> routes)
    {
        var gates = new List<string>();
        foreach (var route in routes)
        {
            if (!gates.Contains(route.Gate))
            {
                gates.Add(route.Gate);
            }
        }

        return gates;
    }

    private static IReadOnlyList<RouteOptions> Validate(IReadOnlyList<RouteOptions> routes)
    {
        if (routes is null || routes.Count == 0)
        {
            Invalid("routes", "routes must list at least one route");
        }

        var seen = new HashSet<IpPrefix>();
        foreach (var route in routes)
        {
            var prefix = IpPrefix.Parse("prefix", route.Prefix);
            if (!seen.Add(prefix))
            {
                Invalid("routes", $"routes has prefix {prefix} twice");
            }

            if (route.NextHop is { } hop && (hop.AddressFamily == AddressFamily.InterNetworkV6) != prefix.IsV6)
            {
                Invalid("routes", $"route {prefix}: next-hop {hop} is not an {(prefix.IsV6 ? "IPv6" : "IPv4")} address");
            }
        }

        return routes;
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Invalid(string key, string message) => throw new ArgumentException(message, key);
}
