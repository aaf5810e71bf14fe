using Netmap.Io.Files;

namespace Netmap.Io.Tests.Files;

// PcapReader over hand-built bytes (CaptureBuilder): every variant of both formats, then the damage cases,
// each with the exact byte offset the error must name.
public sealed class PcapReaderTests
{
    private const long T0 = 1_704_067_200_000_000_000; // 2024-01-01T00:00:00Z in ns

    private static readonly TestPacket[] Three =
    [
        new(PacketFill.Pattern(60, 1), T0 + 123_456_000),
        new(PacketFill.Pattern(1514, 2), T0 + 1_000_000_000, 1514),
        new(PacketFill.Pattern(64, 3), T0 + 2_500_000_000, 1500), // cut by a snap length: wire length kept
    ];

    private readonly byte[] _buffer = new byte[PcapFormat.MaxCapturedLength];

    public static TheoryData<string, bool, bool> PcapVariants => new()
    {
        { "little-endian µs", false, false },
        { "big-endian µs", true, false },
        { "little-endian ns", false, true },
        { "big-endian ns", true, true },
    };

    [Theory]
    [MemberData(nameof(PcapVariants))]
    public void Pcap_variant_gives_every_packet_with_its_time_and_lengths(string variant, bool bigEndian, bool nanoseconds)
    {
        var packets = nanoseconds
            ? Three.Select(p => p with { TimestampNs = p.TimestampNs + 789 }).ToArray() // ns survive only in ns files
            : Three;
        var builder = CaptureBuilder.PcapBuilder(packets, bigEndian, nanoseconds);
        using var reader = new PcapReader(new MemoryStream(builder.ToArray()), variant);

        Assert.False(reader.IsPcapNg);
        Assert.Equal(bigEndian, reader.IsBigEndian);
        AssertPackets(reader, packets, [.. builder.Offsets]);
    }

    [Fact]
    public void Pcap_record_offsets_follow_the_24_byte_header()
    {
        var builder = CaptureBuilder.PcapBuilder(Three);

        Assert.Equal(new long[] { 24, 24 + 16 + 60, 24 + 16 + 60 + 16 + 1514 }, builder.Offsets);
        using var reader = new PcapReader(new MemoryStream(builder.ToArray()), "x");
        Assert.Equal(24, reader.Position);
    }

    public static TheoryData<string, bool> ByteOrders => new() { { "little-endian", false }, { "big-endian", true } };

    [Theory]
    [MemberData(nameof(ByteOrders))]
    public void Pcapng_reads_enhanced_and_simple_packets_with_each_interface_resolution(string variant, bool bigEndian)
    {
        var b = new CaptureBuilder(bigEndian).Section()
            .Interface()                                  // 0: default resolution, µs
            .Interface(tsResolution: 9)                   // 1: ns
            .Interface(tsResolution: 0x80 | 10)           // 2: 2^-10 s
            .Interface(tsResolution: 3, tsOffsetSeconds: 1_704_067_200); // 3: ms, relative to 2024-01-01
        b.Block(4, new byte[8]);                          // a name resolution block: skipped
        var a = PacketFill.Pattern(60, 10);
        var c = PacketFill.Pattern(1514, 11);
        var d = PacketFill.Pattern(61, 12);               // not a multiple of 4: padded
        var e = PacketFill.Pattern(98, 13);
        var f = PacketFill.Pattern(42, 14);
        b.Enhanced(0, (ulong)(T0 / 1000) + 5, a);
        b.Enhanced(1, (ulong)T0 + 7, c, withOptions: true);
        b.Enhanced(2, ((ulong)1_704_067_200 << 10) + 512, d, originalLength: 200);
        b.Enhanced(3, 1_250, e);
        b.Simple(f);
        b.Block(5, new byte[16]);                         // interface statistics: skipped
        b.Block(0x40000bad, new byte[4]);                 // a custom block: skipped
        using var reader = new PcapReader(new MemoryStream(b.ToArray()), variant);

        Assert.True(reader.IsPcapNg);
        Assert.Equal(bigEndian, reader.IsBigEndian);
        var expected = new[]
        {
            new TestPacket(a, T0 + 5_000),
            new TestPacket(c, T0 + 7),
            new TestPacket(d, T0 + 500_000_000, 200),
            new TestPacket(e, T0 + 1_250_000_000),
            new TestPacket(f, T0 + 1_250_000_000), // an SPB has no time: it keeps the previous packet's
        };
        AssertPackets(reader, expected, [b.Offsets[6], b.Offsets[7], b.Offsets[8], b.Offsets[9], b.Offsets[10]]);
    }

    [Fact]
    public void Pcapng_sections_may_change_byte_order_and_restart_interfaces()
    {
        var b = new CaptureBuilder(bigEndian: false).Section().Interface();
        var first = PacketFill.Pattern(70, 1);
        var second = PacketFill.Pattern(80, 2);
        b.Enhanced(0, (ulong)(T0 / 1000), first);
        b.Section(bigEndian: true).Interface(tsResolution: 9);
        b.Enhanced(0, (ulong)T0 + 1, second);
        using var reader = new PcapReader(new MemoryStream(b.ToArray()), "two sections");

        AssertPackets(reader, [new(first, T0), new(second, T0 + 1)], [b.Offsets[2], b.Offsets[5]]);
        Assert.True(reader.IsBigEndian);
    }

    [Fact]
    public void Pcapng_obsolete_packet_block_is_read()
    {
        var b = new CaptureBuilder().Section().Interface();
        var data = PacketFill.Pattern(66, 4);
        var body = new List<byte>();
        body.AddRange(BitConverter.GetBytes((ushort)0));  // interface id
        body.AddRange(BitConverter.GetBytes((ushort)0));  // drops
        var ts = (ulong)(T0 / 1000);
        body.AddRange(BitConverter.GetBytes((uint)(ts >> 32)));
        body.AddRange(BitConverter.GetBytes((uint)ts));
        body.AddRange(BitConverter.GetBytes(66u));
        body.AddRange(BitConverter.GetBytes(66u));
        body.AddRange(data);
        body.AddRange(new byte[2]);
        b.Block(2, [.. body]);
        using var reader = new PcapReader(new MemoryStream(b.ToArray()), "pb");

        AssertPackets(reader, [new(data, T0)], [b.Offsets[2]]);
    }

    [Fact]
    public void Sample_captures_read_whole()
    {
        var mixed = PcapTestFiles.ReadAll(PcapTestFiles.Mixed);
        var jumbo = PcapTestFiles.ReadAll(PcapTestFiles.Jumbo);

        Assert.Equal(28, mixed.Count);
        Assert.Equal(new[] { 3000, 4096, 6000, 9000 }, jumbo.Select(p => p.Data.Length));
        Assert.All(mixed, p => Assert.Equal(p.Info.Length, p.Info.OriginalLength));
        Assert.Equal(1_704_067_200_000_000_000, mixed[0].Info.TimestampNs);
        Assert.Equal(1_704_067_200_001_037_000, mixed[1].Info.TimestampNs);
    }

    // ---- Link types --------------------------------------------------------------------------------

    [Theory]
    [InlineData(113, "link type 113 (Linux cooked) is not supported: only Ethernet (1)")]
    [InlineData(101, "link type 101 (raw IP) is not supported: only Ethernet (1)")]
    [InlineData(4242, "link type 4242 is not supported: only Ethernet (1)")]
    public void Pcap_with_another_link_type_is_rejected_by_name(int linkType, string reason)
    {
        var bytes = CaptureBuilder.Pcap(Three, linkType: linkType);

        var error = Assert.Throws<NetmapException>(() => new PcapReader(new MemoryStream(bytes), "sll.pcap"));

        Assert.Equal(NetmapError.EINVAL, error.Code);
        Assert.Equal(reason, error.Reason);
        Assert.Equal($"sll.pcap: EINVAL: {reason}", error.Message);
    }

    [Fact]
    public void Pcapng_interface_with_another_link_type_is_rejected_before_any_packet()
    {
        var b = new CaptureBuilder().Section().Interface(linkType: 113);
        b.Enhanced(0, 1, PacketFill.Pattern(60, 1));

        var error = Assert.Throws<NetmapException>(() => new PcapReader(new MemoryStream(b.ToArray()), "sll.pcapng"));

        Assert.Equal("sll.pcapng: EINVAL: link type 113 (Linux cooked) is not supported: only Ethernet (1)", error.Message);
    }

    // ---- Damage ------------------------------------------------------------------------------------

    [Theory]
    [InlineData(false, 1_000_000u, "1000000 µs")]
    [InlineData(false, 0xFFFF_FFFFu, "4294967295 µs")]
    [InlineData(true, 1_000_000_000u, "1000000000 ns")]
    public void A_timestamp_fraction_of_a_second_or_more_is_corrupt_at_its_record(bool nanoseconds, uint fraction, string shown)
    {
        var builder = CaptureBuilder.PcapBuilder(Three, nanoseconds: nanoseconds);
        var bytes = builder.ToArray();
        var at = (int)builder.Offsets[1];
        BitConverter.TryWriteBytes(bytes.AsSpan(at + 4, 4), fraction); // the second record's fraction, little-endian
        using var reader = new PcapReader(new MemoryStream(bytes), "bad.pcap");

        Assert.True(reader.TryReadPacket(_buffer, out _));
        var error = Assert.Throws<NetmapException>(() => reader.TryReadPacket(_buffer, out _));

        Assert.Equal($"bad.pcap: EINVAL: packet record at byte {at} has a timestamp fraction of {shown} (a second or more): the file is corrupt", error.Message);
    }

    [Fact]
    public void Truncated_pcap_record_gives_the_packets_before_it_then_its_byte_offset()
    {
        var builder = CaptureBuilder.PcapBuilder(Three);
        var whole = builder.ToArray();
        var cut = whole[..^10]; // ten bytes short of the third packet's data
        using var reader = new PcapReader(new MemoryStream(cut), "cut.pcap");

        Assert.True(reader.TryReadPacket(_buffer, out _));
        Assert.True(reader.TryReadPacket(_buffer, out _));
        var error = Assert.Throws<NetmapException>(() => reader.TryReadPacket(_buffer, out _));

        var at = builder.Offsets[2];
        Assert.Equal(1630, at);
        Assert.Equal(NetmapError.EINVAL, error.Code);
        Assert.Equal($"cut.pcap: EINVAL: truncated packet record at byte {at}: 64 bytes of packet data announced, 54 in the file", error.Message);
        // The reader stays failed: the same error again, never a wrong packet.
        Assert.Same(error, Assert.Throws<NetmapException>(() => reader.TryReadPacket(_buffer, out _)));
    }

    [Fact]
    public void Truncated_pcap_record_header_names_its_offset()
    {
        var builder = CaptureBuilder.PcapBuilder(Three);
        var cut = builder.ToArray()[..((int)builder.Offsets[1] + 9)];
        using var reader = new PcapReader(new MemoryStream(cut), "cut.pcap");

        Assert.True(reader.TryReadPacket(_buffer, out _));
        var error = Assert.Throws<NetmapException>(() => reader.TryReadPacket(_buffer, out _));

        Assert.Equal($"truncated packet record header at byte {builder.Offsets[1]}: 9 of 16 bytes", error.Reason);
    }

    [Fact]
    public void Pcap_record_longer_than_256_KiB_is_corrupt()
    {
        var builder = CaptureBuilder.PcapBuilder(Three.Take(1));
        builder.PcapRecord(new TestPacket(PacketFill.Pattern(16, 5), T0), capturedLength: 300_000);
        using var reader = new PcapReader(new MemoryStream(builder.ToArray()), "big.pcap");

        Assert.True(reader.TryReadPacket(_buffer, out _));
        var error = Assert.Throws<NetmapException>(() => reader.TryReadPacket(_buffer, out _));

        Assert.Equal("packet record at byte 100 has a captured length of 300000 bytes (more than 262144): the file is corrupt", error.Reason);
    }

    [Fact]
    public void Pcapng_block_whose_trailer_does_not_match_names_its_offset()
    {
        var b = new CaptureBuilder().Section().Interface();
        b.Enhanced(0, 1, PacketFill.Pattern(60, 1));
        var good = b.ToArray();
        var at = good.Length;
        var bad = new CaptureBuilder().Section().Interface();
        bad.Enhanced(0, 1, PacketFill.Pattern(60, 1));
        bad.Block(6, EnhancedBody(PacketFill.Pattern(60, 2)), trailerOverride: 12345);
        using var reader = new PcapReader(new MemoryStream(bad.ToArray()), "bad.pcapng");

        Assert.True(reader.TryReadPacket(_buffer, out _));
        var error = Assert.Throws<NetmapException>(() => reader.TryReadPacket(_buffer, out _));

        Assert.Equal($"bad.pcapng: EINVAL: enhanced packet block at byte {at}: length 92 does not match its trailer 12345", error.Message);
    }

    [Fact]
    public void Pcapng_block_longer_than_the_file_is_truncated()
    {
        var b = new CaptureBuilder().Section().Interface();
        b.Enhanced(0, 1, PacketFill.Pattern(60, 1));
        b.Enhanced(0, 2, PacketFill.Pattern(200, 2));
        var cut = b.ToArray()[..^50];
        using var reader = new PcapReader(new MemoryStream(cut), "cut.pcapng");

        Assert.True(reader.TryReadPacket(_buffer, out var first));
        Assert.Equal(60, first.Length);
        var error = Assert.Throws<NetmapException>(() => reader.TryReadPacket(_buffer, out _));

        Assert.Equal($"truncated enhanced packet block at byte {b.Offsets[3]}: its length is 232 bytes, the file ends at byte {cut.Length}", error.Reason);
    }

    [Fact]
    public void Pcapng_skipped_block_beyond_the_file_is_truncated()
    {
        var b = new CaptureBuilder().Section().Interface();
        b.Enhanced(0, 1, PacketFill.Pattern(60, 1));
        var at = b.Length;
        b.Block(0x40000bad, new byte[8], lengthOverride: 1_000_000);
        using var reader = new PcapReader(new MemoryStream(b.ToArray()), "cut.pcapng");

        Assert.True(reader.TryReadPacket(_buffer, out _));
        var error = Assert.Throws<NetmapException>(() => reader.TryReadPacket(_buffer, out _));

        Assert.StartsWith($"truncated block of type 0x40000bad at byte {at}: its length is 1000000 bytes", error.Reason);
    }

    [Fact]
    public void Pcapng_packet_captured_length_beyond_its_block_is_corrupt()
    {
        var b = new CaptureBuilder().Section().Interface();
        var at = b.Length;
        var body = EnhancedBody(PacketFill.Pattern(60, 1));
        BitConverter.GetBytes(5000u).CopyTo(body, 12); // captured length 5000 in a 92-byte block
        b.Block(6, body);
        using var reader = new PcapReader(new MemoryStream(b.ToArray()), "x.pcapng");

        var error = Assert.Throws<NetmapException>(() => reader.TryReadPacket(_buffer, out _));

        Assert.Equal($"enhanced packet block at byte {at}: captured length 5000 does not fit in its block of 92 bytes", error.Reason);
    }

    public static TheoryData<string, byte[], string> BadHeaders => new()
    {
        { "empty", [], "empty file: not a pcap or pcapng file" },
        { "three bytes", [0xd4, 0xc3, 0xb2], "truncated file header at byte 0: the file has only 3 bytes" },
        { "text", "hello, world, this is no capture"u8.ToArray(), "bad magic 0x68656c6c at byte 0: not a pcap or pcapng file" },
        { "short pcap header", [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0], "truncated pcap file header at byte 0: 10 of 24 bytes" },
        { "pcap version 3", [0xd4, 0xc3, 0xb2, 0xa1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0], "unsupported pcap version 3.0 at byte 4 (only 2.x)" },
        { "pcapng bad byte-order magic", [0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 1, 2, 3, 4], "bad byte-order magic 0x01020304 in the section header block at byte 0" },
    };

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public void Unreadable_header_is_rejected_by_the_constructor(string name, byte[] bytes, string reason)
    {
        var error = Assert.Throws<NetmapException>(() => new PcapReader(new MemoryStream(bytes), name));

        Assert.Equal((NetmapError.EINVAL, name, reason), (error.Code, error.Subject, error.Reason));
    }

    [Fact]
    public void Rewind_starts_over_from_the_first_packet()
    {
        var b = new CaptureBuilder().Section().Interface();
        b.Enhanced(0, 1, PacketFill.Pattern(60, 1));
        b.Enhanced(0, 2, PacketFill.Pattern(61, 2));
        using var reader = new PcapReader(new MemoryStream(b.ToArray()), "x");
        while (reader.TryReadPacket(_buffer, out _))
        {
        }

        reader.Rewind();

        Assert.True(reader.TryReadPacket(_buffer, out var again));
        Assert.Equal((60, b.Offsets[2], 1L), (again.Length, again.Offset, reader.PacketsRead));
    }

    [Fact]
    public void Buffer_smaller_than_the_largest_record_is_refused()
    {
        using var reader = new PcapReader(new MemoryStream(CaptureBuilder.Pcap(Three)), "x");

        Assert.Throws<ArgumentException>(() => reader.TryReadPacket(new byte[2048], out _));
    }

    [Fact]
    public void Missing_file_is_ENOENT_with_the_path()
    {
        var error = Assert.Throws<NetmapException>(() => PcapFormat.OpenRead("no/such/dir/x.pcap"));

        Assert.Equal(NetmapError.ENOENT, error.Code);
        Assert.Contains("no/such/dir/x.pcap", error.Message, StringComparison.Ordinal);
    }

    private void AssertPackets(PcapReader reader, TestPacket[] expected, long[] offsets)
    {
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(reader.TryReadPacket(_buffer, out var info), $"packet {i} is missing");
            Assert.Equal(expected[i].Data, _buffer[..info.Length]);
            Assert.Equal(expected[i].OriginalLength, info.OriginalLength);
            Assert.Equal(expected[i].TimestampNs, info.TimestampNs);
            Assert.Equal(offsets[i], info.Offset);
        }

        Assert.False(reader.TryReadPacket(_buffer, out _));
        Assert.False(reader.TryReadPacket(_buffer, out _)); // the end stays the end
        Assert.Equal(expected.Length, reader.PacketsRead);
    }

    private static byte[] EnhancedBody(byte[] data)
    {
        var body = new List<byte>();
        body.AddRange(BitConverter.GetBytes(0u));
        body.AddRange(BitConverter.GetBytes(0u));
        body.AddRange(BitConverter.GetBytes(1u));
        body.AddRange(BitConverter.GetBytes((uint)data.Length));
        body.AddRange(BitConverter.GetBytes((uint)data.Length));
        body.AddRange(data);
        body.AddRange(new byte[(4 - (data.Length % 4)) % 4]);
        return [.. body];
    }
}
