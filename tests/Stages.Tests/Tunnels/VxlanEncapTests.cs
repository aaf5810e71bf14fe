using System.Net;
using Netmap.Io.Rings;
using Pipeline.Config;
using Pipeline.Stages;
using Stages.Tunnels;
using static System.Buffers.Binary.BinaryPrimitives;

namespace Stages.Tests.Tunnels;

public sealed class VxlanEncapTests
{
    private const int Headroom = StageBench.DefaultHeadroom;
    private const int Encap = TunnelPackets.VxlanEncapLength;

    public static TheoryData<string, byte[]> Inners => new()
    {
        { "IPv4/UDP", TunnelPackets.Udp4() },
        { "IPv6/TCP", TunnelPackets.Tcp6() },
        { "802.1Q-tagged IPv4", TestPackets.Tagged(TestPackets.Ipv4Frame(), 0x8100, 7) },
        { "ARP", new Pipeline.Testing.PacketBuilder().Ethernet().Arp().Build() },
        { "a bare Ethernet header", TestPackets.Ipv4Frame()[..14] },
    };

    [Theory]
    [MemberData(nameof(Inners))]
    public void Encap_writes_every_outer_field_in_the_headroom_and_leaves_the_inner_frame_alone(string name, byte[] inner)
    {
        _ = name;
        using var bench = new StageBench(bufferSize: 2048);
        var i = bench.Add(inner, headroom: 128);
        var slotBefore = bench.Slot(i);
        var bufferBefore = bench.Buffer(i);
        var stage = new VxlanEncap(Options() with { UdpSrc = "4000", Ttl = 32 });
        var context = bench.Context("vxlan-encap");

        bench.Run(stage, context);

        StageBench.AssertGate(context, i, GateId.Out);
        var slot = bench.Slot(i);
        Assert.Equal(slotBefore.BufIdx, slot.BufIdx);
        Assert.Equal(slotBefore.Offset - Encap, slot.Offset);
        Assert.Equal(slotBefore.Len + Encap, slot.Len);
        Assert.Equal(slotBefore.Flags, slot.Flags);

        var data = bench.Data(i);
        Assert.Equal(TunnelPackets.OuterDstMac, data[0..6]);
        Assert.Equal(TunnelPackets.OuterSrcMac, data[6..12]);
        Assert.Equal(0x0800, ReadUInt16BigEndian(data.AsSpan(12)));

        var ip = data.AsSpan(14, 20);
        Assert.Equal(0x45, ip[0]);                                   // version 4, IHL 5
        Assert.Equal(0, ip[1]);                                      // DSCP/ECN
        Assert.Equal(inner.Length + 36, ReadUInt16BigEndian(ip[2..])); // total length
        Assert.Equal(0, ReadUInt16BigEndian(ip[4..]));               // identification: the stage's first
        Assert.Equal(0x4000, ReadUInt16BigEndian(ip[6..]));          // DF, offset 0
        Assert.Equal(32, ip[8]);                                     // TTL
        Assert.Equal(17, ip[9]);                                     // UDP
        Assert.Equal(TunnelPackets.OuterSrcIp, ip[12..16].ToArray());
        Assert.Equal(TunnelPackets.OuterDstIp, ip[16..20].ToArray());
        var withoutChecksum = ip.ToArray();
        withoutChecksum[10] = withoutChecksum[11] = 0;
        Assert.Equal(TestPackets.Checksum(withoutChecksum), ReadUInt16BigEndian(ip[10..]));
        Assert.Equal(0, TestPackets.Checksum(ip));

        var udp = data.AsSpan(34, 8);
        Assert.Equal(4000, ReadUInt16BigEndian(udp));
        Assert.Equal(4789, ReadUInt16BigEndian(udp[2..]));
        Assert.Equal(inner.Length + 16, ReadUInt16BigEndian(udp[4..]));
        Assert.Equal(0, ReadUInt16BigEndian(udp[6..]));              // no checksum (IPv4)

        var vxlan = data.AsSpan(42, 8);
        Assert.Equal(0x08, vxlan[0]);                                // I flag
        Assert.Equal(new byte[3], vxlan[1..4].ToArray());            // reserved
        Assert.Equal(new byte[] { 0x00, 0x13, 0x89 }, vxlan[4..7].ToArray()); // VNI 5001
        Assert.Equal(0, vxlan[7]);                                   // reserved
        Assert.Equal(inner, data[Encap..]);

        Assert.Equal(TunnelPackets.Vxlan(inner, new TunnelPackets.Outer { UdpSrc = 4000, Ttl = 32, Id = 0 }), data);

        // Only the 50 bytes of headroom were written: the rest of the buffer, the inner frame included, is as it was.
        var buffer = bench.Buffer(i);
        Assert.Equal(bufferBefore[..(128 - Encap)], buffer[..(128 - Encap)]);
        Assert.Equal(bufferBefore[128..], buffer[128..]);
        Assert.Equal(0, stage.SlowPathPackets);
    }

    [Fact]
    public void VNI_ports_and_TTL_come_from_the_options()
    {
        using var bench = new StageBench();
        var inner = TunnelPackets.Udp4();
        var i = bench.Add(inner);
        var options = Options() with { Vni = 0xABCDEF, UdpSrc = "65535", UdpDst = 8472, Ttl = 255, SrcIp = IPAddress.Parse("10.1.2.3"), DstIp = IPAddress.Parse("239.1.1.1"), DstMac = "01:00:5E:01:01:01" };

        bench.Run(new VxlanEncap(options), bench.Context("vxlan-encap"));

        var data = bench.Data(i);
        Assert.Equal(new byte[] { 0x01, 0x00, 0x5E, 0x01, 0x01, 0x01 }, data[0..6]);
        Assert.Equal(255, data[22]);
        Assert.Equal(new byte[] { 10, 1, 2, 3 }, data[26..30]);
        Assert.Equal(new byte[] { 239, 1, 1, 1 }, data[30..34]);
        Assert.Equal(0, TestPackets.Checksum(data.AsSpan(14, 20)));
        Assert.Equal(65535, ReadUInt16BigEndian(data.AsSpan(34)));
        Assert.Equal(8472, ReadUInt16BigEndian(data.AsSpan(36)));
        Assert.Equal(new byte[] { 0xAB, 0xCD, 0xEF, 0x00 }, data[46..50]);
    }

    [Fact]
    public void Identification_counts_up_per_packet_across_batches_and_the_checksum_follows()
    {
        using var bench = new StageBench();
        var inner = TunnelPackets.Udp4();
        var stage = new VxlanEncap(Options());
        for (var n = 0; n < 3; n++)
        {
            bench.Add(inner);
        }

        bench.Run(stage, bench.Context("vxlan-encap"));
        for (var n = 0; n < 3; n++)
        {
            var data = bench.Data(n);
            Assert.Equal(n, ReadUInt16BigEndian(data.AsSpan(18)));
            Assert.Equal(0, TestPackets.Checksum(data.AsSpan(14, 20)));
        }

        bench.Recycle();
        var next = bench.Add(inner);
        bench.Run(stage, bench.Context("vxlan-encap"));
        Assert.Equal(3, ReadUInt16BigEndian(bench.Data(next).AsSpan(18)));
        Assert.Equal(0, TestPackets.Checksum(bench.Data(next).AsSpan(14, 20)));
    }

    [Fact]
    public void Flow_source_port_comes_from_the_flow_hash_which_is_stored_in_the_metadata()
    {
        using var bench = new StageBench();
        var i = bench.Add(TunnelPackets.Udp4());

        bench.Run(new VxlanEncap(Options()), bench.Context("vxlan-encap"));

        var hash = bench.Batch.Open().Meta[i].FlowHash;
        Assert.NotEqual(0u, hash);
        var port = ReadUInt16BigEndian(bench.Data(i).AsSpan(34));
        Assert.InRange(port, 49152, 65535);
        Assert.Equal(0xC000 | ((hash ^ (hash >> 16)) & 0x3FFF), port);
    }

    [Fact]
    public void Flow_hash_set_by_an_earlier_stage_is_used_as_it_is()
    {
        using var bench = new StageBench();
        var i = bench.Add(TunnelPackets.Udp4());
        bench.Batch.Open().Meta[i].FlowHash = 0x12345678;

        bench.Run(new VxlanEncap(Options()), bench.Context("vxlan-encap"));

        Assert.Equal(0x12345678u, bench.Batch.Open().Meta[i].FlowHash);
        Assert.Equal(0xC000 | ((0x12345678 ^ 0x1234) & 0x3FFF), ReadUInt16BigEndian(bench.Data(i).AsSpan(34)));
    }

    public static TheoryData<string, byte[], byte[]> Reverses => new()
    {
        { "IPv4/UDP", TunnelPackets.Udp4("10.0.0.1", "10.0.0.2", 1234, 80), TunnelPackets.Udp4("10.0.0.2", "10.0.0.1", 80, 1234) },
        { "IPv6/TCP", TunnelPackets.Tcp6("2001:db8::1", "2001:db8::2", 40000, 443), TunnelPackets.Tcp6("2001:db8::2", "2001:db8::1", 443, 40000) },
        { "ARP", new Pipeline.Testing.PacketBuilder().Ethernet("02:00:00:00:00:01", "02:00:00:00:00:02").Arp().Build(), new Pipeline.Testing.PacketBuilder().Ethernet("02:00:00:00:00:02", "02:00:00:00:00:01").Arp().Build() },
    };

    [Theory]
    [MemberData(nameof(Reverses))]
    public void Both_directions_of_a_flow_get_the_same_source_port(string name, byte[] forward, byte[] reverse)
    {
        _ = name;
        using var bench = new StageBench();
        var a = bench.Add(forward);
        var b = bench.Add(reverse);

        bench.Run(new VxlanEncap(Options()), bench.Context("vxlan-encap"));

        var meta = bench.Batch.Open().Meta;
        Assert.Equal(meta[a].FlowHash, meta[b].FlowHash);
        Assert.Equal(ReadUInt16BigEndian(bench.Data(a).AsSpan(34)), ReadUInt16BigEndian(bench.Data(b).AsSpan(34)));
    }

    [Fact]
    public void Different_flows_spread_over_source_ports()
    {
        using var bench = new StageBench();
        for (var n = 0; n < 16; n++)
        {
            bench.Add(TunnelPackets.Udp4(sport: (ushort)(10000 + n)));
        }

        bench.Run(new VxlanEncap(Options()), bench.Context("vxlan-encap"));

        var ports = new HashSet<ushort>();
        for (var n = 0; n < 16; n++)
        {
            ports.Add(ReadUInt16BigEndian(bench.Data(n).AsSpan(34)));
        }

        Assert.True(ports.Count >= 14, $"16 flows got only {ports.Count} distinct ports");
    }

    public static TheoryData<string, byte[]> RoundTrips => new()
    {
        { "IPv4/UDP", TunnelPackets.Udp4(payload: 200) },
        { "IPv6/TCP", TunnelPackets.Tcp6() },
        { "802.1Q-tagged", TestPackets.Tagged(TestPackets.Ipv4Frame(), 0x8100, 7) },
    };

    [Theory]
    [MemberData(nameof(RoundTrips))]
    public void Encap_then_decap_gives_back_the_original_frame_buffer_and_offset(string name, byte[] inner)
    {
        _ = name;
        using var bench = new StageBench();
        var i = bench.Add(inner);
        var original = bench.Slot(i);

        bench.Run(new VxlanEncap(Options()), bench.Context("vxlan-encap"));
        Assert.Equal(original.Offset - Encap, bench.Slot(i).Offset);
        var decap = bench.Context("vxlan-decap", connectedGates: [true, true]);
        bench.Run(new VxlanDecap(new VxlanDecapOptions { Vni = 5001 }), decap);

        StageBench.AssertGate(decap, i, GateId.Out);
        Assert.Equal(inner, bench.Data(i));
        Assert.Equal(original, bench.Slot(i));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(20)]
    [InlineData(49)]
    public void With_too_little_headroom_the_frame_moves_towards_the_tail_and_is_counted(int headroom)
    {
        using var bench = new StageBench();
        var inner = TunnelPackets.Udp4();
        var i = bench.Add(inner, headroom);
        var fast = bench.Add(inner);
        var before = bench.Slot(i);
        var bufferBefore = bench.Buffer(i);
        var stage = new VxlanEncap(Options() with { UdpSrc = "5555" });
        var context = bench.Context("vxlan-encap");

        bench.Run(stage, context);

        StageBench.AssertGate(context, i, GateId.Out);
        var slot = bench.Slot(i);
        Assert.Equal(before.BufIdx, slot.BufIdx);
        Assert.Equal(0ul, slot.Offset);
        Assert.Equal(before.Len + Encap, slot.Len);
        var data = bench.Data(i);
        Assert.Equal(inner, data[Encap..]);
        Assert.Equal(TunnelPackets.Vxlan(inner, new TunnelPackets.Outer { UdpSrc = 5555, Id = 0 }), data);
        Assert.Equal(data[..18], bench.Data(fast)[..18]);
        Assert.Equal(data[20..24], bench.Data(fast)[20..24]);
        Assert.Equal(data[26..], bench.Data(fast)[26..]); // all but the identification (18, 19) and so the checksum (24, 25)
        var buffer = bench.Buffer(i);
        Assert.Equal(bufferBefore[(Encap + inner.Length)..], buffer[(Encap + inner.Length)..]);
        Assert.Equal(1, stage.SlowPathPackets);
    }

    [Theory]
    [InlineData(79, 0)]
    [InlineData(100, 10)]
    [InlineData(118, 10)]
    public void Without_room_for_the_outer_headers_the_packet_is_dropped_as_too_big_and_left_alone(int length, int headroom)
    {
        using var bench = new StageBench(bufferSize: 128);
        var inner = TestPackets.Ipv4Frame(payloadLength: length - 34);
        var i = bench.Add(inner, headroom);
        var before = bench.Slot(i);
        var bufferBefore = bench.Buffer(i);
        var stage = new VxlanEncap(Options());
        var context = bench.Context("vxlan-encap");

        bench.Run(stage, context);

        StageBench.AssertDropped(context, i, DropReason.TooBig);
        Assert.Equal(before, bench.Slot(i));
        Assert.Equal(bufferBefore, bench.Buffer(i));
        Assert.Equal(default, bench.Batch.Open().Meta[i]);
        Assert.Equal(0, stage.SlowPathPackets);
    }

    [Fact]
    public void Just_enough_room_at_the_tail_takes_the_slow_path()
    {
        using var bench = new StageBench(bufferSize: 128);
        var inner = TestPackets.Ipv4Frame(payloadLength: 78 - 34);
        var i = bench.Add(inner, headroom: 0);
        var stage = new VxlanEncap(Options());
        var context = bench.Context("vxlan-encap");

        bench.Run(stage, context);

        StageBench.AssertGate(context, i, GateId.Out);
        Assert.Equal(128, bench.Slot(i).Len);
        Assert.Equal(inner, bench.Data(i)[Encap..]);
        Assert.Equal(1, stage.SlowPathPackets);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(13)]
    public void Inner_frame_shorter_than_an_Ethernet_header_is_dropped_as_malformed(int length)
    {
        using var bench = new StageBench();
        var bad = bench.Add(TunnelPackets.Udp4().AsSpan(0, length));
        var good = bench.Add(TunnelPackets.Udp4());
        var before = bench.Slot(bad);
        var bufferBefore = bench.Buffer(bad);
        var context = bench.Context("vxlan-encap");

        bench.Run(new VxlanEncap(Options()), context);

        StageBench.AssertDropped(context, bad, DropReason.Malformed);
        Assert.Equal(before, bench.Slot(bad));
        Assert.Equal(bufferBefore, bench.Buffer(bad));
        StageBench.AssertGate(context, good, GateId.Out);
    }

    [Fact]
    public void Multi_slot_packet_gets_the_headers_in_its_first_slot_with_lengths_covering_every_slot()
    {
        using var bench = new StageBench();
        var inner = TunnelPackets.Udp4(payload: 300);
        var first = bench.Add(inner.AsSpan(0, 100), flags: SlotFlags.MoreFrag);
        var middle = bench.Add(inner.AsSpan(100, 100), flags: SlotFlags.MoreFrag);
        var last = bench.Add(inner.AsSpan(200));
        var next = bench.Add(inner);
        var middleBefore = bench.Slot(middle);
        var lastBefore = bench.Slot(last);
        var context = bench.Context("vxlan-encap");

        bench.Run(new VxlanEncap(Options() with { UdpSrc = "7" }), context);

        var whole = TunnelPackets.Vxlan(inner, new TunnelPackets.Outer { UdpSrc = 7, Id = 0 });
        StageBench.AssertGate(context, first, GateId.Out);
        Assert.Equal(whole[..(Encap + 100)], bench.Data(first));
        Assert.Equal(SlotFlags.MoreFrag, bench.Slot(first).Flags);
        Assert.Equal(middleBefore, bench.Slot(middle));
        Assert.Equal(lastBefore, bench.Slot(last));
        Assert.Equal(TunnelPackets.Vxlan(inner, new TunnelPackets.Outer { UdpSrc = 7, Id = 1 }), bench.Data(next));
    }

    [Fact]
    public void Multi_slot_packet_too_long_for_an_IPv4_datagram_is_dropped_as_too_big()
    {
        using var bench = new StageBench(bufferSize: 4096, capacity: 32);
        var chunk = new byte[4000];
        TunnelPackets.Udp4().CopyTo(chunk, 0);
        var first = bench.Add(chunk, flags: SlotFlags.MoreFrag);
        for (var n = 0; n < 15; n++)
        {
            bench.Add(chunk, flags: SlotFlags.MoreFrag);
        }

        bench.Add(chunk.AsSpan(0, 1500)); // 65,500 bytes: 36 more for IPv4/UDP/VXLAN pass 65,535
        var before = bench.Slot(first);
        var context = bench.Context("vxlan-encap");

        bench.Run(new VxlanEncap(Options()), context);

        StageBench.AssertDropped(context, first, DropReason.TooBig);
        Assert.Equal(before, bench.Slot(first));
    }

    [Theory]
    [InlineData("vni", "vni must be from 0 to 16777215 (24 bits), found 16777216")]
    [InlineData("src-ip", "src-ip must be an IPv4 address (the outer header here is IPv4), found 2001:db8::1")]
    [InlineData("dst-ip", "dst-ip must be an IPv4 address (the outer header here is IPv4), found ::ffff:10.0.0.1")]
    [InlineData("src-mac", "src-mac must be a MAC address like 02:00:00:00:00:01, found '02:00:00:00:00'")]
    [InlineData("dst-mac", "dst-mac must be a MAC address like 02:00:00:00:00:01, found '02-00-00-00-00-01'")]
    [InlineData("udp-src", "udp-src must be 'flow' or a port number from 0 to 65535, found '65536'")]
    [InlineData("udp-dst", "udp-dst must be from 1 to 65535, found 0")]
    [InlineData("ttl", "ttl must be from 1 to 255, found 0")]
    public void Bad_option_throws_naming_the_key(string key, string message)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => key switch
        {
            "vni" => Options() with { Vni = 16777216 },
            "src-ip" => Options() with { SrcIp = IPAddress.Parse("2001:db8::1") },
            "dst-ip" => Options() with { DstIp = IPAddress.Parse("::ffff:10.0.0.1") },
            "src-mac" => Options() with { SrcMac = "02:00:00:00:00" },
            "dst-mac" => Options() with { DstMac = "02-00-00-00-00-01" },
            "udp-src" => Options() with { UdpSrc = "65536" },
            "udp-dst" => Options() with { UdpDst = 0 },
            _ => Options() with { Ttl = 0 },
        });

        Assert.Equal(key, ex.ParamName);
        Assert.Equal($"{message} (Parameter '{key}')", ex.Message);
    }

    [Fact]
    public void Multicast_source_MAC_is_refused()
    {
        var ex = Assert.Throws<ArgumentException>(() => Options() with { SrcMac = "01:00:5e:00:00:01" });

        Assert.Equal("src-mac must be a unicast MAC address (the low bit of the first byte clear), found '01:00:5e:00:00:01' (Parameter 'src-mac')", ex.Message);
    }

    [Fact]
    public void Options_default_to_a_flow_source_port_port_4789_and_ttl_64()
    {
        var options = Options();

        Assert.Equal("flow", options.UdpSrc);
        Assert.Equal(4789, options.UdpDst);
        Assert.Equal(64, options.Ttl);
    }

    [Fact]
    public void YAML_keys_bind_to_the_options()
    {
        var yaml = Pipeline("""
            type: vxlan-encap
                vni: 0xFFFFFF
                src-ip: 192.0.2.1
                dst-ip: 198.51.100.7
                src-mac: 02:00:00:00:00:01
                dst-mac: "02:00:00:00:00:FE"
                udp-src: "49152"
                udp-dst: 8472
                ttl: 9
            """);

        var definition = PipelineLoader.Parse(yaml, "p.yaml", BuiltInStages.CreateRegistry());

        var stage = Assert.Single(definition.Stages);
        Assert.Equal(typeof(VxlanEncap), stage.Descriptor.StageType);
        Assert.Equal(["out"], stage.Descriptor.Gates);
        Assert.Equal(
            Options() with { Vni = 16777215, DstMac = "02:00:00:00:00:FE", UdpSrc = "49152", UdpDst = 8472, Ttl = 9 },
            stage.Options);
    }

    [Theory]
    [InlineData("vni: 16777216", "p.yaml:7:5: invalid 'vni': vni must be from 0 to 16777215 (24 bits), found 16777216")]
    [InlineData("src-ip: 2001:db8::1", "p.yaml:8:5: invalid 'src-ip': src-ip must be an IPv4 address (the outer header here is IPv4), found 2001:db8::1")]
    [InlineData("src-ip: 10.0.0.300", "p.yaml:8:13: 'src-ip' must be an IP address (IPv4 as a dotted quad like 192.0.2.1, or IPv6), found '10.0.0.300'")]
    [InlineData("src-ip: 1", "p.yaml:8:13: 'src-ip' must be an IP address (IPv4 as a dotted quad like 192.0.2.1, or IPv6), found '1'")]
    [InlineData("src-ip: 10.1", "p.yaml:8:13: 'src-ip' must be an IP address (IPv4 as a dotted quad like 192.0.2.1, or IPv6), found '10.1'")]
    [InlineData("dst-mac: 02:00:00:00:00:0g", "p.yaml:11:5: invalid 'dst-mac': dst-mac must be a MAC address like 02:00:00:00:00:01, found '02:00:00:00:00:0g'")]
    [InlineData("udp-src: fast", "p.yaml:12:5: invalid 'udp-src': udp-src must be 'flow' or a port number from 0 to 65535, found 'fast'")]
    public void Bad_YAML_value_is_reported_at_its_key(string replacement, string error)
    {
        var key = replacement[..replacement.IndexOf(':')];
        var lines = """
            type: vxlan-encap
                vni: 5001
                src-ip: 192.0.2.1
                dst-ip: 198.51.100.7
                src-mac: 02:00:00:00:00:01
                dst-mac: 02:00:00:00:00:fe
                udp-src: flow
            """.Split('\n');
        for (var n = 0; n < lines.Length; n++)
        {
            if (lines[n].TrimStart().StartsWith(key + ":", StringComparison.Ordinal))
            {
                lines[n] = lines[n][..lines[n].IndexOf(key, StringComparison.Ordinal)] + replacement;
            }
        }

        Assert.False(PipelineLoader.TryParse(Pipeline(string.Join('\n', lines)), "p.yaml", BuiltInStages.CreateRegistry(), out _, out var errors));

        Assert.Equal(error, Assert.Single(errors).ToString());
    }

    [Fact]
    public void Missing_required_key_is_reported_at_the_stage()
    {
        Assert.False(PipelineLoader.TryParse(Pipeline("type: vxlan-encap\n    vni: 1"), "p.yaml", BuiltInStages.CreateRegistry(), out _, out var errors));

        Assert.Equal(
            [
                "p.yaml:5:3: stage 'tunnel' is missing required key 'src-ip'",
                "p.yaml:5:3: stage 'tunnel' is missing required key 'dst-ip'",
                "p.yaml:5:3: stage 'tunnel' is missing required key 'src-mac'",
                "p.yaml:5:3: stage 'tunnel' is missing required key 'dst-mac'",
            ],
            errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Steady_state_allocates_nothing()
    {
        using var bench = new StageBench();
        var inner = TunnelPackets.Udp4();
        var stage = new VxlanEncap(Options());
        var context = bench.Context("vxlan-encap");

        Assert.Equal(0, SteadyState.BytesPerBatch(() => OneBatch(bench, stage, context, inner)));
        Assert.Equal(SteadyState.Calls, stage.SlowPathPackets);

        // 30 packets on the fast path (flow hashes computed), one on the slow path, one dropped as malformed.
        static void OneBatch(StageBench bench, VxlanEncap stage, StageContext context, byte[] inner)
        {
            bench.Recycle();
            for (var i = 0; i < 30; i++)
            {
                bench.Add(inner);
            }

            bench.Add(inner, headroom: 0);
            bench.Add(inner.AsSpan(0, 10));
            bench.Run(stage, context);
        }
    }

    private static VxlanEncapOptions Options() => new()
    {
        Vni = 5001,
        SrcIp = IPAddress.Parse("192.0.2.1"),
        DstIp = IPAddress.Parse("198.51.100.7"),
        SrcMac = "02:00:00:00:00:01",
        DstMac = "02:00:00:00:00:fe",
    };

    private static string Pipeline(string stage) => $$"""
        name: t
        ports:
          a: { spec: "null" }
        stages:
          tunnel:
            {{stage}}
        pipes:
          - a -> tunnel -> drop
        """;
}
