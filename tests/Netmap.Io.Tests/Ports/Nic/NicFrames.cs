using System.Buffers.Binary;

namespace Netmap.Io.Tests.Ports.Nic;

/// <summary>
/// Test frames for NIC ports (Ethernet, optional VLAN tags, IPv4/IPv6, TCP/UDP, with checksums zeroed or
/// right) and an independent checksum oracle: a plain RFC 1071 loop written here, not the library's code.
/// </summary>
internal static class NicFrames
{
    public const byte Tcp = 6;
    public const byte Udp = 17;

    /// <summary>A non-IP frame (local experimental ethertype 0x88B5) of <paramref name="length"/> bytes with a pattern payload.</summary>
    public static byte[] Plain(int length, int seed = 0)
    {
        var frame = PacketFill.Pattern(length, seed);
        if (length >= 14)
        {
            WriteMacs(frame);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x88B5);
        }

        return frame;
    }

    /// <summary>
    /// An IPv4 or IPv6 frame carrying TCP or UDP with <paramref name="payload"/> pattern bytes, behind
    /// <paramref name="vlanTags"/> 802.1Q tags; every checksum field is 0 unless <paramref name="withChecksums"/>.
    /// </summary>
    public static byte[] Ip(bool ipv6, byte protocol, int payload, int vlanTags = 0, bool withChecksums = false, int seed = 7)
    {
        var l2 = 14 + (4 * vlanTags);
        var l3Length = ipv6 ? 40 : 20;
        var l4Header = protocol == Tcp ? 20 : 8;
        var frame = new byte[l2 + l3Length + l4Header + payload];
        WriteMacs(frame);
        var at = 12;
        for (var t = 0; t < vlanTags; t++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(at), t == 0 && vlanTags > 1 ? (ushort)0x88A8 : (ushort)0x8100);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(at + 2), (ushort)(100 + t));
            at += 4;
        }

        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(at), ipv6 ? (ushort)0x86DD : (ushort)0x0800);
        var ip = frame.AsSpan(l2);
        var l4Length = l4Header + payload;
        if (ipv6)
        {
            ip[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)l4Length);
            ip[6] = protocol;
            ip[7] = 64;
            ip[8] = 0xfd;
            ip[23] = 1;
            ip[24] = 0xfd;
            ip[39] = 2;
        }
        else
        {
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + l4Length));
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], 0x1234);
            BinaryPrimitives.WriteUInt16BigEndian(ip[6..], 0x4000); // DF
            ip[8] = 64;
            ip[9] = protocol;
            ip[12] = 10;
            ip[15] = 1;
            ip[16] = 10;
            ip[19] = 2;
        }

        var l4 = frame.AsSpan(l2 + l3Length);
        BinaryPrimitives.WriteUInt16BigEndian(l4, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(l4[2..], protocol == Tcp ? (ushort)80 : (ushort)53);
        if (protocol == Tcp)
        {
            BinaryPrimitives.WriteUInt32BigEndian(l4[4..], 0x01020304);
            l4[12] = 5 << 4;
            l4[13] = 0x18; // PSH ACK
            BinaryPrimitives.WriteUInt16BigEndian(l4[14..], 8192);
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(l4[4..], (ushort)l4Length);
        }

        for (var i = 0; i < payload; i++)
        {
            l4[l4Header + i] = (byte)((seed + (i * 13)) % 256);
        }

        if (withChecksums)
        {
            var (ipSum, l4Sum) = ExpectedChecksums(frame);
            if (ipSum is { } v4)
            {
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(Layout(frame).L3 + 10), v4);
            }

            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(L4ChecksumAt(frame)), l4Sum);
        }

        return frame;
    }

    /// <summary>Where the TCP/UDP checksum field of an <see cref="Ip"/> frame is.</summary>
    public static int L4ChecksumAt(byte[] frame)
    {
        var (l3, ipv6, protocol) = Layout(frame);
        var l4 = l3 + (ipv6 ? 40 : (frame[l3] & 0xF) * 4);
        return l4 + (protocol == Tcp ? 16 : 6);
    }

    /// <summary>The IPv4 header checksum field offset, or -1 for IPv6.</summary>
    public static int Ipv4ChecksumAt(byte[] frame)
    {
        var (l3, ipv6, _) = Layout(frame);
        return ipv6 ? -1 : l3 + 10;
    }

    /// <summary>
    /// The checksums an <see cref="Ip"/> frame should carry, computed from scratch with the fields taken as 0:
    /// (IPv4 header checksum or null, TCP/UDP checksum).
    /// </summary>
    public static (ushort? Ipv4, ushort L4) ExpectedChecksums(byte[] original)
    {
        var frame = (byte[])original.Clone();
        var (l3, ipv6, protocol) = Layout(frame);
        ushort? ipSum = null;
        int l4, l4Length;
        var pseudo = new List<byte>();
        if (ipv6)
        {
            l4 = l3 + 40;
            l4Length = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(l3 + 4));
            pseudo.AddRange(frame.AsSpan(l3 + 8, 32).ToArray());
            pseudo.AddRange([0, 0, (byte)(l4Length >> 8), (byte)l4Length, 0, 0, 0, protocol]);
        }
        else
        {
            var ihl = (frame[l3] & 0xF) * 4;
            frame[l3 + 10] = 0;
            frame[l3 + 11] = 0;
            ipSum = OnesComplement(frame.AsSpan(l3, ihl).ToArray());
            l4 = l3 + ihl;
            l4Length = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(l3 + 2)) - ihl;
            pseudo.AddRange(frame.AsSpan(l3 + 12, 8).ToArray());
            pseudo.AddRange([0, protocol, (byte)(l4Length >> 8), (byte)l4Length]);
        }

        var cs = l4 + (protocol == Tcp ? 16 : 6);
        frame[cs] = 0;
        frame[cs + 1] = 0;
        pseudo.AddRange(frame.AsSpan(l4, l4Length).ToArray());
        var l4Sum = OnesComplement([.. pseudo]);
        if (l4Sum == 0 && protocol == Udp)
        {
            l4Sum = 0xFFFF;
        }

        return (ipSum, l4Sum);
    }

    /// <summary>Asserts that <paramref name="frame"/> carries the right checksums, recomputed here.</summary>
    public static void AssertChecksumsRight(byte[] frame)
    {
        var (ipSum, l4Sum) = ExpectedChecksums(frame);
        if (ipSum is { } v4)
        {
            Assert.Equal(v4, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(Ipv4ChecksumAt(frame))));
        }

        Assert.Equal(l4Sum, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(L4ChecksumAt(frame))));
    }

    /// <summary>RFC 1071, the slow and obvious way: 16-bit big-endian words, odd byte padded, end-around carry, inverted.</summary>
    public static ushort OnesComplement(byte[] data)
    {
        uint sum = 0;
        for (var i = 0; i < data.Length; i += 2)
        {
            var word = (uint)(data[i] << 8) | (i + 1 < data.Length ? data[i + 1] : 0u);
            sum += word;
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }

    private static (int L3, bool Ipv6, byte Protocol) Layout(byte[] frame)
    {
        var at = 12;
        while (BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(at)) is 0x8100 or 0x88A8)
        {
            at += 4;
        }

        var ipv6 = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(at)) == 0x86DD;
        var l3 = at + 2;
        return (l3, ipv6, ipv6 ? frame[l3 + 6] : frame[l3 + 9]);
    }

    private static void WriteMacs(byte[] frame)
    {
        frame[0] = 0x02;
        frame[5] = 0x02;
        frame[6] = 0x02;
        frame[11] = 0x01;
    }
}
