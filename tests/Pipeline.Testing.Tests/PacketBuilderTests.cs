using System.Buffers.Binary;
using Netmap.Io.Packets;

namespace Pipeline.Testing.Tests;

public sealed class PacketBuilderTests
{
    [Fact]
    public void A_udp_frame_has_every_field_and_valid_checksums()
    {
        var frame = new PacketBuilder().Ethernet("02:00:00:00:00:01", "02:00:00:00:00:02").Ipv4("10.0.0.1", "10.0.0.2", ttl: 63).Udp(1234, 53).Payload(10).Build();

        Assert.Equal(14 + 20 + 8 + 10, frame.Length);
        Assert.Equal(Convert.FromHexString("020000000002"), frame[..6]);
        Assert.Equal(Convert.FromHexString("020000000001"), frame[6..12]);
        Assert.Equal(0x0800, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)));
        var ip = frame.AsSpan(14);
        Assert.Equal(0x45, ip[0]);
        Assert.Equal(38, BinaryPrimitives.ReadUInt16BigEndian(ip[2..]));
        Assert.Equal(63, ip[8]);
        Assert.Equal(17, ip[9]);
        Assert.True(Checksum.Verify(ip[..20]));
        var udp = ip[20..];
        Assert.Equal(1234, BinaryPrimitives.ReadUInt16BigEndian(udp));
        Assert.Equal(53, BinaryPrimitives.ReadUInt16BigEndian(udp[2..]));
        Assert.Equal(18, BinaryPrimitives.ReadUInt16BigEndian(udp[4..]));
        var pseudo = Checksum.PseudoHeaderV4(ip[12..16], ip[16..20], 17, udp.Length);
        Assert.Equal(0, Checksum.Finish(Checksum.Sum(udp, pseudo)));
    }

    [Fact]
    public void Vlan_and_qinq_tags_carry_their_tpid_and_the_inner_ethertype()
    {
        var frame = new PacketBuilder().Ethernet().Vlan(200, tpid: 0x88A8).Vlan(100, pcp: 5).Ipv4().Udp(1, 2).Build();

        Assert.Equal(0x88A8, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)));
        Assert.Equal(200, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(14)) & 0x0FFF);
        Assert.Equal(0x8100, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(16)));
        Assert.Equal((5 << 13) | 100, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(18)));
        Assert.Equal(0x0800, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(20)));
        Assert.Equal("02:00:00:00:00:01 > 02:00:00:00:00:02 qinq 200 vlan 100 pcp 5 ipv4 10.0.0.1 > 10.0.0.2 ttl 64 udp 1 > 2 len 0", PacketDecoder.Describe(frame));
    }

    [Fact]
    public void Tcp_over_ipv6_has_a_valid_checksum()
    {
        var frame = new PacketBuilder().Ethernet().Ipv6().Tcp(40000, 443, flags: 0x12).Payload(5).Build();
        var ip = frame.AsSpan(14);
        var tcp = ip[40..];
        var pseudo = Checksum.PseudoHeaderV6(ip[8..24], ip[24..40], 6, tcp.Length);
        Assert.Equal(0, Checksum.Finish(Checksum.Sum(tcp, pseudo)));
        Assert.Equal("02:00:00:00:00:01 > 02:00:00:00:00:02 ipv6 2001:db8::1 > 2001:db8::2 hlim 64 tcp 40000 > 443 [S.] len 5", PacketDecoder.Describe(frame));
    }

    [Fact]
    public void Arp_requests_decode()
    {
        var frame = new PacketBuilder().Ethernet("02:00:00:00:00:01", "ff:ff:ff:ff:ff:ff").Arp("10.0.0.1", "10.0.0.9").Build();
        Assert.Equal("02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff arp who-has 10.0.0.9 tell 10.0.0.1", PacketDecoder.Describe(frame));
    }

    [Theory]
    [InlineData(10, "[truncated ethernet: 10 bytes]")]
    [InlineData(16, "02:00:00:00:00:01 > 02:00:00:00:00:02 [malformed ipv4]")]
    [InlineData(40, "02:00:00:00:00:01 > 02:00:00:00:00:02 ipv4 10.0.0.1 > 10.0.0.2 ttl 64 [bad total length 34]")]
    public void Truncated_frames_are_named_not_thrown(int keep, string expected)
    {
        var frame = new PacketBuilder().Ethernet().Ipv4().Udp(1, 2).Payload(6).Build();
        Assert.Equal(expected, PacketDecoder.Describe(frame.AsSpan(0, keep)));
    }

    [Fact]
    public void A_bad_ipv4_checksum_is_flagged()
    {
        var frame = new PacketBuilder().Ethernet().Ipv4().Udp(1, 2).Build();
        frame[14 + 8]--; // TTL changed without fixing the checksum
        Assert.Contains("ttl 63 bad-cksum", PacketDecoder.Describe(frame), StringComparison.Ordinal);
    }

    [Fact]
    public void The_hex_dump_shows_offsets_and_two_byte_words()
    {
        var bytes = Enumerable.Range(0, 18).Select(i => (byte)i).ToArray();
        Assert.Equal(
            "  0000  0001 0203 0405 0607 0809 0a0b 0c0d 0e0f\n  0010  1011\n",
            HexDump.Format(bytes));
    }
}
