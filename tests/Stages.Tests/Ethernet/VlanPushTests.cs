using Netmap.Io.Rings;
using Pipeline.Config;
using Pipeline.Stages;
using Stages.Ethernet;
using static System.Buffers.Binary.BinaryPrimitives;

namespace Stages.Tests.Ethernet;

public sealed class VlanPushTests
{
    private const int Headroom = StageBench.DefaultHeadroom;

    public static TheoryData<TagCase> Tags => new()
    {
        new TagCase("customer tag, vid 100", Vid: 100, Pcp: 0, Dei: 0, Tpid: 0x8100),
        new TagCase("every field at its maximum", Vid: 4095, Pcp: 7, Dei: 1, Tpid: 0x8100),
        new TagCase("priority tag: vid 0, pcp 5", Vid: 0, Pcp: 5, Dei: 0, Tpid: 0x8100),
        new TagCase("alternating bits", Vid: 0xAAA, Pcp: 2, Dei: 1, Tpid: 0x8100),
        new TagCase("QinQ outer tag", Vid: 20, Pcp: 3, Dei: 1, Tpid: 0x88a8),
    };

    [Theory]
    [MemberData(nameof(Tags))]
    public void Push_writes_the_tag_after_the_macs_in_the_headroom(TagCase tag)
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame();
        var i = bench.Add(frame);
        var slotBefore = bench.Slot(i);
        var bufferBefore = bench.Buffer(i);
        var stage = new VlanPush(tag.Options);
        var context = bench.Context("vlan-push");

        bench.Run(stage, context);

        StageBench.AssertGate(context, i, GateId.Out);
        var slot = bench.Slot(i);
        Assert.Equal(slotBefore.BufIdx, slot.BufIdx);
        Assert.Equal(slotBefore.Offset - 4, slot.Offset);
        Assert.Equal(slotBefore.Len + 4, slot.Len);
        Assert.Equal(slotBefore.Flags, slot.Flags);

        var data = bench.Data(i);
        Assert.Equal(frame.Length + 4, data.Length);
        Assert.Equal(TestPackets.DstMac, data[0..6]);
        Assert.Equal(TestPackets.SrcMac, data[6..12]);
        Assert.Equal(tag.Tpid, ReadUInt16BigEndian(data.AsSpan(12)));
        var tci = ReadUInt16BigEndian(data.AsSpan(14));
        Assert.Equal(tag.Pcp, tci >> 13);
        Assert.Equal(tag.Dei, (tci >> 12) & 1);
        Assert.Equal(tag.Vid, tci & 0x0FFF);
        Assert.Equal(TestPackets.EtherTypeIpv4, ReadUInt16BigEndian(data.AsSpan(16)));
        Assert.Equal(frame[TestPackets.EthernetLength..], data[18..]); // IPv4 header and payload
        Assert.Equal(0, TestPackets.Checksum(data.AsSpan(18, TestPackets.Ipv4Length)));
        Assert.Equal(TestPackets.Tagged(frame, tag.Tpid, tag.Vid, tag.Pcp, tag.Dei), data);

        // Only the 4 bytes of headroom and the 12 MAC bytes were written: the rest of the buffer is as it was.
        var buffer = bench.Buffer(i);
        Assert.Equal(bufferBefore[..(Headroom - 4)], buffer[..(Headroom - 4)]);
        Assert.Equal(bufferBefore[(Headroom + 12)..], buffer[(Headroom + 12)..]);
        Assert.Equal(0, stage.SlowPathPackets);
    }

    [Fact]
    public void Push_then_pop_gives_back_the_original_bytes_buffer_and_offset()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame(payloadLength: 100);
        var i = bench.Add(frame);
        var original = bench.Slot(i);

        bench.Run(new VlanPush(new VlanPushOptions { Vid = 300, Pcp = 6 }), bench.Context("vlan-push"));
        Assert.Equal(original.Offset - 4, bench.Slot(i).Offset);
        var pop = bench.Context("vlan-pop");
        bench.Run(new VlanPop(), pop);

        StageBench.AssertGate(pop, i, GateId.Out);
        Assert.Equal(frame, bench.Data(i));
        Assert.Equal(original, bench.Slot(i));
    }

    [Fact]
    public void QinQ_push_inner_then_outer_and_pop_twice_gives_back_the_original()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame();
        var i = bench.Add(frame);
        var original = bench.Slot(i);
        var inner = new VlanPush(new VlanPushOptions { Vid = 100, Pcp = 1 });
        var outer = new VlanPush(new VlanPushOptions { Vid = 20, Pcp = 4, Tpid = 0x88a8 });
        var pop = new VlanPop();

        bench.Run(inner, bench.Context("vlan-push"));
        bench.Run(outer, bench.Context("vlan-push"));

        // dst, src, 0x88a8 (S-tag, vid 20), 0x8100 (C-tag, vid 100), 0x0800.
        var qinq = bench.Data(i);
        Assert.Equal(TestPackets.Tagged(TestPackets.Tagged(frame, 0x8100, 100, pcp: 1), 0x88a8, 20, pcp: 4), qinq);
        Assert.Equal(0x88a8, ReadUInt16BigEndian(qinq.AsSpan(12)));
        Assert.Equal((4 << 13) | 20, ReadUInt16BigEndian(qinq.AsSpan(14)));
        Assert.Equal(0x8100, ReadUInt16BigEndian(qinq.AsSpan(16)));
        Assert.Equal((1 << 13) | 100, ReadUInt16BigEndian(qinq.AsSpan(18)));
        Assert.Equal(TestPackets.EtherTypeIpv4, ReadUInt16BigEndian(qinq.AsSpan(20)));
        Assert.Equal(original.Offset - 8, bench.Slot(i).Offset);
        Assert.Equal(original.BufIdx, bench.Slot(i).BufIdx);

        bench.Run(pop, bench.Context("vlan-pop"));
        Assert.Equal(TestPackets.Tagged(frame, 0x8100, 100, pcp: 1), bench.Data(i));
        Assert.Equal(original.Offset - 4, bench.Slot(i).Offset);

        bench.Run(pop, bench.Context("vlan-pop"));
        Assert.Equal(frame, bench.Data(i));
        Assert.Equal(original, bench.Slot(i));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(13)]
    public void Packet_shorter_than_an_Ethernet_header_is_dropped_as_malformed_and_left_alone(int length)
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame();
        var shortOne = bench.Add(frame.AsSpan(0, length));
        var good = bench.Add(frame);
        var before = bench.Slot(shortOne);
        var stage = new VlanPush(new VlanPushOptions { Vid = 7 });
        var context = bench.Context("vlan-push");

        bench.Run(stage, context);

        StageBench.AssertDropped(context, shortOne, DropReason.Malformed);
        Assert.Equal(before, bench.Slot(shortOne));
        Assert.Equal(frame[..length], bench.Data(shortOne));
        StageBench.AssertGate(context, good, GateId.Out);
        Assert.Equal(TestPackets.Tagged(frame, 0x8100, 7), bench.Data(good));
    }

    [Fact]
    public void Bare_14_byte_Ethernet_header_is_tagged()
    {
        using var bench = new StageBench();
        var header = TestPackets.Ipv4Frame()[..TestPackets.EthernetLength];
        var i = bench.Add(header);
        var context = bench.Context("vlan-push");

        bench.Run(new VlanPush(new VlanPushOptions { Vid = 4094 }), context);

        StageBench.AssertGate(context, i, GateId.Out);
        Assert.Equal(TestPackets.Tagged(header, 0x8100, 4094), bench.Data(i));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void Without_headroom_the_packet_is_moved_towards_the_tail_and_counted(int headroom)
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame();
        var i = bench.Add(frame, headroom);
        var fast = bench.Add(frame);
        var before = bench.Slot(i);
        var bufferBefore = bench.Buffer(i);
        var stage = new VlanPush(new VlanPushOptions { Vid = 42, Pcp = 7, Dei = 1 });
        var context = bench.Context("vlan-push");

        bench.Run(stage, context);

        StageBench.AssertGate(context, i, GateId.Out);
        var slot = bench.Slot(i);
        Assert.Equal(before.BufIdx, slot.BufIdx);
        Assert.Equal(before.Offset, slot.Offset);
        Assert.Equal(before.Len + 4, slot.Len);
        var expected = TestPackets.Tagged(frame, 0x8100, 42, pcp: 7, dei: 1);
        Assert.Equal(expected, bench.Data(i));
        Assert.Equal(expected, bench.Data(fast));
        var buffer = bench.Buffer(i);
        Assert.Equal(bufferBefore[..headroom], buffer[..headroom]);
        Assert.Equal(bufferBefore[(headroom + frame.Length + 4)..], buffer[(headroom + frame.Length + 4)..]);
        Assert.Equal(1, stage.SlowPathPackets);

        // The count adds up across batches.
        bench.Recycle();
        bench.Add(frame, headroom: 0);
        bench.Add(frame, headroom: 2);
        bench.Run(stage, bench.Context("vlan-push"));
        Assert.Equal(3, stage.SlowPathPackets);
    }

    [Theory]
    [InlineData(126, 0)]
    [InlineData(128, 0)]
    [InlineData(124, 2)]
    public void Without_headroom_or_tailroom_the_packet_is_dropped_as_too_big_and_left_alone(int length, int headroom)
    {
        using var bench = new StageBench(bufferSize: 128);
        var frame = TestPackets.Ipv4Frame(payloadLength: length - TestPackets.EthernetLength - TestPackets.Ipv4Length);
        var i = bench.Add(frame, headroom);
        var before = bench.Slot(i);
        var bufferBefore = bench.Buffer(i);
        var stage = new VlanPush(new VlanPushOptions { Vid = 1 });
        var context = bench.Context("vlan-push");

        bench.Run(stage, context);

        StageBench.AssertDropped(context, i, DropReason.TooBig);
        Assert.Equal(before, bench.Slot(i));
        Assert.Equal(bufferBefore, bench.Buffer(i));
        Assert.Equal(0, stage.SlowPathPackets);
    }

    [Fact]
    public void Multi_slot_packet_is_tagged_in_its_first_slot_only()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame(payloadLength: 16); // 50 bytes: 40 in the first slot, 10 in the second
        var first = bench.Add(frame.AsSpan(0, 40), flags: SlotFlags.MoreFrag);
        var rest = bench.Add(frame.AsSpan(40)); // shorter than a header, but not a packet of its own
        var next = bench.Add(frame);
        var restBefore = bench.Slot(rest);
        var context = bench.Context("vlan-push");

        bench.Run(new VlanPush(new VlanPushOptions { Vid = 5 }), context);

        var tagged = TestPackets.Tagged(frame, 0x8100, 5);
        StageBench.AssertGate(context, first, GateId.Out);
        Assert.Equal(tagged[..44], bench.Data(first));
        Assert.Equal(SlotFlags.MoreFrag, bench.Slot(first).Flags);
        StageBench.AssertGate(context, rest, GateId.Out);
        Assert.Equal(restBefore, bench.Slot(rest));
        Assert.Equal(frame[40..], bench.Data(rest));
        StageBench.AssertGate(context, next, GateId.Out);
        Assert.Equal(tagged, bench.Data(next));
    }

    [Theory]
    [InlineData("vid", "vid must be from 0 to 4095 (12 bits), found 4096")]
    [InlineData("pcp", "pcp must be from 0 to 7 (3 bits), found 8")]
    [InlineData("dei", "dei must be 0 or 1, found 2")]
    [InlineData("tpid", "tpid must be an EtherType (0x0600 or more, usually 0x8100 or 0x88a8), found 0x05ff")]
    public void Out_of_range_option_throws_naming_the_key(string key, string message)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => key switch
        {
            "vid" => new VlanPushOptions { Vid = 4096 },
            "pcp" => new VlanPushOptions { Vid = 1, Pcp = 8 },
            "dei" => new VlanPushOptions { Vid = 1, Dei = 2 },
            _ => new VlanPushOptions { Vid = 1, Tpid = 0x05FF },
        });

        Assert.Equal(key, ex.ParamName);
        Assert.Equal($"{message} (Parameter '{key}')", ex.Message);
    }

    [Fact]
    public void Options_default_to_an_untagged_priority_zero_customer_tag()
    {
        var options = new VlanPushOptions { Vid = 9 };

        Assert.Equal(0, options.Pcp);
        Assert.Equal(0, options.Dei);
        Assert.Equal(0x8100, options.Tpid);
    }

    [Fact]
    public void YAML_keys_bind_to_the_options()
    {
        var definition = PipelineLoader.Parse(Pipeline("{ type: vlan-push, vid: 100, pcp: 5, dei: 1, tpid: 0x88a8 }"), "p.yaml", BuiltInStages.CreateRegistry());

        var stage = Assert.Single(definition.Stages);
        Assert.Equal(typeof(VlanPush), stage.Descriptor.StageType);
        Assert.Equal(new VlanPushOptions { Vid = 100, Pcp = 5, Dei = 1, Tpid = 0x88a8 }, stage.Options);
    }

    [Theory]
    [InlineData("{ type: vlan-push, vid: 4096 }", "p.yaml:5:27: invalid 'vid': vid must be from 0 to 4095 (12 bits), found 4096")]
    [InlineData("{ type: vlan-push, vid: 1, pcp: 9 }", "p.yaml:5:35: invalid 'pcp': pcp must be from 0 to 7 (3 bits), found 9")]
    [InlineData("{ type: vlan-push }", "p.yaml:5:3: stage 'tag' is missing required key 'vid'")]
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
        var stage = new VlanPush(new VlanPushOptions { Vid = 100 });
        var context = bench.Context("vlan-push");

        var allocated = SteadyState.BytesPerBatch(() => OneBatch(bench, stage, context, frame));
        Assert.Equal(0, allocated);
        Assert.Equal(SteadyState.Calls, stage.SlowPathPackets);

        // 30 packets on the fast path, one on the slow path, one dropped as malformed.
        static void OneBatch(StageBench bench, VlanPush stage, StageContext context, byte[] frame)
        {
            bench.Recycle();
            for (var i = 0; i < 30; i++)
            {
                bench.Add(frame);
            }

            bench.Add(frame, headroom: 0);
            bench.Add(frame.AsSpan(0, 10));
            bench.Run(stage, context);
        }
    }

    private static string Pipeline(string stage) => $$"""
        name: t
        ports:
          a: { spec: "null" }
        stages:
          tag: {{stage}}
        pipes:
          - a -> tag -> drop
        """;

    /// <summary>One row of tag fields, named.</summary>
    public sealed record TagCase(string Name, ushort Vid, byte Pcp, byte Dei, ushort Tpid)
    {
        public VlanPushOptions Options => new() { Vid = Vid, Pcp = Pcp, Dei = Dei, Tpid = Tpid };

        public override string ToString() => Name;
    }
}
