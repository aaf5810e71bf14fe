using System.Buffers.Binary;
using Netmap.Io.Packets;

namespace Netmap.Io.Ports.Nic;

/// <summary>
/// What a NIC port does when checksum offload is off (netmap-notes §9, DESIGN "Checksums"): fills the IPv4
/// header checksum and the TCP/UDP checksum (IPv4 and IPv6, pseudo-header included) of an outgoing frame in
/// software, and checks them on an incoming one. Unlike netmap's emulation, which assumes a 14-byte Ethernet
/// header and option-less IP headers, it skips VLAN tags (802.1Q, 802.1ad), honours the IPv4 header length
/// and walks IPv6 hop-by-hop and destination-options headers. Anything else (other protocols, IP fragments,
/// IPv6 routing or fragment headers, lengths that do not fit the frame) is left alone: a frame is never
/// made longer or shorter, and bytes past the IP packet (Ethernet padding) are not summed.
/// </summary>
internal static class SoftwareChecksum
{
    private const int EthernetHeaderLength = 14;
    private const int MaxVlanTags = 4;
    private const ushort EtherTypeIpv4 = 0x0800;
    private const ushort EtherTypeIpv6 = 0x86DD;
    private const byte ProtocolTcp = 6;
    private const byte ProtocolUdp = 17;
    private const int TcpChecksumOffset = 16;
    private const int UdpChecksumOffset = 6;
    private const int Ipv4ChecksumOffset = 10;

    /// <summary>Computes and writes the checksums of <paramref name="frame"/> (an Ethernet frame) in place.</summary>
    public static void Fill(Span<byte> frame)
    {
        if (!TryLocate(frame, out var at))
        {
            return;
        }

        if (at.Ipv4HeaderLength != 0)
        {
            var header = frame.Slice(at.L3, at.Ipv4HeaderLength);
            BinaryPrimitives.WriteUInt16BigEndian(header[Ipv4ChecksumOffset..], 0);
            BinaryPrimitives.WriteUInt16BigEndian(header[Ipv4ChecksumOffset..], Checksum.Compute(header));
        }

        if (at.L4Length == 0)
        {
            return;
        }

        var segment = frame.Slice(at.L4, at.L4Length);
        var field = segment[(at.Protocol == ProtocolTcp ? TcpChecksumOffset : UdpChecksumOffset)..];
        BinaryPrimitives.WriteUInt16BigEndian(field, 0);
        var value = Checksum.Finish(at.PseudoHeaderSum + Checksum.Sum(segment));
        if (value == 0 && at.Protocol == ProtocolUdp)
        {
            value = 0xFFFF; // a computed 0 is sent as all ones: 0 means "no checksum" in UDP (RFC 768)
        }

        BinaryPrimitives.WriteUInt16BigEndian(field, value);
    }

    /// <summary>
    /// True when every checksum <see cref="Fill"/> would write is right in <paramref name="frame"/> (also when
    /// there is none to check). An IPv4 UDP checksum of 0 means "not computed" and passes; over IPv6 it fails.
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> frame)
    {
        if (!TryLocate(frame, out var at))
        {
            return true;
        }

        if (at.Ipv4HeaderLength != 0 && !Checksum.Verify(frame.Slice(at.L3, at.Ipv4HeaderLength)))
        {
            return false;
        }

        if (at.L4Length == 0)
        {
            return true;
        }

        var segment = frame.Slice(at.L4, at.L4Length);
        if (at.Protocol == ProtocolUdp && at.Ipv4HeaderLength != 0 && BinaryPrimitives.ReadUInt16BigEndian(segment[UdpChecksumOffset..]) == 0)
        {
            return true;
        }

        return Checksum.Finish(at.PseudoHeaderSum + Checksum.Sum(segment)) == 0;
    }

    /// <summary>Finds the IP header and the TCP/UDP segment; false when the frame carries no IP packet.</summary>
    private static bool TryLocate(ReadOnlySpan<byte> frame, out Location at)
    {
        at = default;
        if (frame.Length < EthernetHeaderLength)
        {
            return false;
        }

        var etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        var l3 = EthernetHeaderLength;
        for (var tags = 0; etherType is 0x8100 or 0x88A8 or 0x9100; tags++)
        {
            if (tags == MaxVlanTags || frame.Length < l3 + 4)
            {
                return false;
            }

            etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[(l3 + 2)..]);
            l3 += 4;
        }

        return etherType switch
        {
            EtherTypeIpv4 => TryLocateIpv4(frame, l3, out at),
            EtherTypeIpv6 => TryLocateIpv6(frame, l3, out at),
            _ => false,
        };
    }

    private static bool TryLocateIpv4(ReadOnlySpan<byte> frame, int l3, out Location at)
    {
        at = default;
        if (frame.Length < l3 + 20 || frame[l3] >> 4 != 4)
        {
            return false;
        }

        var headerLength = (frame[l3] & 0xF) * 4;
        if (headerLength < 20 || frame.Length < l3 + headerLength)
        {
            return false;
        }

        at = new Location { L3 = l3, Ipv4HeaderLength = headerLength };
        var totalLength = BinaryPrimitives.ReadUInt16BigEndian(frame[(l3 + 2)..]);
        var fragment = BinaryPrimitives.ReadUInt16BigEndian(frame[(l3 + 6)..]);
        var protocol = frame[l3 + 9];
        if (totalLength < headerLength || frame.Length < l3 + totalLength || (fragment & 0x3FFF) != 0)
        {
            return true; // the header checksum only: the segment is not all here, or is a fragment
        }

        var l4 = l3 + headerLength;
        var l4Length = totalLength - headerLength;
        if (!FitsSegment(protocol, l4Length))
        {
            return true;
        }

        at.L4 = l4;
        at.L4Length = l4Length;
        at.Protocol = protocol;
        at.PseudoHeaderSum = Checksum.PseudoHeaderV4(frame.Slice(l3 + 12, 4), frame.Slice(l3 + 16, 4), protocol, l4Length);
        return true;
    }

    private static bool TryLocateIpv6(ReadOnlySpan<byte> frame, int l3, out Location at)
    {
        at = default;
        if (frame.Length < l3 + 40 || frame[l3] >> 4 != 6)
        {
            return false;
        }

        var end = l3 + 40 + BinaryPrimitives.ReadUInt16BigEndian(frame[(l3 + 4)..]);
        if (frame.Length < end)
        {
            return false;
        }

        var next = frame[l3 + 6];
        var l4 = l3 + 40;
        // Hop-by-hop (0) and destination options (60) do not change the pseudo-header; routing (43) would (its
        // final destination), fragments (44) carry part of a segment: both are left alone, as is anything else.
        while (next is 0 or 60)
        {
            if (end < l4 + 8)
            {
                return false;
            }

            var length = (frame[l4 + 1] + 1) * 8;
            next = frame[l4];
            l4 += length;
            if (end < l4)
            {
                return false;
            }
        }

        var l4Length = end - l4;
        if (!FitsSegment(next, l4Length))
        {
            return false;
        }

        at = new Location
        {
            L3 = l3,
            L4 = l4,
            L4Length = l4Length,
            Protocol = next,
            PseudoHeaderSum = Checksum.PseudoHeaderV6(frame.Slice(l3 + 8, 16), frame.Slice(l3 + 24, 16), next, l4Length),
        };
        return true;
    }

    private static bool FitsSegment(byte protocol, int length) => protocol switch
    {
        ProtocolTcp => length >= 20,
        ProtocolUdp => length >= 8,
        _ => false,
    };

    /// <summary>Where the checksummed parts are; a zero length means "nothing of that kind to do".</summary>
    private struct Location
    {
        public int L3;
        public int Ipv4HeaderLength;
        public int L4;
        public int L4Length;
        public byte Protocol;
        public ulong PseudoHeaderSum;
    }
}
