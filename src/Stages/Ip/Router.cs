using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Netmap.Io.Packets;
using Netmap.Io.Rings;
using Pipeline.Runtime;
using Pipeline.Stages;
using Stages.Ethernet;

namespace Stages.Ip;

/// <summary>
/// An IPv4 and IPv6 router, as Click's <c>LookupIPRoute</c> + <c>DecIPTTL</c>: it sends each packet to the gate of
/// the route with the longest prefix holding its destination, decrements the IPv4 TTL (updating the header checksum
/// incrementally, RFC 1624) or the IPv6 hop limit, and rewrites the MACs: the source to <c>mac</c>, the destination
/// to the route's <c>next-hop-mac</c>, each when given. It does no ARP or neighbour discovery: without
/// <c>next-hop-mac</c> the destination MAC is left as it came.
/// </summary>
/// <remarks>
/// Gates: each distinct route gate, in the order the routes first name them. 802.1Q/802.1ad tags before the IP
/// header are skipped and kept. Drops: a frame that is not IPv4 or IPv6, or a destination no route covers
/// (<c>no-route</c>); a TTL or hop limit of 0 or 1 (<c>ttl-exceeded</c>, after the route lookup); a short frame, a
/// truncated or cut-short IP header, a wrong version, an IPv4 IHL under 5, an IPv4 total length or IPv6 payload
/// length past the packet's end, a bad IPv4 header checksum (<c>malformed</c>). A multi-slot (MOREFRAG) packet's
/// headers are read in its first slot, and its lengths checked against all its slots.
/// </remarks>
/// <example><code>
/// stages:
///   rt:
///     type: router
///     mac: "02:00:00:00:00:01"
///     routes:
///       - { prefix: 10.0.0.0/8, gate: lan, next-hop-mac: "02:00:00:00:00:0a" }
///       - { prefix: 2001:db8::/32, gate: lan }
///       - { prefix: 0.0.0.0/0, gate: wan, next-hop: 192.0.2.1, next-hop-mac: "02:00:00:00:00:fe" }
/// pipes:
///   - a -> rt
///   - rt.lan -> lan
///   - rt.wan -> wan
/// </code></example>
/// <seealso cref="RouterOptions"/>
/// <seealso cref="Ethernet.L2Switch"/>
[Stage("router", Gates = ["<the routes' gates>"], Summary = "Routes IPv4/IPv6 by longest prefix to the route's gate; decrements TTL/hop limit, rewrites MACs")]
public sealed class Router : IPacketStage
{
    private const ulong NoMac = ulong.MaxValue;

    private readonly string[] _gateNames;
    private readonly int[] _routeGates;      // route -> gate ordinal
    private readonly ulong[] _nextHopMacs;   // route -> destination MAC (48 bits), or NoMac
    private readonly ulong _sourceMac;
    private readonly PrefixTable<uint> _v4;
    private readonly PrefixTable<UInt128> _v6;

    private StageContext? _context;
    private GateId[] _gateIds = [];

    /// <summary>A router with the routes <paramref name="options"/> lists.</summary>
    public Router(RouterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var routes = options.Routes;
        _gateNames = [.. RouterOptions.GatesOf(routes)];
        _routeGates = new int[routes.Count];
        _nextHopMacs = new ulong[routes.Count];
        var v4 = new List<(uint, int, int)>();
        var v6 = new List<(UInt128, int, int)>();
        for (var r = 0; r < routes.Count; r++)
        {
            var prefix = IpPrefix.Parse("prefix", routes[r].Prefix);
            if (prefix.IsV6)
            {
                v6.Add((prefix.Address, prefix.Length, r));
            }
            else
            {
                v4.Add(((uint)prefix.Address, prefix.Length, r));
            }

            _routeGates[r] = Array.IndexOf(_gateNames, routes[r].Gate);
            _nextHopMacs[r] = routes[r].NextHopMac is { } mac ? MacOf(mac) : NoMac;
        }

        _v4 = new PrefixTable<uint>(v4);
        _v6 = new PrefixTable<UInt128>(v6);
        _sourceMac = options.Mac is { } own ? MacOf(own) : NoMac;
    }

    /// <inheritdoc/>
    public void OnBatch(PacketBatch batch, StageContext context)
    {
        if (!ReferenceEquals(context, _context))
        {
            Bind(context);
        }

        var view = batch.Open();
        var slots = view.Slots;
        for (var i = 0; i < slots.Length; i++)
        {
            if (BatchView.IsContinuation(slots, i))
            {
                continue; // a multi-slot packet's headers and verdict are in its first slot
            }

            var continuation = (slots[i].Flags & SlotFlags.MoreFrag) != 0;

            var data = view[i].Data;
            if (!NetworkLayer.TryFind(data, out var etherType, out var l3))
            {
                context.Drop(i, DropReason.Malformed);
                continue;
            }

            // Bytes from the IP header to the packet's end, over every slot of a multi-slot packet.
            var available = data.Length - l3 + (continuation ? RestOf(slots, i) : 0);
            var outcome = etherType switch
            {
                Ipv4Fields.EtherType => RouteIpv4(data.Slice(l3), available),
                Ipv6Fields.EtherType => RouteIpv6(data.Slice(l3), available),
                _ => Outcome.NoRoute,
            };

            if (outcome >= 0)
            {
                RewriteMacs(data, outcome);
                context.Next(i, _gateIds[_routeGates[outcome]]);
            }
            else
            {
                context.Drop(i, outcome switch
                {
                    Outcome.NoRoute => DropReason.NoRoute,
                    Outcome.TtlExceeded => DropReason.TtlExceeded,
                    _ => DropReason.Malformed,
                });
            }
        }
    }

    // Negative outcomes; a route's index otherwise.
    private static class Outcome
    {
        public const int NoRoute = -1;
        public const int TtlExceeded = -2;
        public const int Malformed = -3;
    }

    // The route's index, or a negative Outcome; the TTL is decremented and the checksum updated when routed.
    private int RouteIpv4(Span<byte> ip, int available)
    {
        if (ip.Length < Ipv4Fields.MinLength || ip[Ipv4Fields.VersionIhlOffset] >> 4 != 4)
        {
            return Outcome.Malformed;
        }

        var headerLength = (ip[Ipv4Fields.VersionIhlOffset] & 0x0F) * 4;
        var totalLength = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(Ipv4Fields.TotalLengthOffset));
        if (headerLength < Ipv4Fields.MinLength || headerLength > ip.Length || totalLength < headerLength || totalLength > available
            || !Checksum.Verify(ip[..headerLength]))
        {
            return Outcome.Malformed;
        }

        if (!_v4.TryLookup(BinaryPrimitives.ReadUInt32BigEndian(ip.Slice(Ipv4Fields.DestinationOffset)), out var route))
        {
            return Outcome.NoRoute;
        }

        // TTL and protocol are one 16-bit word of the checksum: RFC 1624 updates it for the new TTL.
        var ttlWord = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(Ipv4Fields.TtlOffset));
        if (ttlWord >> 8 <= 1)
        {
            return Outcome.TtlExceeded;
        }

        var decremented = (ushort)(ttlWord - 0x0100);
        var checksum = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(Ipv4Fields.ChecksumOffset));
        BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(Ipv4Fields.TtlOffset), decremented);
        BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(Ipv4Fields.ChecksumOffset), Checksum.Update(checksum, ttlWord, decremented));
        return route;
    }

    private int RouteIpv6(Span<byte> ip, int available)
    {
        if (ip.Length < Ipv6Fields.HeaderLength || ip[0] >> 4 != 6
            || Ipv6Fields.HeaderLength + BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(Ipv6Fields.PayloadLengthOffset)) > available)
        {
            return Outcome.Malformed;
        }

        if (!_v6.TryLookup(BinaryPrimitives.ReadUInt128BigEndian(ip.Slice(Ipv6Fields.DestinationOffset)), out var route))
        {
            return Outcome.NoRoute;
        }

        var hopLimit = ip[Ipv6Fields.HopLimitOffset];
        if (hopLimit <= 1)
        {
            return Outcome.TtlExceeded;
        }

        ip[Ipv6Fields.HopLimitOffset] = (byte)(hopLimit - 1);
        return route;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void RewriteMacs(Span<byte> frame, int route)
    {
        if (_nextHopMacs[route] is var destination and not NoMac)
        {
            WriteMac(frame, destination);
        }

        if (_sourceMac != NoMac)
        {
            WriteMac(frame.Slice(MacAddressText.Length), _sourceMac);
        }
    }

    private static void WriteMac(Span<byte> at, ulong mac)
    {
        BinaryPrimitives.WriteUInt16BigEndian(at, (ushort)(mac >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(at.Slice(2), (uint)mac);
    }

    private static ulong MacOf(string text)
    {
        var bytes = MacAddressText.Parse(text);
        return ((ulong)BinaryPrimitives.ReadUInt16BigEndian(bytes) << 32) | BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(2));
    }

    // The bytes in the slots after the first of the multi-slot packet that starts at `first`.
    private static int RestOf(ReadOnlySpan<Slot> slots, int first)
    {
        var bytes = 0;
        for (var k = first + 1; k < slots.Length; k++)
        {
            bytes += slots[k].Len;
            if ((slots[k].Flags & SlotFlags.MoreFrag) == 0)
            {
                break;
            }
        }

        return bytes;
    }

    // The gates by name in this context (the runtime's follow the options).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Bind(StageContext context)
    {
        _gateIds = new GateId[_gateNames.Length];
        for (var g = 0; g < _gateNames.Length; g++)
        {
            _gateIds[g] = context.Gate(_gateNames[g]);
        }

        _context = context;
    }
}
