using System.Buffers.Binary;
using System.Net;
using Netmap.Io.Packets;

namespace Netmap.Io.Tests.Linux;

/// <summary>Ethernet frames for the Linux tests, with correct lengths and checksums; 10.x addresses only.</summary>
internal static class TestFrames
{
    public static readonly byte[] MacA = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01];
    public static readonly byte[] MacB = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x02];
    public static readonly byte[] Broadcast = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

    /// <summary>The ASCII form of a MAC for ip and tcpdump.</summary>
    public static string Text(byte[] mac) => Convert.ToHexString(mac).ToLowerInvariant() is var h
        ? string.Join(':', Enumerable.Range(0, 6).Select(i => h.Substring(i * 2, 2)))
        : string.Empty;

    /// <summary>
    /// A UDP frame of exactly <paramref name="length"/> bytes (at least 46 without tags) whose payload starts with
    /// <paramref name="sequence"/> and is then a pattern; VLAN tags (TPID, VID pairs) go after the MACs.
    /// </summary>
    public static byte[] Udp(int sequence, int length, byte[] source, byte[] destination, ushort sourcePort = 4000, ushort destinationPort = 5000, params (ushort Tpid, ushort Vid)[] tags)
    {
        var l2 = 14 + (4 * tags.Length);
        var frame = new byte[length];
        destination.CopyTo(frame, 0);
        source.CopyTo(frame, 6);
        var at = 12;
        foreach (var (tpid, vid) in tags)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(at), tpid);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(at + 2), vid);
            at += 4;
        }

        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(at), 0x0800);
        var ip = frame.AsSpan(l2);
        var udpLength = length - l2 - 20;
        Ipv4Header(ip, 17, 20 + udpLength, "10.77.0.1", "10.77.0.2", (ushort)sequence);
        var udp = ip[20..];
        BinaryPrimitives.WriteUInt16BigEndian(udp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)udpLength);
        BinaryPrimitives.WriteInt32BigEndian(udp[8..], sequence);
        for (var i = 12; i < udpLength; i++)
        {
            udp[i] = (byte)((sequence + i) % 251);
        }

        var sum = Checksum.PseudoHeaderV4(ip[12..16], ip[16..20], 17, udpLength);
        var checksum = Checksum.Finish(Checksum.Sum(udp[..udpLength], sum));
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], checksum == 0 ? (ushort)0xffff : checksum);
        return frame;
    }

    /// <summary>The sequence number <see cref="Udp"/> wrote (untagged frames).</summary>
    public static int SequenceOf(ReadOnlySpan<byte> frame) => BinaryPrimitives.ReadInt32BigEndian(frame[(14 + 20 + 8)..]);

    /// <summary>An ARP request or reply (42 bytes).</summary>
    public static byte[] Arp(ushort operation, byte[] senderMac, string senderIp, byte[] targetMac, string targetIp, byte[] destination)
    {
        var frame = new byte[42];
        destination.CopyTo(frame, 0);
        senderMac.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0806);
        var arp = frame.AsSpan(14);
        BinaryPrimitives.WriteUInt16BigEndian(arp, 1);
        BinaryPrimitives.WriteUInt16BigEndian(arp[2..], 0x0800);
        arp[4] = 6;
        arp[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(arp[6..], operation);
        senderMac.CopyTo(arp[8..]);
        IPAddress.Parse(senderIp).GetAddressBytes().CopyTo(arp[14..]);
        targetMac.CopyTo(arp[18..]);
        IPAddress.Parse(targetIp).GetAddressBytes().CopyTo(arp[24..]);
        return frame;
    }

    /// <summary>An ICMP echo request with a 32-byte pattern payload.</summary>
    public static byte[] EchoRequest(byte[] source, byte[] destination, string sourceIp, string destinationIp, ushort id, ushort sequence)
    {
        const int icmpLength = 8 + 32;
        var frame = new byte[14 + 20 + icmpLength];
        destination.CopyTo(frame, 0);
        source.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        var ip = frame.AsSpan(14);
        Ipv4Header(ip, 1, 20 + icmpLength, sourceIp, destinationIp, sequence);
        var icmp = ip[20..];
        icmp[0] = 8;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[4..], id);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], sequence);
        for (var i = 8; i < icmpLength; i++)
        {
            icmp[i] = (byte)i;
        }

        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Checksum.Compute(icmp));
        return frame;
    }

    /// <summary>True when the frame's IPv4 header checksum and its ICMP (or UDP) checksum are right.</summary>
    public static bool ChecksumsAreValid(ReadOnlySpan<byte> frame)
    {
        var ip = frame[14..];
        var headerLength = (ip[0] & 0x0f) * 4;
        if (!Checksum.Verify(ip[..headerLength]))
        {
            return false;
        }

        var total = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        var l4 = ip[headerLength..total];
        return ip[9] switch
        {
            1 => Checksum.Verify(l4),
            17 => Checksum.Finish(Checksum.Sum(l4, Checksum.PseudoHeaderV4(ip[12..16], ip[16..20], 17, l4.Length))) == 0,
            _ => false,
        };
    }

    private static void Ipv4Header(Span<byte> ip, byte protocol, int totalLength, string source, string destination, ushort id)
    {
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)totalLength);
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], id);
        ip[8] = 64;
        ip[9] = protocol;
        IPAddress.Parse(source).GetAddressBytes().CopyTo(ip[12..]);
        IPAddress.Parse(destination).GetAddressBytes().CopyTo(ip[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum.Compute(ip[..20]));
    }
}
