using System.Buffers.Binary;
using Netmap.Io.Ports.Nic;

namespace Netmap.Io.Tests.Ports.Nic;

// The software checksum a NIC port applies with offload off, on the header shapes netmap's own emulation
// does not handle (IPv4 options, IPv6 extension headers) and its edge cases; the oracle is NicFrames'.
public sealed class SoftwareChecksumTests
{
    [Fact]
    public void An_IPv4_header_with_options_is_summed_over_its_full_length()
    {
        var frame = WithIpv4Options(NicFrames.Ip(ipv6: false, NicFrames.Tcp, payload: 21));

        SoftwareChecksum.Fill(frame);

        NicFrames.AssertChecksumsRight(frame);
        Assert.True(SoftwareChecksum.Verify(frame));
    }

    [Fact]
    public void IPv6_hop_by_hop_and_destination_options_are_walked_to_the_segment()
    {
        var frame = NicFrames.Ip(ipv6: true, NicFrames.Udp, payload: 33);
        var withOptions = InsertIpv6Options(frame, 0, 60);

        SoftwareChecksum.Fill(withOptions);

        // The pseudo-header is the same; the segment is the same bytes: the checksum equals the plain frame's.
        var (_, expected) = NicFrames.ExpectedChecksums(frame);
        Assert.Equal(expected, BinaryPrimitives.ReadUInt16BigEndian(withOptions.AsSpan(withOptions.Length - 33 - 8 + 6)));
        Assert.True(SoftwareChecksum.Verify(withOptions));
    }

    [Fact]
    public void A_routing_header_is_left_alone()
    {
        var frame = InsertIpv6Options(NicFrames.Ip(ipv6: true, NicFrames.Tcp, payload: 8), 43);
        var before = (byte[])frame.Clone();

        SoftwareChecksum.Fill(frame);

        Assert.Equal(before, frame);
    }

    [Fact]
    public void A_UDP_checksum_that_computes_to_zero_is_sent_as_all_ones()
    {
        var frame = NicFrames.Ip(ipv6: false, NicFrames.Udp, payload: 20);
        var (_, checksum) = NicFrames.ExpectedChecksums(frame);
        // Adding the checksum into a payload word (one's-complement) makes the whole sum 0xFFFF: a computed 0.
        var at = frame.Length - 2;
        var word = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(at)) + (uint)checksum;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(at), (ushort)((word & 0xFFFF) + (word >> 16)));

        SoftwareChecksum.Fill(frame);

        Assert.Equal(0xFFFF, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(NicFrames.L4ChecksumAt(frame))));
        Assert.True(SoftwareChecksum.Verify(frame));
    }

    [Theory]
    [InlineData("IPv4 total length past the frame", 16, 0x7F)]
    [InlineData("IPv4 header length below 20", 14, 0x44)]
    [InlineData("IPv6 payload length past the frame", 18, 0x7F)]
    public void A_frame_whose_lengths_do_not_fit_keeps_its_segment_bytes(string kind, int at, byte value)
    {
        var ipv6 = kind.StartsWith("IPv6", StringComparison.Ordinal);
        var frame = NicFrames.Ip(ipv6, NicFrames.Udp, payload: 10);
        frame[at] = value;
        var before = (byte[])frame.Clone();

        SoftwareChecksum.Fill(frame);

        Assert.Equal(before[NicFrames.L4ChecksumAt(before)..], frame[NicFrames.L4ChecksumAt(before)..]);
    }

    [Fact]
    public void Ethernet_padding_after_the_IP_packet_is_not_summed()
    {
        var frame = NicFrames.Ip(ipv6: false, NicFrames.Udp, payload: 2); // 44 bytes: padded to 60 on the wire
        var padded = new byte[60];
        frame.CopyTo(padded, 0);
        padded.AsSpan(frame.Length).Fill(0xAA);

        SoftwareChecksum.Fill(padded);

        NicFrames.AssertChecksumsRight(padded[..frame.Length]);
        Assert.True(SoftwareChecksum.Verify(padded));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(13)]
    [InlineData(17)]
    public void Short_frames_are_ignored(int length)
    {
        var frame = new byte[length];
        if (length >= 14)
        {
            frame[12] = 0x81; // an 802.1Q tag with nothing after it
        }

        var before = (byte[])frame.Clone();

        SoftwareChecksum.Fill(frame);

        Assert.Equal(before, frame);
        Assert.True(SoftwareChecksum.Verify(frame));
    }

    private static byte[] WithIpv4Options(byte[] frame)
    {
        // Insert 4 bytes of options (NOP NOP NOP EOL) after the 20-byte header: IHL 6, total length + 4.
        var result = new byte[frame.Length + 4];
        frame.AsSpan(0, 34).CopyTo(result);
        result[34] = 1;
        result[35] = 1;
        result[36] = 1;
        result[37] = 0;
        frame.AsSpan(34).CopyTo(result.AsSpan(38));
        result[14] = 0x46;
        BinaryPrimitives.WriteUInt16BigEndian(result.AsSpan(16), (ushort)(BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(16)) + 4));
        return result;
    }

    // Puts one 8-byte extension header of each given type between the IPv6 header and the segment.
    private static byte[] InsertIpv6Options(byte[] frame, params byte[] types)
    {
        const int l4 = 14 + 40;
        var result = new byte[frame.Length + (8 * types.Length)];
        frame.AsSpan(0, l4).CopyTo(result);
        var next = frame[14 + 6];
        result[14 + 6] = types[0];
        for (var i = 0; i < types.Length; i++)
        {
            var at = l4 + (8 * i);
            result[at] = i + 1 < types.Length ? types[i + 1] : next;
            result[at + 1] = 0; // 8 bytes
            result[at + 2] = 1; // PadN filling the rest
            result[at + 3] = 4;
        }

        frame.AsSpan(l4).CopyTo(result.AsSpan(l4 + (8 * types.Length)));
        BinaryPrimitives.WriteUInt16BigEndian(result.AsSpan(14 + 4), (ushort)(BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(14 + 4)) + (8 * types.Length)));
        return result;
    }
}
