using System.Buffers.Binary;
using Stages.Ethernet;

namespace Stages.Tunnels;

// A symmetric flow hash of an Ethernet frame, for the flow's entropy in an outer header: the IPv4 or IPv6
// addresses, the protocol and (TCP, UDP, SCTP, DCCP; not in a later fragment) the ports; the MACs and EtherType of
// anything else. Symmetric: the lower (address, port) end is hashed first, so both directions of a flow hash alike.
// Never 0 (0 in PacketMeta.FlowHash means "not computed").
internal static class InnerFlowHash
{
    private const int Ipv4MinLength = 20;
    private const int Ipv6Length = 40;
    private const ulong Seed = 0x243F6A8885A308D3; // pi's fraction: any odd constant

    public static uint Compute(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < EthernetFields.HeaderLength)
        {
            return Finish(Add(Seed, (ulong)frame.Length));
        }

        var l2 = MplsFields.L2HeaderLength(frame);
        if (l2 > 0)
        {
            var etherType = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(l2 - 2));
            var l3 = frame.Slice(l2);
            if (etherType == MplsFields.EtherTypeIpv4 && l3.Length >= Ipv4MinLength && l3[0] >> 4 == 4)
            {
                return HashIpv4(l3);
            }

            if (etherType == MplsFields.EtherTypeIpv6 && l3.Length >= Ipv6Length && l3[0] >> 4 == 6)
            {
                return HashIpv6(l3);
            }
        }

        // Not IP: the MACs (ordered) and the outer EtherType.
        var dst = ReadMac(frame);
        var src = ReadMac(frame.Slice(6));
        var type = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(EthernetFields.EtherTypeOffset));
        return Finish(Add(Add(Add(Seed, Math.Min(dst, src)), Math.Max(dst, src)), type));
    }

    private static uint HashIpv4(ReadOnlySpan<byte> ip)
    {
        var ihl = (ip[0] & 0x0F) * 4;
        var protocol = ip[9];
        var source = BinaryPrimitives.ReadUInt32BigEndian(ip.Slice(12));
        var destination = BinaryPrimitives.ReadUInt32BigEndian(ip.Slice(16));
        uint sourcePort = 0;
        uint destinationPort = 0;
        var fragmentOffset = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(6)) & 0x1FFF;
        if (ihl >= Ipv4MinLength && fragmentOffset == 0 && HasPorts(protocol) && ip.Length >= ihl + 4)
        {
            sourcePort = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(ihl));
            destinationPort = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(ihl + 2));
        }

        var a = ((ulong)source << 16) | sourcePort;
        var b = ((ulong)destination << 16) | destinationPort;
        return Finish(Add(Add(Add(Seed, Math.Min(a, b)), Math.Max(a, b)), protocol));
    }

    private static uint HashIpv6(ReadOnlySpan<byte> ip)
    {
        var nextHeader = ip[6];
        var source = ip.Slice(8, 16);
        var destination = ip.Slice(24, 16);
        uint sourcePort = 0;
        uint destinationPort = 0;
        if (HasPorts(nextHeader) && ip.Length >= Ipv6Length + 4)
        {
            sourcePort = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(Ipv6Length));
            destinationPort = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(Ipv6Length + 2));
        }

        var order = source.SequenceCompareTo(destination);
        if (order > 0 || (order == 0 && sourcePort > destinationPort))
        {
            var lower = destination;
            destination = source;
            source = lower;
            (sourcePort, destinationPort) = (destinationPort, sourcePort);
        }

        var h = Add(Seed, BinaryPrimitives.ReadUInt64BigEndian(source));
        h = Add(h, BinaryPrimitives.ReadUInt64BigEndian(source.Slice(8)));
        h = Add(h, BinaryPrimitives.ReadUInt64BigEndian(destination));
        h = Add(h, BinaryPrimitives.ReadUInt64BigEndian(destination.Slice(8)));
        return Finish(Add(h, ((ulong)sourcePort << 24) | (destinationPort << 8) | nextHeader));
    }

    private static bool HasPorts(byte protocol) => protocol is 6 or 17 or 33 or 132; // TCP, UDP, DCCP, SCTP

    private static ulong ReadMac(ReadOnlySpan<byte> at) =>
        ((ulong)BinaryPrimitives.ReadUInt32BigEndian(at) << 16) | BinaryPrimitives.ReadUInt16BigEndian(at.Slice(4));

    private static ulong Add(ulong h, ulong value)
    {
        h = (h ^ value) * 0x9E3779B97F4A7C15;
        return h ^ (h >> 32);
    }

    // SplitMix64's finaliser, folded to 32 bits; 0 becomes 1.
    private static uint Finish(ulong h)
    {
        h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9;
        h = (h ^ (h >> 27)) * 0x94D049BB133111EB;
        h ^= h >> 31;
        var hash = (uint)(h ^ (h >> 32));
        return hash == 0 ? 1 : hash;
    }
}
