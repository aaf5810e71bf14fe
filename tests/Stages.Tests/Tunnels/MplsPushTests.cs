using Netmap.Io.Rings;
using Pipeline.Config;
using Pipeline.Stages;
using Stages.Tunnels;
using static System.Buffers.Binary.BinaryPrimitives;

namespace Stages.Tests.Tunnels;

public sealed class MplsPushTests
{
    private const int Headroom = StageBench.DefaultHeadroom;
    private static readonly GateId Other = new(1);

    public static TheoryData<PushCase> Pushes => new()
    {
        new PushCase("IPv4: bottom of stack, EtherType to 0x8847", Frame: TestPackets.Ipv4Frame(), L2: 14, EtherTypeBefore: 0x0800, Bottom: true),
        new PushCase("IPv6: bottom of stack, EtherType to 0x8847", Frame: TunnelPackets.Tcp6(), L2: 14, EtherTypeBefore: 0x86DD, Bottom: true),
        new PushCase("802.1Q-tagged IPv4: after the tag", Frame: TestPackets.Tagged(TestPackets.Ipv4Frame(), 0x8100, 100, pcp: 3), L2: 18, EtherTypeBefore: 0x0800, Bottom: true),
        new PushCase("QinQ-tagged IPv4: after both tags", Frame: TestPackets.Tagged(TestPackets.Tagged(TestPackets.Ipv4Frame(), 0x8100, 100), 0x88a8, 20), L2: 22, EtherTypeBefore: 0x0800, Bottom: true),
        new PushCase("over an MPLS stack: S clear, EtherType kept",
            Frame: TunnelPackets.Labelled(TestPackets.Ipv4Frame(), 14, TunnelPackets.Entry(1001, 0, bottom: true, 64)), L2: 14, EtherTypeBefore: 0x8847, Bottom: false),
        new PushCase("over an MPLS multicast stack: EtherType 0x8848 kept",
            Frame: TunnelPackets.Labelled(TestPackets.Ipv4Frame(), 14, TunnelPackets.Entry(77, 0, bottom: true, 9), etherType: 0x8848), L2: 14, EtherTypeBefore: 0x8848, Bottom: false),
    };

    [Theory]
    [MemberData(nameof(Pushes))]
    public void Push_writes_the_entry_after_the_Ethernet_header_and_tags_in_the_headroom(PushCase push)
    {
        using var bench = new StageBench();
        var frame = push.Frame;
        var i = bench.Add(frame);
        var slotBefore = bench.Slot(i);
        var bufferBefore = bench.Buffer(i);
        var stage = new MplsPush(new MplsPushOptions { Label = 0xABCDE, Tc = 5, Ttl = 200 });
        var context = bench.Context("mpls-push");

        bench.Run(stage, context);

        StageBench.AssertGate(context, i, GateId.Out);
        var slot = bench.Slot(i);
        Assert.Equal(slotBefore.BufIdx, slot.BufIdx);
        Assert.Equal(slotBefore.Offset - 4, slot.Offset);
        Assert.Equal(slotBefore.Len + 4, slot.Len);
        Assert.Equal(slotBefore.Flags, slot.Flags);

        var data = bench.Data(i);
        var l2 = push.L2;
        Assert.Equal(frame.Length + 4, data.Length);
        Assert.Equal(frame[..(l2 - 2)], data[..(l2 - 2)]); // MACs and tags
        Assert.Equal(push.Bottom ? 0x8847 : push.EtherTypeBefore, ReadUInt16BigEndian(data.AsSpan(l2 - 2)));
        var entry = ReadUInt32BigEndian(data.AsSpan(l2));
        Assert.Equal(0xABCDEu, entry >> 12);              // label
        Assert.Equal(5u, (entry >> 9) & 7);               // TC
        Assert.Equal(push.Bottom ? 1u : 0u, (entry >> 8) & 1); // S
        Assert.Equal(200u, entry & 0xFF);                 // TTL
        Assert.Equal(frame[l2..], data[(l2 + 4)..]);      // the payload, unchanged
        Assert.Equal(TunnelPackets.Labelled(frame, l2, entry, push.Bottom ? (ushort)0x8847 : null), data);

        // Only the 4 bytes of headroom and the Ethernet header were written: the rest of the buffer is as it was.
        var buffer = bench.Buffer(i);
        Assert.Equal(bufferBefore[..(Headroom - 4)], buffer[..(Headroom - 4)]);
        Assert.Equal(bufferBefore[(Headroom + l2)..], buffer[(Headroom + l2)..]);
        Assert.Equal(0, stage.SlowPathPackets);
    }

    [Theory]
    [InlineData(0u, (byte)0, (byte)1)]
    [InlineData(3u, (byte)0, (byte)64)]
    [InlineData(1048575u, (byte)7, (byte)255)]
    [InlineData(0x55555u, (byte)2, (byte)0xAA)]
    public void Every_field_of_the_entry_is_written_where_RFC_3032_puts_it(uint label, byte tc, byte ttl)
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame();
        var i = bench.Add(frame);

        bench.Run(new MplsPush(new MplsPushOptions { Label = label, Tc = tc, Ttl = ttl }), bench.Context("mpls-push"));

        var data = bench.Data(i);
        Assert.Equal((byte)(label >> 12), data[14]);
        Assert.Equal((byte)(label >> 4), data[15]);
        Assert.Equal((byte)(((label & 0xF) << 4) | ((uint)tc << 1) | 1), data[16]);
        Assert.Equal(ttl, data[17]);
        Assert.Equal(TunnelPackets.Labelled(frame, 14, TunnelPackets.Entry(label, tc, bottom: true, ttl)), data);
    }

    public static TheoryData<string, byte[]> RoundTrips => new()
    {
        { "untagged IPv4", TestPackets.Ipv4Frame(payloadLength: 100) },
        { "802.1Q-tagged IPv4", TestPackets.Tagged(TestPackets.Ipv4Frame(), 0x8100, 42, pcp: 7, dei: 1) },
        { "IPv6", TunnelPackets.Tcp6() },
    };

    [Theory]
    [MemberData(nameof(RoundTrips))]
    public void Push_then_pop_gives_back_the_original_bytes_buffer_and_offset(string name, byte[] frame)
    {
        _ = name;
        using var bench = new StageBench();
        var i = bench.Add(frame);
        var original = bench.Slot(i);

        bench.Run(new MplsPush(new MplsPushOptions { Label = 16 }), bench.Context("mpls-push"));
        Assert.Equal(original.Offset - 4, bench.Slot(i).Offset);
        var pop = bench.Context("mpls-pop");
        bench.Run(new MplsPop(), pop);

        StageBench.AssertGate(pop, i, GateId.Out);
        Assert.Equal(frame, bench.Data(i));
        Assert.Equal(original, bench.Slot(i));
    }

    [Fact]
    public void Two_label_stack_pushes_and_pops_back_to_the_original()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Tagged(TestPackets.Ipv4Frame(), 0x8100, 100);
        var i = bench.Add(frame);
        var original = bench.Slot(i);
        var inner = new MplsPush(new MplsPushOptions { Label = 1001, Tc = 1, Ttl = 10 });
        var outer = new MplsPush(new MplsPushOptions { Label = 16, Tc = 6, Ttl = 255 });
        var pop = new MplsPop();

        bench.Run(inner, bench.Context("mpls-push"));
        bench.Run(outer, bench.Context("mpls-push"));

        // dst, src, 0x8100 (vid 100), 0x8847, [16 tc 6 S=0 ttl 255], [1001 tc 1 S=1 ttl 10], IPv4.
        var bottom = TunnelPackets.Entry(1001, 1, bottom: true, 10);
        var top = TunnelPackets.Entry(16, 6, bottom: false, 255);
        var stacked = bench.Data(i);
        Assert.Equal(TunnelPackets.Labelled(TunnelPackets.Labelled(frame, 18, bottom), 18, top), stacked);
        Assert.Equal(top, ReadUInt32BigEndian(stacked.AsSpan(18)));
        Assert.Equal(bottom, ReadUInt32BigEndian(stacked.AsSpan(22)));
        Assert.Equal(original.Offset - 8, bench.Slot(i).Offset);
        Assert.Equal(original.BufIdx, bench.Slot(i).BufIdx);

        var first = bench.Context("mpls-pop");
        bench.Run(pop, first);
        StageBench.AssertGate(first, i, GateId.Out);
        Assert.Equal(TunnelPackets.Labelled(frame, 18, bottom), bench.Data(i)); // EtherType still 0x8847
        Assert.Equal(original.Offset - 4, bench.Slot(i).Offset);

        bench.Run(pop, bench.Context("mpls-pop"));
        Assert.Equal(frame, bench.Data(i));
        Assert.Equal(original, bench.Slot(i));
    }

    public static TheoryData<string, byte[]> Malformed => new()
    {
        { "empty", [] },
        { "13 bytes", TestPackets.Ipv4Frame()[..13] },
        { "a tag cut short", TestPackets.Tagged(TestPackets.Ipv4Frame(), 0x8100, 9)[..17] },
        { "IPv4 EtherType, no payload", TestPackets.Ipv4Frame()[..14] },
        { "IPv4 EtherType over a version-6 payload", WithByte(TestPackets.Ipv4Frame(), 14, 0x60) },
        { "IPv6 EtherType over a version-4 payload", WithByte(TunnelPackets.Tcp6(), 14, 0x45) },
        { "MPLS EtherType, entry cut short", TunnelPackets.Labelled(TestPackets.Ipv4Frame(), 14, TunnelPackets.Entry(5, 0, true, 1))[..17] },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_packet_is_dropped_and_left_alone(string name, byte[] frame)
    {
        _ = name;
        using var bench = new StageBench();
        var bad = bench.Add(frame);
        var good = bench.Add(TestPackets.Ipv4Frame());
        var before = bench.Slot(bad);
        var bufferBefore = bench.Buffer(bad);
        var context = bench.Context("mpls-push", connectedGates: [true, true]);

        bench.Run(new MplsPush(new MplsPushOptions { Label = 7 }), context);

        StageBench.AssertDropped(context, bad, DropReason.Malformed);
        Assert.Equal(before, bench.Slot(bad));
        Assert.Equal(bufferBefore, bench.Buffer(bad));
        StageBench.AssertGate(context, good, GateId.Out);
    }

    [Fact]
    public void Non_IP_non_MPLS_packet_leaves_unchanged_by_other_when_it_is_connected()
    {
        using var bench = new StageBench();
        var arp = new Pipeline.Testing.PacketBuilder().Ethernet().Arp().Build();
        var i = bench.Add(arp);
        var before = bench.Slot(i);
        var context = bench.Context("mpls-push", connectedGates: [true, true]);

        bench.Run(new MplsPush(new MplsPushOptions { Label = 7 }), context);

        StageBench.AssertGate(context, i, Other);
        Assert.Equal(before, bench.Slot(i));
        Assert.Equal(arp, bench.Data(i));
    }

    [Fact]
    public void Non_IP_non_MPLS_packet_is_dropped_as_filtered_when_other_is_not_connected()
    {
        using var bench = new StageBench();
        var arp = new Pipeline.Testing.PacketBuilder().Ethernet().Arp().Build();
        var i = bench.Add(arp);
        var before = bench.Slot(i);
        var context = bench.Context("mpls-push", connectedGates: [true, false]);

        bench.Run(new MplsPush(new MplsPushOptions { Label = 7 }), context);

        StageBench.AssertDropped(context, i, DropReason.Filtered);
        Assert.Equal(before, bench.Slot(i));
        Assert.Equal(arp, bench.Data(i));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void Without_headroom_the_payload_is_moved_towards_the_tail_and_counted(int headroom)
    {
        using var bench = new StageBench();
        var frame = TestPackets.Tagged(TestPackets.Ipv4Frame(), 0x8100, 12);
        var i = bench.Add(frame, headroom);
        var fast = bench.Add(frame);
        var before = bench.Slot(i);
        var bufferBefore = bench.Buffer(i);
        var stage = new MplsPush(new MplsPushOptions { Label = 999, Tc = 3 });
        var context = bench.Context("mpls-push");

        bench.Run(stage, context);

        StageBench.AssertGate(context, i, GateId.Out);
        var slot = bench.Slot(i);
        Assert.Equal(before.BufIdx, slot.BufIdx);
        Assert.Equal(before.Offset, slot.Offset);
        Assert.Equal(before.Len + 4, slot.Len);
        var expected = TunnelPackets.Labelled(frame, 18, TunnelPackets.Entry(999, 3, bottom: true, 64));
        Assert.Equal(expected, bench.Data(i));
        Assert.Equal(expected, bench.Data(fast));
        var buffer = bench.Buffer(i);
        Assert.Equal(bufferBefore[..headroom], buffer[..headroom]);
        Assert.Equal(bufferBefore[(headroom + frame.Length + 4)..], buffer[(headroom + frame.Length + 4)..]);
        Assert.Equal(1, stage.SlowPathPackets);

        // And it pops back to the original bytes (at the same offset: the slow path moved nothing back).
        bench.Run(new MplsPop(), bench.Context("mpls-pop"));
        Assert.Equal(frame, bench.Data(i));
    }

    [Theory]
    [InlineData(128, 0)]
    [InlineData(126, 2)]
    public void Without_headroom_or_tailroom_the_packet_is_dropped_as_too_big_and_left_alone(int length, int headroom)
    {
        using var bench = new StageBench(bufferSize: 128);
        var frame = TestPackets.Ipv4Frame(payloadLength: length - 34);
        var i = bench.Add(frame, headroom);
        var before = bench.Slot(i);
        var bufferBefore = bench.Buffer(i);
        var stage = new MplsPush(new MplsPushOptions { Label = 1 });
        var context = bench.Context("mpls-push");

        bench.Run(stage, context);

        StageBench.AssertDropped(context, i, DropReason.TooBig);
        Assert.Equal(before, bench.Slot(i));
        Assert.Equal(bufferBefore, bench.Buffer(i));
        Assert.Equal(0, stage.SlowPathPackets);
    }

    [Fact]
    public void Multi_slot_packet_is_labelled_in_its_first_slot_only()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame(payloadLength: 16);
        var first = bench.Add(frame.AsSpan(0, 40), flags: SlotFlags.MoreFrag);
        var rest = bench.Add(frame.AsSpan(40)); // not a packet of its own
        var restBefore = bench.Slot(rest);
        var context = bench.Context("mpls-push", connectedGates: [true, false]);

        bench.Run(new MplsPush(new MplsPushOptions { Label = 5 }), context);

        var labelled = TunnelPackets.Labelled(frame, 14, TunnelPackets.Entry(5, 0, bottom: true, 64));
        StageBench.AssertGate(context, first, GateId.Out);
        Assert.Equal(labelled[..44], bench.Data(first));
        Assert.Equal(SlotFlags.MoreFrag, bench.Slot(first).Flags);
        StageBench.AssertGate(context, rest, GateId.Out);
        Assert.Equal(restBefore, bench.Slot(rest));
        Assert.Equal(frame[40..], bench.Data(rest));
    }

    [Theory]
    [InlineData("label", "label must be from 0 to 1048575 (20 bits), found 1048576")]
    [InlineData("tc", "tc must be from 0 to 7 (3 bits), found 8")]
    [InlineData("ttl", "ttl must be from 1 to 255, found 0")]
    public void Out_of_range_option_throws_naming_the_key(string key, string message)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => key switch
        {
            "label" => new MplsPushOptions { Label = 1048576 },
            "tc" => new MplsPushOptions { Label = 1, Tc = 8 },
            _ => new MplsPushOptions { Label = 1, Ttl = 0 },
        });

        Assert.Equal(key, ex.ParamName);
        Assert.Equal($"{message} (Parameter '{key}')", ex.Message);
    }

    [Fact]
    public void Options_default_to_traffic_class_0_and_ttl_64()
    {
        var options = new MplsPushOptions { Label = 9 };

        Assert.Equal(0, options.Tc);
        Assert.Equal(64, options.Ttl);
    }

    [Fact]
    public void YAML_keys_bind_to_the_options()
    {
        var definition = PipelineLoader.Parse(Pipeline("{ type: mpls-push, label: 0xFFFFF, tc: 7, ttl: 1 }"), "p.yaml", BuiltInStages.CreateRegistry());

        var stage = Assert.Single(definition.Stages);
        Assert.Equal(typeof(MplsPush), stage.Descriptor.StageType);
        Assert.Equal(["out", "other"], stage.Descriptor.Gates);
        Assert.Equal(new MplsPushOptions { Label = 1048575, Tc = 7, Ttl = 1 }, stage.Options);
    }

    [Theory]
    [InlineData("{ type: mpls-push, label: 1048576 }", "p.yaml:5:29: invalid 'label': label must be from 0 to 1048575 (20 bits), found 1048576")]
    [InlineData("{ type: mpls-push, label: 1, tc: 8 }", "p.yaml:5:39: invalid 'tc': tc must be from 0 to 7 (3 bits), found 8")]
    [InlineData("{ type: mpls-push, label: 1, ttl: 0 }", "p.yaml:5:39: invalid 'ttl': ttl must be from 1 to 255, found 0")]
    [InlineData("{ type: mpls-push, label: -1 }", "p.yaml:5:36: 'label' must be an integer from 0 to 4294967295, found '-1'")]
    [InlineData("{ type: mpls-push }", "p.yaml:5:3: stage 'label' is missing required key 'label'")]
    public void Bad_YAML_value_is_reported_at_its_key(string stage, string error)
    {
        Assert.False(PipelineLoader.TryParse(Pipeline(stage), "p.yaml", BuiltInStages.CreateRegistry(), out _, out var errors));

        Assert.Equal(error, Assert.Single(errors).ToString());
    }

    [Fact]
    public void Steady_state_allocates_nothing()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame();
        var tagged = TestPackets.Tagged(frame, 0x8100, 100);
        var arp = WithByte(frame, 13, 0x06); // EtherType 0x0806
        var stage = new MplsPush(new MplsPushOptions { Label = 100 });
        var context = bench.Context("mpls-push", connectedGates: [true, false]);

        Assert.Equal(0, SteadyState.BytesPerBatch(() => OneBatch(bench, stage, context, frame, tagged, arp)));
        Assert.Equal(SteadyState.Calls, stage.SlowPathPackets);

        // 29 packets on the fast path (one tagged), one on the slow path, one dropped as malformed, one non-IP.
        static void OneBatch(StageBench bench, MplsPush stage, StageContext context, byte[] frame, byte[] tagged, byte[] arp)
        {
            bench.Recycle();
            for (var i = 0; i < 28; i++)
            {
                bench.Add(frame);
            }

            bench.Add(tagged);
            bench.Add(frame, headroom: 0);
            bench.Add(frame.AsSpan(0, 10));
            bench.Add(arp);
            bench.Run(stage, context);
        }
    }

    private static byte[] WithByte(byte[] frame, int index, byte value)
    {
        var copy = (byte[])frame.Clone();
        copy[index] = value;
        return copy;
    }

    private static string Pipeline(string stage) => $$"""
        name: t
        ports:
          a: { spec: "null" }
        stages:
          label: {{stage}}
        pipes:
          - a -> label -> drop
        """;

    /// <summary>One frame to push over, named.</summary>
    public sealed record PushCase(string Name, byte[] Frame, int L2, ushort EtherTypeBefore, bool Bottom)
    {
        public override string ToString() => Name;
    }
}
