using System.Buffers.Binary;
using Netmap.Io.Packets;
using Pipeline.Cli.Bench;

namespace Pipeline.Cli.Tests.Bench;

public sealed class FrameTemplateTests
{
    [Theory]
    [InlineData(42)]
    [InlineData(60)]
    [InlineData(61)] // an odd UDP length: the checksum pads the last byte
    [InlineData(1500)]
    [InlineData(9000)]
    [InlineData(65535)]
    public void A_frame_is_udp_over_ipv4_with_both_checksums_right(int length)
    {
        var frame = FrameTemplate.Create(length).Bytes;

        Assert.Equal(length, frame.Length);
        Assert.Equal(0x0800, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)));
        var ip = frame.AsSpan(14, 20);
        Assert.Equal(0x45, ip[0]);
        Assert.Equal(length - 14, BinaryPrimitives.ReadUInt16BigEndian(ip[2..]));
        Assert.Equal(17, ip[9]);
        Assert.Equal([10, 0, 0, 1], ip[12..16].ToArray());
        Assert.Equal([10, 1, 0, 1], ip[16..20].ToArray());
        Assert.True(Checksum.Verify(ip), "IPv4 header checksum");
        var udp = frame.AsSpan(34);
        Assert.Equal(1234, BinaryPrimitives.ReadUInt16BigEndian(udp));
        Assert.Equal(1234, BinaryPrimitives.ReadUInt16BigEndian(udp[2..]));
        Assert.Equal(length - 34, BinaryPrimitives.ReadUInt16BigEndian(udp[4..]));
        var pseudo = Checksum.PseudoHeaderV4(ip[12..16], ip[16..20], 17, udp.Length);
        Assert.Equal(0, Checksum.Finish(Checksum.Sum(udp, pseudo))); // the whole datagram sums to 0xFFFF
    }

    [Theory]
    [InlineData(41)]
    [InlineData(65536)]
    public void Sizes_outside_the_headers_and_a_16_bit_length_are_refused(int length) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => FrameTemplate.Create(length));
}
