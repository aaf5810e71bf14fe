using Netmap.Io.Rings;
using Pipeline.Config;
using Pipeline.Stages;
using Pipeline.Testing;
using Stages.Tunnels;
using static System.Buffers.Binary.BinaryPrimitives;
using Outer = Stages.Tests.Tunnels.TunnelPackets.Outer;

namespace Stages.Tests.Tunnels;

public sealed class VxlanDecapTests
{
    private const int Headroom = StageBench.DefaultHeadroom;
    private static readonly GateId Other = new(1);

    public static TheoryData<string, Outer, int> Decaps => new()
    {
        { "hand-built, no IPv4 options", new Outer(), 50 },
        { "IPv4 options: one word", new Outer { OptionWords = 1 }, 54 },
        { "IPv4 options: ten words (IHL 15)", new Outer { OptionWords = 10 }, 90 },
        { "VNI 0", new Outer { Vni = 0 }, 50 },
        { "VNI 16777215", new Outer { Vni = 0xFFFFFF }, 50 },
        { "reserved flag bits set besides I (ignored on receipt)", new Outer { VxlanFlags = 0xFF }, 50 },
        { "a UDP checksum (not checked)", new Outer { UdpChecksum = 0xBEEF }, 50 },
        { "another port, configured", new Outer { UdpDst = 8472 }, 50 },
    };

    [Theory]
    [MemberData(nameof(Decaps))]
    public void Decap_pops_the_outer_headers_and_exposes_the_inner_frame_in_place(string name, Outer outer, int popped)
    {
        _ = name;
        using var bench = new StageBench();
        var inner = TunnelPackets.Udp4();
        var packet = TunnelPackets.Vxlan(inner, outer);
        var i = bench.Add(packet);
        var before = bench.Slot(i);
        var bufferBefore = bench.Buffer(i);
        var context = bench.Context("vxlan-decap", connectedGates: [true, true]);

        bench.Run(new VxlanDecap(new VxlanDecapOptions { Vni = outer.Vni, UdpDst = outer.UdpDst }), context);

        StageBench.AssertGate(context, i, GateId.Out);
        var slot = bench.Slot(i);
        Assert.Equal(before.BufIdx, slot.BufIdx);
        Assert.Equal(before.Offset + (ulong)popped, slot.Offset);
        Assert.Equal(before.Len - popped, slot.Len);
        Assert.Equal(before.Flags, slot.Flags);
        Assert.Equal(inner, bench.Data(i));
        Assert.Equal(bufferBefore, bench.Buffer(i)); // nothing written: the offset moved
    }

    [Fact]
    public void Decap_of_a_VXLAN_packet_built_layer_by_layer()
    {
        // Outer Ethernet/IPv4/UDP from PacketBuilder (with a UDP checksum), then the VXLAN header and the inner frame as payload.
        using var bench = new StageBench();
        var inner = TunnelPackets.Tcp6();
        var payload = new byte[8 + inner.Length];
        payload[0] = 0x08;
        WriteUInt32BigEndian(payload.AsSpan(4), 42u << 8);
        inner.CopyTo(payload, 8);
        var packet = new PacketBuilder().Ethernet("02:00:00:00:00:01", "02:00:00:00:00:fe").Ipv4("192.0.2.1", "198.51.100.7", ttl: 3, id: 77).Udp(50123, 4789).Payload(payload).Build();
        var i = bench.Add(packet);
        var before = bench.Slot(i);
        var context = bench.Context("vxlan-decap");

        bench.Run(new VxlanDecap(new VxlanDecapOptions { Vni = 42 }), context);

        StageBench.AssertGate(context, i, GateId.Out);
        Assert.Equal(inner, bench.Data(i));
        Assert.Equal(before.Offset + 50, bench.Slot(i).Offset);
        Assert.Equal(before.BufIdx, bench.Slot(i).BufIdx);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    public void Bytes_after_the_UDP_datagram_are_trimmed_from_the_tail(int padding)
    {
        using var bench = new StageBench();
        var inner = TunnelPackets.Udp4();
        var i = bench.Add(TunnelPackets.Vxlan(inner, new Outer { Padding = padding }));

        bench.Run(new VxlanDecap(new VxlanDecapOptions { Vni = 5001 }), bench.Context("vxlan-decap"));

        Assert.Equal(inner, bench.Data(i));
    }

    public static TheoryData<string, byte[]> NotOurs => new()
    {
        { "another VNI", TunnelPackets.Vxlan(TunnelPackets.Udp4(), new Outer { Vni = 5002 }) },
        { "no I flag", TunnelPackets.Vxlan(TunnelPackets.Udp4(), new Outer { VxlanFlags = 0x00 }) },
        { "another UDP port", TunnelPackets.Vxlan(TunnelPackets.Udp4(), new Outer { UdpDst = 4790 }) },
        { "TCP, not UDP", TunnelPackets.Vxlan(TunnelPackets.Udp4(), new Outer { Protocol = 6 }) },
        { "an IPv4 first fragment", TunnelPackets.Vxlan(TunnelPackets.Udp4(), new Outer { FlagsFragment = 0x2000 }) },
        { "an IPv4 later fragment", TunnelPackets.Vxlan(TunnelPackets.Udp4(), new Outer { FlagsFragment = 0x0010 }) },
        { "IPv6", TunnelPackets.Tcp6() },
        { "ARP", new PacketBuilder().Ethernet().Arp().Build() },
        { "802.1Q-tagged VXLAN", TestPackets.Tagged(TunnelPackets.Vxlan(TunnelPackets.Udp4()), 0x8100, 5) },
        { "a plain IPv4/UDP packet", TunnelPackets.Udp4() },
    };

    [Theory]
    [MemberData(nameof(NotOurs))]
    public void Packet_not_of_this_tunnel_leaves_unchanged_by_other_when_it_is_connected(string name, byte[] packet)
    {
        _ = name;
        using var bench = new StageBench();
        var i = bench.Add(packet);
        var ours = bench.Add(TunnelPackets.Vxlan(TunnelPackets.Udp4()));
        var before = bench.Slot(i);
        var bufferBefore = bench.Buffer(i);
        var context = bench.Context("vxlan-decap", connectedGates: [true, true]);

        bench.Run(new VxlanDecap(new VxlanDecapOptions { Vni = 5001 }), context);

        StageBench.AssertGate(context, i, Other);
        Assert.Equal(before, bench.Slot(i));
        Assert.Equal(bufferBefore, bench.Buffer(i));
        StageBench.AssertGate(context, ours, GateId.Out);
        Assert.Equal(TunnelPackets.Udp4(), bench.Data(ours));
    }

    [Fact]
    public void Packet_not_of_this_tunnel_passes_on_out_when_other_is_not_connected()
    {
        using var bench = new StageBench();
        var packet = TunnelPackets.Vxlan(TunnelPackets.Udp4(), new Outer { Vni = 7 });
        var i = bench.Add(packet);
        var before = bench.Slot(i);
        var context = bench.Context("vxlan-decap", connectedGates: [true, false]);

        bench.Run(new VxlanDecap(new VxlanDecapOptions { Vni = 5001 }), context);

        StageBench.AssertGate(context, i, GateId.Out);
        Assert.Equal(before, bench.Slot(i));
        Assert.Equal(packet, bench.Data(i));
    }

    public static TheoryData<string, byte[]> Malformed
    {
        get
        {
            var inner = TunnelPackets.Udp4();
            var good = TunnelPackets.Vxlan(inner);
            return new()
            {
                { "empty", [] },
                { "13 bytes", good[..13] },
                { "IPv4 header cut short", good[..33] },
                { "IPv4 EtherType over version 6", TunnelPackets.Vxlan(inner, new Outer { Version = 6 }) },
                { "IHL 4", TunnelPackets.Vxlan(inner, new Outer { Ihl = 4 }) },
                { "IHL past the frame", TunnelPackets.Vxlan(TestPackets.Ipv4Frame()[..14], new Outer { Ihl = 15, TotalLength = 60 })[..40] },
                { "total length shorter than the header", TunnelPackets.Vxlan(inner, new Outer { TotalLength = 19 }) },
                { "total length past the frame", TunnelPackets.Vxlan(inner, new Outer { TotalLength = 36 + inner.Length + 1 }) },
                { "frame cut inside the datagram", good[..(good.Length - 1)] },
                { "UDP header cut short", good[..40] },
                { "protocol UDP, no UDP header", TestPackets.Ipv4Frame(payloadLength: 0) },
                { "UDP length 15", TunnelPackets.Vxlan(inner, new Outer { UdpLength = 15 }) },
                { "UDP length 0", TunnelPackets.Vxlan(inner, new Outer { UdpLength = 0 }) },
                { "UDP length past the IPv4 payload", TunnelPackets.Vxlan(inner, new Outer { UdpLength = 16 + inner.Length + 1 }) },
                { "VXLAN header cut short", TunnelPackets.Vxlan([], new Outer { TotalLength = 36, UdpLength = 16 })[..48] },
                { "no inner frame", TunnelPackets.Vxlan([]) },
                { "inner frame of 13 bytes", TunnelPackets.Vxlan(inner[..13]) },
                { "outer IPv4 checksum wrong", TunnelPackets.Vxlan(inner, new Outer { BadChecksum = true }) },
            };
        }
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_packet_is_dropped_and_left_alone(string name, byte[] packet)
    {
        _ = name;
        using var bench = new StageBench();
        var bad = bench.Add(packet);
        var good = bench.Add(TunnelPackets.Vxlan(TunnelPackets.Udp4()));
        var before = bench.Slot(bad);
        var bufferBefore = bench.Buffer(bad);
        var context = bench.Context("vxlan-decap", connectedGates: [true, true]);

        bench.Run(new VxlanDecap(new VxlanDecapOptions { Vni = 5001 }), context);

        StageBench.AssertDropped(context, bad, DropReason.Malformed);
        Assert.Equal(before, bench.Slot(bad));
        Assert.Equal(bufferBefore, bench.Buffer(bad));
        StageBench.AssertGate(context, good, GateId.Out);
    }

    [Fact]
    public void Multi_slot_packet_is_decapsulated_in_its_first_slot_with_lengths_checked_over_every_slot()
    {
        using var bench = new StageBench();
        var inner = TunnelPackets.Udp4(payload: 300);
        var packet = TunnelPackets.Vxlan(inner, new Outer { Padding = 4 });
        var first = bench.Add(packet.AsSpan(0, 120), flags: SlotFlags.MoreFrag);
        var middle = bench.Add(packet.AsSpan(120, 150), flags: SlotFlags.MoreFrag);
        var last = bench.Add(packet.AsSpan(270));
        var middleBefore = bench.Slot(middle);
        var lastBefore = bench.Slot(last);
        var context = bench.Context("vxlan-decap", connectedGates: [true, true]);

        bench.Run(new VxlanDecap(new VxlanDecapOptions { Vni = 5001 }), context);

        StageBench.AssertGate(context, first, GateId.Out);
        Assert.Equal(inner[..70], bench.Data(first));
        Assert.Equal(SlotFlags.MoreFrag, bench.Slot(first).Flags);
        Assert.Equal(middleBefore, bench.Slot(middle));
        Assert.Equal(lastBefore.Len - 4, bench.Slot(last).Len); // the padding, trimmed from the last slot
        byte[] joined = [.. bench.Data(first), .. bench.Data(middle), .. bench.Data(last)];
        Assert.Equal(inner, joined);
    }

    [Fact]
    public void A_trailer_longer_than_the_last_slot_is_trimmed_from_the_slots_before_it_too()
    {
        // 120 bytes after the outer IPv4 packet, in slots of 100: the last slot empties, 20 come off the one before.
        using var bench = new StageBench();
        var inner = TunnelPackets.Udp4(payload: 300);
        var packet = TunnelPackets.Vxlan(inner, new Outer { Padding = 120 });
        var slots = new List<int>();
        for (var at = 0; at < packet.Length; at += 100)
        {
            var end = Math.Min(at + 100, packet.Length);
            slots.Add(bench.Add(packet.AsSpan(at, end - at), flags: end < packet.Length ? SlotFlags.MoreFrag : SlotFlags.None));
        }

        var context = bench.Context("vxlan-decap", connectedGates: [true, true]);

        bench.Run(new VxlanDecap(new VxlanDecapOptions { Vni = 5001 }), context);

        StageBench.AssertGate(context, slots[0], GateId.Out);
        byte[] joined = [.. slots.SelectMany(bench.Data)];
        Assert.Equal(inner, joined);
        Assert.Equal(0, bench.Slot(slots[^1]).Len);
    }

    [Fact]
    public void Multi_slot_packet_shorter_than_its_IPv4_total_length_is_malformed()
    {
        using var bench = new StageBench();
        var packet = TunnelPackets.Vxlan(TunnelPackets.Udp4(payload: 300));
        var first = bench.Add(packet.AsSpan(0, 120), flags: SlotFlags.MoreFrag);
        bench.Add(packet.AsSpan(120, 100)); // the rest is missing
        var before = bench.Slot(first);
        var context = bench.Context("vxlan-decap");

        bench.Run(new VxlanDecap(new VxlanDecapOptions { Vni = 5001 }), context);

        StageBench.AssertDropped(context, first, DropReason.Malformed);
        Assert.Equal(before, bench.Slot(first));
    }

    [Theory]
    [InlineData(45)] // the VXLAN header split across slots
    [InlineData(55)] // the inner Ethernet header split across slots
    public void Multi_slot_packet_whose_first_slot_cuts_a_header_is_malformed(int firstSlot)
    {
        using var bench = new StageBench();
        var packet = TunnelPackets.Vxlan(TunnelPackets.Udp4());
        var first = bench.Add(packet.AsSpan(0, firstSlot), flags: SlotFlags.MoreFrag);
        bench.Add(packet.AsSpan(firstSlot));
        var before = bench.Slot(first);
        var context = bench.Context("vxlan-decap");

        bench.Run(new VxlanDecap(new VxlanDecapOptions { Vni = 5001 }), context);

        StageBench.AssertDropped(context, first, DropReason.Malformed);
        Assert.Equal(before, bench.Slot(first));
    }

    [Theory]
    [InlineData("vni", "vni must be from 0 to 16777215 (24 bits), found 16777216")]
    [InlineData("udp-dst", "udp-dst must be from 1 to 65535, found 0")]
    public void Bad_option_throws_naming_the_key(string key, string message)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => key switch
        {
            "vni" => new VxlanDecapOptions { Vni = 16777216 },
            _ => new VxlanDecapOptions { Vni = 1, UdpDst = 0 },
        });

        Assert.Equal(key, ex.ParamName);
        Assert.Equal($"{message} (Parameter '{key}')", ex.Message);
    }

    [Fact]
    public void YAML_keys_bind_to_the_options()
    {
        var definition = PipelineLoader.Parse(Pipeline("{ type: vxlan-decap, vni: 5001, udp-dst: 8472 }"), "p.yaml", BuiltInStages.CreateRegistry());

        var stage = Assert.Single(definition.Stages);
        Assert.Equal(typeof(VxlanDecap), stage.Descriptor.StageType);
        Assert.Equal(["out", "other"], stage.Descriptor.Gates);
        Assert.Equal(new VxlanDecapOptions { Vni = 5001, UdpDst = 8472 }, stage.Options);
        Assert.Equal(4789, new VxlanDecapOptions { Vni = 1 }.UdpDst);
    }

    [Theory]
    [InlineData("{ type: vxlan-decap, vni: 16777216 }", "p.yaml:5:34: invalid 'vni': vni must be from 0 to 16777215 (24 bits), found 16777216")]
    [InlineData("{ type: vxlan-decap, vni: 1, udp-dst: 65536 }", "p.yaml:5:51: 'udp-dst' must be an integer from 0 to 65535, found '65536'")]
    [InlineData("{ type: vxlan-decap }", "p.yaml:5:3: stage 'untunnel' is missing required key 'vni'")]
    public void Bad_YAML_value_is_reported_at_its_key(string stage, string error)
    {
        Assert.False(PipelineLoader.TryParse(Pipeline(stage), "p.yaml", BuiltInStages.CreateRegistry(), out _, out var errors));

        Assert.Equal(error, Assert.Single(errors).ToString());
    }

    [Fact]
    public void Steady_state_allocates_nothing()
    {
        using var bench = new StageBench();
        var packet = TunnelPackets.Vxlan(TunnelPackets.Udp4());
        var other = TunnelPackets.Vxlan(TunnelPackets.Udp4(), new Outer { Vni = 9 });
        var stage = new VxlanDecap(new VxlanDecapOptions { Vni = 5001 });
        var context = bench.Context("vxlan-decap", connectedGates: [true, true]);

        Assert.Equal(0, SteadyState.BytesPerBatch(() => OneBatch(bench, stage, context, packet, other)));

        // 30 packets of the tunnel, one of another VNI (to other), one dropped as malformed.
        static void OneBatch(StageBench bench, VxlanDecap stage, StageContext context, byte[] packet, byte[] other)
        {
            bench.Recycle();
            for (var i = 0; i < 30; i++)
            {
                bench.Add(packet);
            }

            bench.Add(other);
            bench.Add(packet.AsSpan(0, 40));
            bench.Run(stage, context);
        }
    }

    private static string Pipeline(string stage) => $$"""
        name: t
        ports:
          a: { spec: "null" }
        stages:
          untunnel: {{stage}}
        pipes:
          - a -> untunnel -> drop
        """;
}
