using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using Netmap.Io.Rings;
using Pipeline.Runtime;
using Pipeline.Stages;
using Stages.Ethernet;
using Stages.Ip;

namespace Stages.Standard;

/// <summary>
/// Spreads packets over <c>gates</c> outputs by a symmetric flow hash, as netmap's <c>lb</c>: both directions of a
/// flow hash alike (the two endpoints are put in order before hashing), so a flow and its replies leave by the same
/// gate. The hash covers the IPv4/IPv6 addresses, protocol and TCP/UDP/SCTP ports (<c>hash: five-tuple</c>) or the
/// addresses only (<c>hash: ip</c>); IP fragments and other protocols hash on addresses and protocol; non-IP frames
/// on their MACs. 802.1Q/802.1ad tags are skipped. The hash is written to <see cref="PacketMeta.FlowHash"/> (never 0).
/// </summary>
/// <remarks>
/// Gates: <c>out0</c> to <c>out{N-1}</c>. Drops: a frame shorter than an Ethernet header or with a tag cut short, an
/// IPv4 header cut short or with a wrong version or an IHL under 5, an IPv6 header cut short or with a wrong version,
/// TCP/UDP/SCTP ports cut short (<c>malformed</c>). A multi-slot (MOREFRAG) packet is hashed by its first slot and all
/// its slots leave by the same gate. IPv6 extension headers are not followed: the fixed header's next header is the
/// protocol, and a Fragment header hashes on the addresses.
/// </remarks>
/// <example><code>
/// stages:
///   spread: { type: lb, gates: 4, hash: five-tuple }
/// pipes:
///   - wan -> spread
///   - spread.out0 -> w0
///   - spread.out1 -> w1
///   - spread.out2 -> w2
///   - spread.out3 -> w3
/// </code></example>
/// <seealso cref="LoadBalanceOptions"/>
/// <seealso cref="Ethernet.L2Switch"/>
[Stage("lb", Gates = ["out0", "...", "out{N-1}"], Summary = "Spreads packets over N gates by a symmetric flow hash (netmap's lb)")]
public sealed class LoadBalance : IPacketStage
{
    private const uint Malformed = 0;

    private readonly int _gates;
    private readonly bool _ports;

    private StageContext? _context;
    private GateId[] _gateIds = [];

    /// <summary>A balancer over the gates <paramref name="options"/> asks for.</summary>
    public LoadBalance(LoadBalanceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _gates = options.Gates;
        _ports = options.Hash == LoadBalanceHash.FiveTuple;
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
        var meta = view.Meta;
        uint hash = 0;
        var continuation = false;
        for (var i = 0; i < slots.Length; i++)
        {
            // A slot after one with MOREFRAG continues the same packet: same hash, and the first slot's verdict.
            var skip = continuation;
            continuation = (slots[i].Flags & SlotFlags.MoreFrag) != 0;
            if (skip)
            {
                meta[i].FlowHash = hash;
                continue;
            }

            hash = Hash(view[i].Data, _ports);
            meta[i].FlowHash = hash;
            if (hash == Malformed)
            {
                context.Drop(i, DropReason.Malformed);
                continue;
            }

            // Lemire's range reduction: the hash's high bits pick the gate, with no division.
            context.Next(i, _gateIds[(int)(((ulong)hash * (uint)_gates) >> 32)]);
        }
    }

    /// <summary>
    /// The symmetric flow hash this stage computes for the Ethernet frame <paramref name="frame"/> (never 0), or 0 when
    /// its headers are malformed.
    /// </summary>
    public static uint Hash(ReadOnlySpan<byte> frame, LoadBalanceHash kind) => Hash(frame, kind == LoadBalanceHash.FiveTuple);

    // With `ports`, TCP/UDP/SCTP ports are hashed too.
    private static uint Hash(ReadOnlySpan<byte> frame, bool ports)
    {
        if (!NetworkLayer.TryFind(frame, out var etherType, out var l3))
        {
            return Malformed;
        }

        var ip = frame.Slice(l3);
        uint hash;
        if (etherType == Ipv4Fields.EtherType)
        {
            if (ip.Length < Ipv4Fields.MinLength || ip[Ipv4Fields.VersionIhlOffset] >> 4 != 4)
            {
                return Malformed;
            }

            var headerLength = (ip[Ipv4Fields.VersionIhlOffset] & 0x0F) * 4;
            if (headerLength < Ipv4Fields.MinLength || headerLength > ip.Length)
            {
                return Malformed;
            }

            var protocol = ip[Ipv4Fields.ProtocolOffset];
            var fragment = (BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(Ipv4Fields.FlagsFragmentOffset)) & Ipv4Fields.FragmentMask) != 0;
            if (!TryReadPorts(ip.Slice(headerLength), ports && !fragment, protocol, out var portPair))
            {
                return Malformed;
            }

            hash = HashIpv4(
                BinaryPrimitives.ReadUInt32BigEndian(ip.Slice(Ipv4Fields.SourceOffset)),
                BinaryPrimitives.ReadUInt32BigEndian(ip.Slice(Ipv4Fields.DestinationOffset)),
                portPair,
                ports ? protocol : (byte)0);
        }
        else if (etherType == Ipv6Fields.EtherType)
        {
            if (ip.Length < Ipv6Fields.HeaderLength || ip[0] >> 4 != 6)
            {
                return Malformed;
            }

            var protocol = ip[Ipv6Fields.NextHeaderOffset];
            if (!TryReadPorts(ip.Slice(Ipv6Fields.HeaderLength), ports, protocol, out var portPair))
            {
                return Malformed;
            }

            hash = HashIpv6(
                BinaryPrimitives.ReadUInt128BigEndian(ip.Slice(Ipv6Fields.SourceOffset)),
                BinaryPrimitives.ReadUInt128BigEndian(ip.Slice(Ipv6Fields.DestinationOffset)),
                portPair,
                ports ? protocol : (byte)0);
        }
        else
        {
            hash = HashMacs(ReadMac(frame), ReadMac(frame.Slice(MacAddressText.Length)), etherType);
        }

        return hash == Malformed ? 1 : hash;
    }

    // (source port, destination port) of TCP, UDP or SCTP when `wanted`; (0, 0) for other protocols. False when cut short.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryReadPorts(ReadOnlySpan<byte> transport, bool wanted, byte protocol, out uint ports)
    {
        ports = 0;
        if (!wanted || protocol is not (TransportFields.ProtocolTcp or TransportFields.ProtocolUdp or TransportFields.ProtocolSctp))
        {
            return true;
        }

        if (transport.Length < TransportFields.PortsLength)
        {
            return false;
        }

        ports = BinaryPrimitives.ReadUInt32BigEndian(transport);
        return true;
    }

    // The endpoints in order (address, then port) so that both directions hash alike.
    private static uint HashIpv4(uint source, uint destination, uint ports, byte protocol)
    {
        var sourcePort = ports >> 16;
        var destinationPort = ports & 0xFFFF;
        if (source > destination || (source == destination && sourcePort > destinationPort))
        {
            (source, destination) = (destination, source);
            (sourcePort, destinationPort) = (destinationPort, sourcePort);
        }

        var h = Mix(4, source);
        h = Mix(h, destination);
        h = Mix(h, (sourcePort << 16) | destinationPort);
        h = Mix(h, protocol);
        return Finish(h, 13);
    }

    private static uint HashIpv6(UInt128 source, UInt128 destination, uint ports, byte protocol)
    {
        var sourcePort = ports >> 16;
        var destinationPort = ports & 0xFFFF;
        if (source > destination || (source == destination && sourcePort > destinationPort))
        {
            (source, destination) = (destination, source);
            (sourcePort, destinationPort) = (destinationPort, sourcePort);
        }

        var h = Mix(6, (uint)(source >> 96));
        h = Mix(h, (uint)(source >> 64));
        h = Mix(h, (uint)(source >> 32));
        h = Mix(h, (uint)source);
        h = Mix(h, (uint)(destination >> 96));
        h = Mix(h, (uint)(destination >> 64));
        h = Mix(h, (uint)(destination >> 32));
        h = Mix(h, (uint)destination);
        h = Mix(h, (sourcePort << 16) | destinationPort);
        h = Mix(h, protocol);
        return Finish(h, 37);
    }

    private static uint HashMacs(ulong destination, ulong source, ushort etherType)
    {
        if (source > destination)
        {
            (source, destination) = (destination, source);
        }

        var h = Mix(0, (uint)(source >> 32));
        h = Mix(h, (uint)source);
        h = Mix(h, (uint)(destination >> 32));
        h = Mix(h, (uint)destination);
        h = Mix(h, etherType);
        return Finish(h, 18);
    }

    private static ulong ReadMac(ReadOnlySpan<byte> data) =>
        ((ulong)BinaryPrimitives.ReadUInt16BigEndian(data) << 32) | BinaryPrimitives.ReadUInt32BigEndian(data.Slice(2));

    // MurmurHash3's 32-bit block round and finaliser (Austin Appleby, public domain).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Mix(uint h, uint k)
    {
        k *= 0xCC9E2D51;
        k = BitOperations.RotateLeft(k, 15);
        k *= 0x1B873593;
        h ^= k;
        h = BitOperations.RotateLeft(h, 13);
        return (h * 5) + 0xE6546B64;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Finish(uint h, uint length)
    {
        h ^= length;
        h ^= h >> 16;
        h *= 0x85EBCA6B;
        h ^= h >> 13;
        h *= 0xC2B2AE35;
        h ^= h >> 16;
        return h;
    }

    // The gates by name in this context (the runtime's follow the options).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Bind(StageContext context)
    {
        _gateIds = new GateId[_gates];
        for (var g = 0; g < _gates; g++)
        {
            _gateIds[g] = context.Gate(LoadBalanceOptions.GateName(g));
        }

        _context = context;
    }
}
