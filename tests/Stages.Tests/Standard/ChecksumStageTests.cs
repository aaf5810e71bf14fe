using Netmap.Io.Rings;
using Pipeline.Config;
using Pipeline.Stages;
using Pipeline.Testing;
using Stages.Standard;
using static System.Buffers.Binary.BinaryPrimitives;

namespace Stages.Tests.Standard;

public sealed class ChecksumStageTests
{
    private static readonly ChecksumStage Verify = new(new ChecksumOptions { Mode = ChecksumMode.Verify });
    private static readonly ChecksumStage Fix = new(new ChecksumOptions { Mode = ChecksumMode.Fix });

    // By index: 0 IPv4/UDP, 1 IPv4/TCP, 2 IPv6/UDP, 3 IPv6/TCP, 4 802.1Q IPv4/TCP, 5 QinQ IPv6/UDP.
    private static readonly Frame[] All =
    [
        new Frame("IPv4/UDP", new PacketBuilder().Ethernet().Ipv4().Udp(1234, 53).Payload(33).Build(), Ip: 14, L4: 34, Ipv4: true, Udp: true),
        new Frame("IPv4/TCP", new PacketBuilder().Ethernet().Ipv4("192.0.2.1", "198.51.100.7").Tcp(40000, 80).Payload(100).Build(), Ip: 14, L4: 34, Ipv4: true, Udp: false),
        new Frame("IPv6/UDP", new PacketBuilder().Ethernet().Ipv6().Udp(5353, 5353).Payload(47).Build(), Ip: 14, L4: 54, Ipv4: false, Udp: true),
        new Frame("IPv6/TCP, no payload", new PacketBuilder().Ethernet().Ipv6("fe80::1", "ff02::1:2").Tcp(1, 2).Build(), Ip: 14, L4: 54, Ipv4: false, Udp: false),
        new Frame("802.1Q IPv4/TCP", new PacketBuilder().Ethernet().Vlan(100).Ipv4().Tcp(22, 50000).Payload(21).Build(), Ip: 18, L4: 38, Ipv4: true, Udp: false),
        new Frame("QinQ IPv6/UDP", new PacketBuilder().Ethernet().Vlan(20, tpid: 0x88a8).Vlan(100).Ipv6().Udp(9, 9).Payload(64).Build(), Ip: 22, L4: 62, Ipv4: false, Udp: true),
    ];

    public static TheoryData<Frame> Frames => new(All);

    [Theory]
    [MemberData(nameof(Frames))]
    public void Verify_passes_correct_frames_unchanged(Frame frame)
    {
        using var bench = new StageBench();
        var i = bench.Add(frame.Bytes);
        var before = bench.Slot(i);
        var bufferBefore = bench.Buffer(i);
        var context = bench.Context("checksum");

        bench.Run(Verify, context);

        StageBench.AssertGate(context, i, GateId.Out);
        Assert.Equal(before, bench.Slot(i));
        Assert.Equal(bufferBefore, bench.Buffer(i));
        Assert.Equal(Oracle.L4Checksum(frame), ReadUInt16BigEndian(frame.Bytes.AsSpan(frame.L4Field)));
    }

    [Theory]
    [MemberData(nameof(Frames))]
    public void Verify_drops_a_wrong_TCP_or_UDP_checksum_or_a_changed_byte(Frame frame)
    {
        using var bench = new StageBench();
        var badField = (byte[])frame.Bytes.Clone();
        badField[frame.L4Field + 1] ^= 0x40;
        var badByte = (byte[])frame.Bytes.Clone();
        badByte[^1] ^= 0x01; // the last byte of the segment (a header byte when there is no payload)
        var good = bench.Add(frame.Bytes);
        var a = bench.Add(badField);
        var b = bench.Add(badByte);
        var context = bench.Context("checksum");

        bench.Run(Verify, context);

        StageBench.AssertGate(context, good, GateId.Out);
        StageBench.AssertDropped(context, a, DropReason.Malformed);
        StageBench.AssertDropped(context, b, DropReason.Malformed);
        Assert.Equal(badField, bench.Data(a));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4)]
    public void Verify_drops_a_wrong_IPv4_header_checksum(int frameIndex)
    {
        using var bench = new StageBench();
        var frame = All[frameIndex];
        var bytes = (byte[])frame.Bytes.Clone();
        bytes[frame.Ip + 10] ^= 0x80;
        var i = bench.Add(bytes);
        var context = bench.Context("checksum");

        bench.Run(Verify, context);

        StageBench.AssertDropped(context, i, DropReason.Malformed);
    }

    [Theory]
    [MemberData(nameof(Frames))]
    public void Fix_rewrites_the_checksums_in_place_and_nothing_else(Frame frame)
    {
        using var bench = new StageBench();
        var broken = (byte[])frame.Bytes.Clone();
        WriteUInt16BigEndian(broken.AsSpan(frame.L4Field), 0x1234);
        if (frame.Ipv4)
        {
            WriteUInt16BigEndian(broken.AsSpan(frame.Ip + 10), 0xBEEF);
        }

        var i = bench.Add(broken);
        var correct = bench.Add(frame.Bytes);
        var before = bench.Slot(i);
        var bufferBefore = bench.Buffer(i);
        var context = bench.Context("checksum");

        bench.Run(Fix, context);

        StageBench.AssertGate(context, i, GateId.Out);
        StageBench.AssertGate(context, correct, GateId.Out);
        Assert.Equal(frame.Bytes, bench.Data(i));
        Assert.Equal(frame.Bytes, bench.Data(correct));
        Assert.Equal(before, bench.Slot(i));
        Assert.Equal(Oracle.L4Checksum(frame), ReadUInt16BigEndian(bench.Data(i).AsSpan(frame.L4Field)));
        if (frame.Ipv4)
        {
            var header = bench.Data(i).AsSpan(frame.Ip, 20).ToArray();
            WriteUInt16BigEndian(header.AsSpan(10), 0);
            Assert.Equal(TestPackets.Checksum(header), ReadUInt16BigEndian(bench.Data(i).AsSpan(frame.Ip + 10)));
        }

        // Only the checksum fields were written: the buffer around the packet is as it was.
        var buffer = bench.Buffer(i);
        var headroom = StageBench.DefaultHeadroom;
        Assert.Equal(bufferBefore[..headroom], buffer[..headroom]);
        Assert.Equal(bufferBefore[(headroom + broken.Length)..], buffer[(headroom + broken.Length)..]);
    }

    [Fact]
    public void A_UDP_checksum_of_zero_means_none_over_IPv4_and_is_invalid_over_IPv6()
    {
        using var bench = new StageBench();
        var v4 = All[0];
        var v6 = All[2];
        var v4None = (byte[])v4.Bytes.Clone();
        WriteUInt16BigEndian(v4None.AsSpan(v4.L4Field), 0);
        var v6None = (byte[])v6.Bytes.Clone();
        WriteUInt16BigEndian(v6None.AsSpan(v6.L4Field), 0);
        bench.Add(v4None);
        bench.Add(v6None);
        var verify = bench.Context("checksum");

        bench.Run(Verify, verify);

        StageBench.AssertGate(verify, 0, GateId.Out);
        Assert.Equal(v4None, bench.Data(0));
        StageBench.AssertDropped(verify, 1, DropReason.Malformed);

        var fix = bench.Context("checksum");
        bench.Run(Fix, fix);

        StageBench.AssertGate(fix, 0, GateId.Out);
        StageBench.AssertGate(fix, 1, GateId.Out);
        Assert.Equal(v4.Bytes, bench.Data(0));
        Assert.Equal(v6.Bytes, bench.Data(1));
    }

    [Fact]
    public void A_UDP_checksum_that_computes_to_zero_is_written_as_0xFFFF_and_verifies()
    {
        // With a zero payload word the checksum is C; a payload word of C makes the sum 0xFFFF, the checksum 0.
        var zero = new PacketBuilder().Ethernet().Ipv4().Udp(7, 7).Payload(new byte[2]).Build();
        var c = ReadUInt16BigEndian(zero.AsSpan(40));
        var frame = (byte[])zero.Clone();
        WriteUInt16BigEndian(frame.AsSpan(42), c);
        WriteUInt16BigEndian(frame.AsSpan(40), 0x5555);
        using var bench = new StageBench();
        var i = bench.Add(frame);

        bench.Run(Fix, bench.Context("checksum"));
        Assert.Equal(0xFFFF, ReadUInt16BigEndian(bench.Data(i).AsSpan(40)));

        var verify = bench.Context("checksum");
        bench.Run(Verify, verify);
        StageBench.AssertGate(verify, i, GateId.Out);
    }

    [Fact]
    public void Ethernet_padding_after_the_IP_length_is_not_summed_nor_touched()
    {
        var frame = All[0];
        var padded = frame.Bytes.Concat(Enumerable.Repeat((byte)0xA5, 11)).ToArray();
        var broken = (byte[])padded.Clone();
        WriteUInt16BigEndian(broken.AsSpan(frame.L4Field), 0x0101);
        using var bench = new StageBench();
        var good = bench.Add(padded);
        var i = bench.Add(broken);
        var verify = bench.Context("checksum");

        bench.Run(Verify, verify);
        StageBench.AssertGate(verify, good, GateId.Out);
        StageBench.AssertDropped(verify, i, DropReason.Malformed);

        bench.Run(Fix, bench.Context("checksum"));
        Assert.Equal(padded, bench.Data(i));
    }

    [Fact]
    public void IPv4_options_are_covered_by_the_header_checksum()
    {
        var frame = All[1];
        var withOptions = Oracle.WithIpv4Options(frame.Bytes, [0x01, 0x01, 0x01, 0x00]); // NOP NOP NOP EOL
        var broken = (byte[])withOptions.Clone();
        broken[14 + 21] = 0x07; // an option byte
        using var bench = new StageBench();
        var good = bench.Add(withOptions);
        var i = bench.Add(broken);
        var context = bench.Context("checksum");

        bench.Run(Verify, context);

        StageBench.AssertGate(context, good, GateId.Out);
        StageBench.AssertDropped(context, i, DropReason.Malformed);
        // Fix recomputes the header checksum over the changed option; nothing else moves.
        bench.Run(Fix, bench.Context("checksum"));
        var expected = (byte[])broken.Clone();
        Oracle.Reseal(expected, 14);
        Assert.Equal(expected, bench.Data(i));
        var verifyAgain = bench.Context("checksum");
        bench.Run(Verify, verifyAgain);
        StageBench.AssertGate(verifyAgain, i, GateId.Out);
    }

    [Theory]
    [InlineData(0x2000)] // more fragments
    [InlineData(0x0010)] // offset 128 bytes
    public void The_TCP_or_UDP_bytes_of_an_IPv4_fragment_are_left_alone(ushort flagsAndOffset)
    {
        var frame = All[1];
        var fragment = (byte[])frame.Bytes.Clone();
        WriteUInt16BigEndian(fragment.AsSpan(20), flagsAndOffset);
        WriteUInt16BigEndian(fragment.AsSpan(frame.L4Field), 0xDEAD); // would be wrong for a whole datagram
        Oracle.Reseal(fragment, 14);
        using var bench = new StageBench();
        var i = bench.Add(fragment);
        var verify = bench.Context("checksum");

        bench.Run(Verify, verify);
        StageBench.AssertGate(verify, i, GateId.Out);

        bench.Run(Fix, bench.Context("checksum"));
        Assert.Equal(fragment, bench.Data(i));
    }

    [Fact]
    public void Protocols_other_than_TCP_and_UDP_get_only_the_IPv4_header_checksum()
    {
        var frame = All[0];
        var icmp = (byte[])frame.Bytes.Clone();
        icmp[14 + 9] = 1; // ICMP
        Oracle.Reseal(icmp, 14);
        var broken = (byte[])icmp.Clone();
        WriteUInt16BigEndian(broken.AsSpan(24), 0);
        using var bench = new StageBench();
        var good = bench.Add(icmp);
        var i = bench.Add(broken);
        var verify = bench.Context("checksum");

        bench.Run(Verify, verify);
        StageBench.AssertGate(verify, good, GateId.Out);
        StageBench.AssertDropped(verify, i, DropReason.Malformed);

        bench.Run(Fix, bench.Context("checksum"));
        Assert.Equal(icmp, bench.Data(i));
    }

    [Fact]
    public void Frames_that_are_not_IP_pass_unchanged()
    {
        var arp = new PacketBuilder().Ethernet().Arp().Build();
        var other = new PacketBuilder().Ethernet().Payload(50).Build(); // EtherType 0x88B5
        var tagged = new PacketBuilder().Ethernet().Vlan(5).Arp().Build();
        using var bench = new StageBench();
        bench.Add(arp);
        bench.Add(other);
        bench.Add(tagged);
        bench.Add(arp.AsSpan(0, 14));
        foreach (var stage in new[] { Verify, Fix })
        {
            var context = bench.Context("checksum");
            bench.Run(stage, context);
            for (var i = 0; i < 4; i++)
            {
                StageBench.AssertGate(context, i, GateId.Out);
            }
        }

        Assert.Equal(arp, bench.Data(0));
        Assert.Equal(other, bench.Data(1));
        Assert.Equal(tagged, bench.Data(2));
    }

    [Fact]
    public void IPv6_extension_headers_are_walked_to_the_UDP_header()
    {
        var frame = All[2];
        var hopByHop = Oracle.WithIpv6Extension(frame.Bytes, nextHeaderOfExtension: 17, type: 0, [0x01, 0x04, 0, 0, 0, 0]); // PadN
        var broken = (byte[])hopByHop.Clone();
        WriteUInt16BigEndian(broken.AsSpan(frame.L4Field + 8), 0x0F0F);
        using var bench = new StageBench();
        var good = bench.Add(hopByHop);
        var i = bench.Add(broken);
        var verify = bench.Context("checksum");

        bench.Run(Verify, verify);
        StageBench.AssertGate(verify, good, GateId.Out);
        StageBench.AssertDropped(verify, i, DropReason.Malformed);

        bench.Run(Fix, bench.Context("checksum"));
        Assert.Equal(hopByHop, bench.Data(i));
    }

    [Fact]
    public void Behind_a_routing_header_with_segments_left_the_UDP_checksum_is_left_alone()
    {
        var frame = All[2];
        var routed = Oracle.WithIpv6Extension(frame.Bytes, nextHeaderOfExtension: 17, type: 43, [4, 1, 0, 0, 0, 0]); // type 4, 1 segment left
        WriteUInt16BigEndian(routed.AsSpan(frame.L4Field + 8), 0x0F0F);
        using var bench = new StageBench();
        var i = bench.Add(routed);

        foreach (var stage in new[] { Verify, Fix })
        {
            var context = bench.Context("checksum");
            bench.Run(stage, context);
            StageBench.AssertGate(context, i, GateId.Out);
        }

        Assert.Equal(routed, bench.Data(i));
    }

    [Theory]
    [InlineData(60, 101)] // the segment splits at an even and then an odd byte
    [InlineData(61, 100)]
    [InlineData(43, 1)]
    public void A_multi_slot_packet_is_summed_over_all_its_slots(int firstLength, int secondLength)
    {
        var frame = new PacketBuilder().Ethernet().Ipv4().Udp(1, 2).Payload(201).Build();
        var broken = (byte[])frame.Clone();
        WriteUInt16BigEndian(broken.AsSpan(40), 0x0000 + 0x4242);
        var changed = (byte[])frame.Clone();
        changed[^3] ^= 0x10;
        using var bench = new StageBench();
        foreach (var bytes in new[] { frame, broken, changed })
        {
            bench.Add(bytes.AsSpan(0, firstLength), flags: SlotFlags.MoreFrag);
            bench.Add(bytes.AsSpan(firstLength, secondLength), flags: SlotFlags.MoreFrag);
            bench.Add(bytes.AsSpan(firstLength + secondLength));
        }

        var verify = bench.Context("checksum");
        bench.Run(Verify, verify);

        StageBench.AssertGate(verify, 0, GateId.Out);
        StageBench.AssertDropped(verify, 3, DropReason.Malformed);
        StageBench.AssertDropped(verify, 6, DropReason.Malformed);

        bench.Run(Fix, bench.Context("checksum"));
        Assert.Equal(frame, bench.Data(3).Concat(bench.Data(4)).Concat(bench.Data(5)));
        Assert.Equal(frame.AsSpan(firstLength + secondLength).ToArray(), bench.Data(5));
    }

    public static TheoryData<string, byte[]> MalformedFrames()
    {
        var tcp = All[1].Bytes;
        var udp = All[0].Bytes;
        var udp6 = All[2].Bytes;
        return new()
        {
            { "a runt shorter than an Ethernet header", tcp[..13] },
            { "a VLAN tag cut short", new PacketBuilder().Ethernet().Vlan(7).Ipv4().Build()[..16] },
            { "an IPv4 header cut short", tcp[..33] },
            { "IPv4 EtherType, version 6", Mutate(tcp, f => f[14] = 0x65) },
            { "IPv4 header length 16", Mutate(tcp, f => f[14] = 0x44) },
            { "IPv4 header length past the frame", Mutate(udp[..40], f => f[14] = 0x4F) },
            { "IPv4 total length past the frame", Mutate(tcp, f => WriteUInt16BigEndian(f.AsSpan(16), (ushort)(tcp.Length - 13))) },
            { "IPv4 total length shorter than its header", Mutate(tcp, f => WriteUInt16BigEndian(f.AsSpan(16), 19)) },
            { "UDP length past the IP payload", Mutate(udp, f => WriteUInt16BigEndian(f.AsSpan(38), (ushort)(udp.Length - 33))) },
            { "UDP length below 8", Mutate(udp, f => WriteUInt16BigEndian(f.AsSpan(38), 7)) },
            { "TCP data offset below 5", Mutate(tcp, f => f[46] = 0x40) },
            { "TCP data offset past the segment", Mutate(tcp[..60], f => { f[46] = 0xF0; WriteUInt16BigEndian(f.AsSpan(16), 46); }) },
            { "a TCP segment shorter than its header", Mutate(tcp[..50], f => WriteUInt16BigEndian(f.AsSpan(16), 36)) },
            { "IPv6 EtherType, version 4", Mutate(udp6, f => f[14] = 0x45) },
            { "an IPv6 header cut short", udp6[..53] },
            { "IPv6 payload length past the frame", Mutate(udp6, f => WriteUInt16BigEndian(f.AsSpan(18), (ushort)(udp6.Length - 53))) },
            { "an IPv6 extension header past the payload", Mutate(Oracle.WithIpv6Extension(udp6, 17, 60, [1, 4, 0, 0, 0, 0]), f => f[55] = 9) },
        };

        static byte[] Mutate(byte[] frame, Action<byte[]> change)
        {
            var copy = (byte[])frame.Clone();
            change(copy);
            if (copy.Length >= 34 && copy[12] == 0x08 && copy[13] == 0x00 && copy[14] >> 4 == 4 && (copy[14] & 0x0F) >= 5 && copy.Length >= 14 + ((copy[14] & 0x0F) * 4))
            {
                Oracle.Reseal(copy, 14); // the header checksum is right: only the field under test is wrong
            }

            return copy;
        }
    }

    [Theory]
    [MemberData(nameof(MalformedFrames))]
    public void Malformed_frames_are_dropped_in_both_modes_and_left_alone_by_verify(string name, byte[] frame)
    {
        using var bench = new StageBench();
        var i = bench.Add(frame);
        var good = bench.Add(All[0].Bytes);
        var before = bench.Slot(i);
        var verify = bench.Context("checksum");

        bench.Run(Verify, verify);

        StageBench.AssertDropped(verify, i, DropReason.Malformed);
        StageBench.AssertGate(verify, good, GateId.Out);
        Assert.Equal(before, bench.Slot(i));
        Assert.True(frame.AsSpan().SequenceEqual(bench.Data(i)), name);

        var fix = bench.Context("checksum");
        bench.Run(Fix, fix);
        StageBench.AssertDropped(fix, i, DropReason.Malformed);
    }

    [Fact]
    public void YAML_mode_binds_and_defaults_to_verify()
    {
        var registry = BuiltInStages.CreateRegistry();
        var fix = PipelineLoader.Parse(ShapingKit.Pipeline("{ type: checksum, mode: fix }"), "p.yaml", registry);
        var plain = PipelineLoader.Parse(ShapingKit.Pipeline("{ type: checksum }"), "p.yaml", registry);

        var stage = Assert.Single(fix.Stages);
        Assert.Equal(typeof(ChecksumStage), stage.Descriptor.StageType);
        Assert.Equal(new ChecksumOptions { Mode = ChecksumMode.Fix }, stage.Options);
        Assert.Equal(ChecksumMode.Verify, Assert.IsType<ChecksumOptions>(Assert.Single(plain.Stages).Options ?? new ChecksumOptions()).Mode);
    }

    [Fact]
    public void Bad_YAML_mode_is_reported_at_its_value()
    {
        Assert.False(PipelineLoader.TryParse(ShapingKit.Pipeline("{ type: checksum, mode: repair }"), "p.yaml", BuiltInStages.CreateRegistry(), out _, out var errors));

        Assert.Equal("p.yaml:5:30: 'mode' must be one of [verify, fix], found 'repair'", Assert.Single(errors).ToString());
    }

    [Fact]
    public void Steady_state_allocates_nothing()
    {
        using var bench = new StageBench();
        var frames = All.Select(f => f.Bytes).ToArray();
        var verify = bench.Context("checksum");
        var fix = bench.Context("checksum");
        var allocated = ShapingKit.AllocatedInSteadyState(() =>
        {
            bench.Recycle();
            for (var i = 0; i < 30; i++)
            {
                bench.Add(frames[i % frames.Length]);
            }

            bench.Add(frames[0].AsSpan(0, 20)); // malformed
            bench.Add(frames[0].AsSpan(0, 40), flags: SlotFlags.MoreFrag);
            bench.Run(Verify, verify);
            bench.Run(Fix, fix);
        });

        Assert.Equal(0, allocated);
    }

    /// <summary>A frame and where its headers are: IP header, TCP/UDP header.</summary>
    public sealed record Frame(string Name, byte[] Bytes, int Ip, int L4, bool Ipv4, bool Udp)
    {
        public int L4Field => L4 + (Udp ? 6 : 16);

        public override string ToString() => Name;
    }

    // Sums written independently of the stage (and of Netmap.Io's Checksum): bytes in pairs, big-endian, folded.
    private static class Oracle
    {
        public static ushort OnesComplement(IEnumerable<byte> bytes)
        {
            var all = bytes.ToArray();
            long sum = 0;
            for (var i = 0; i < all.Length; i += 2)
            {
                sum += (all[i] << 8) | (i + 1 < all.Length ? all[i + 1] : 0);
            }

            while (sum > 0xFFFF)
            {
                sum = (sum & 0xFFFF) + (sum >> 16);
            }

            return (ushort)~sum;
        }

        /// <summary>The TCP/UDP checksum the frame should carry (pseudo-header, then the segment with the field zeroed).</summary>
        public static ushort L4Checksum(Frame frame)
        {
            var bytes = frame.Bytes;
            var length = frame.Udp ? ReadUInt16BigEndian(bytes.AsSpan(frame.L4 + 4)) : bytes.Length - frame.L4;
            var protocol = (byte)(frame.Udp ? 17 : 6);
            var pseudo = new List<byte>();
            if (frame.Ipv4)
            {
                pseudo.AddRange(bytes.AsSpan(frame.Ip + 12, 8).ToArray());
                pseudo.AddRange([0, protocol, (byte)(length >> 8), (byte)length]);
            }
            else
            {
                pseudo.AddRange(bytes.AsSpan(frame.Ip + 8, 32).ToArray());
                pseudo.AddRange([0, 0, (byte)(length >> 8), (byte)length, 0, 0, 0, protocol]);
            }

            var segment = bytes.AsSpan(frame.L4, length).ToArray();
            segment[frame.L4Field - frame.L4] = 0;
            segment[frame.L4Field - frame.L4 + 1] = 0;
            var checksum = OnesComplement(pseudo.Concat(segment));
            return frame.Udp && checksum == 0 ? (ushort)0xFFFF : checksum;
        }

        /// <summary>Recomputes the IPv4 header checksum at <paramref name="ip"/>.</summary>
        public static void Reseal(byte[] frame, int ip)
        {
            var length = (frame[ip] & 0x0F) * 4;
            WriteUInt16BigEndian(frame.AsSpan(ip + 10), 0);
            WriteUInt16BigEndian(frame.AsSpan(ip + 10), OnesComplement(frame.AsSpan(ip, length).ToArray()));
        }

        /// <summary>An untagged IPv4 frame with <paramref name="options"/> after its 20-byte header (IHL and total length grown).</summary>
        public static byte[] WithIpv4Options(byte[] frame, byte[] options)
        {
            var grown = frame[..34].Concat(options).Concat(frame[34..]).ToArray();
            grown[14] = (byte)(0x40 | ((20 + options.Length) / 4));
            WriteUInt16BigEndian(grown.AsSpan(16), (ushort)(ReadUInt16BigEndian(grown.AsSpan(16)) + options.Length));
            Reseal(grown, 14);
            return grown;
        }

        /// <summary>An untagged IPv6 frame with an 8-byte extension header of <paramref name="type"/> inserted after the IPv6 header.</summary>
        public static byte[] WithIpv6Extension(byte[] frame, byte nextHeaderOfExtension, byte type, byte[] sixBytes)
        {
            byte[] extension = [nextHeaderOfExtension, 0, .. sixBytes];
            var grown = frame[..54].Concat(extension).Concat(frame[54..]).ToArray();
            grown[20] = type;
            WriteUInt16BigEndian(grown.AsSpan(18), (ushort)(ReadUInt16BigEndian(grown.AsSpan(18)) + 8));
            return grown;
        }
    }
}
