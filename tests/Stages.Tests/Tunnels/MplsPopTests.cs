using Netmap.Io.Rings;
using Pipeline.Config;
using Pipeline.Stages;
using Stages.Tunnels;
using static System.Buffers.Binary.BinaryPrimitives;

namespace Stages.Tests.Tunnels;

public sealed class MplsPopTests
{
    private const int Headroom = StageBench.DefaultHeadroom;
    private static readonly GateId Other = new(1);

    public static TheoryData<PopCase> Pops => new()
    {
        new PopCase("bottom entry over IPv4: EtherType 0x0800", TestPackets.Ipv4Frame(), L2: 14, Bottom: true, MplsType: 0x8847),
        new PopCase("bottom entry over IPv6: EtherType 0x86DD", TunnelPackets.Tcp6(), L2: 14, Bottom: true, MplsType: 0x8847),
        new PopCase("bottom entry after an 802.1Q tag", TestPackets.Tagged(TestPackets.Ipv4Frame(), 0x8100, 300), L2: 18, Bottom: true, MplsType: 0x8847),
        new PopCase("bottom entry after QinQ tags", TestPackets.Tagged(TestPackets.Tagged(TunnelPackets.Tcp6(), 0x8100, 3), 0x88a8, 4), L2: 22, Bottom: true, MplsType: 0x8847),
        new PopCase("bottom entry of a multicast stack", TestPackets.Ipv4Frame(), L2: 14, Bottom: true, MplsType: 0x8848),
        new PopCase("top entry of two: EtherType stays 0x8847",
            TunnelPackets.Labelled(TestPackets.Ipv4Frame(), 14, TunnelPackets.Entry(1001, 1, bottom: true, 10)), L2: 14, Bottom: false, MplsType: 0x8847),
    };

    [Theory]
    [MemberData(nameof(Pops))]
    public void Pop_removes_the_top_entry_by_moving_the_header_and_the_offset(PopCase pop)
    {
        using var bench = new StageBench();
        var expected = pop.Expected;
        var labelled = TunnelPackets.Labelled(expected, pop.L2, TunnelPackets.Entry(16, 5, pop.Bottom, 200), pop.MplsType);
        var i = bench.Add(labelled);
        var before = bench.Slot(i);
        var bufferBefore = bench.Buffer(i);
        var context = bench.Context("mpls-pop", connectedGates: [true, true]);

        bench.Run(new MplsPop(), context);

        StageBench.AssertGate(context, i, GateId.Out);
        var slot = bench.Slot(i);
        Assert.Equal(before.BufIdx, slot.BufIdx);
        Assert.Equal(before.Offset + 4, slot.Offset);
        Assert.Equal(before.Len - 4, slot.Len);
        Assert.Equal(before.Flags, slot.Flags);
        var data = bench.Data(i);
        Assert.Equal(labelled[..(pop.L2 - 2)], data[..(pop.L2 - 2)]); // MACs and tags
        Assert.Equal(ReadUInt16BigEndian(expected.AsSpan(pop.L2 - 2)), ReadUInt16BigEndian(data.AsSpan(pop.L2 - 2)));
        Assert.Equal(expected, data);

        // Only the header moved: the bytes before the old start and from the old entry's end on are as they were.
        var buffer = bench.Buffer(i);
        Assert.Equal(bufferBefore[..Headroom], buffer[..Headroom]);
        Assert.Equal(bufferBefore[(Headroom + pop.L2 + 4)..], buffer[(Headroom + pop.L2 + 4)..]);
    }

    public static TheoryData<string, byte[]> Malformed => new()
    {
        { "empty", [] },
        { "13 bytes", Mpls(TestPackets.Ipv4Frame())[..13] },
        { "a tag cut short", TestPackets.Tagged(Mpls(TestPackets.Ipv4Frame()), 0x8100, 9)[..17] },
        { "entry cut short", Mpls(TestPackets.Ipv4Frame())[..17] },
        { "bottom entry over nothing", Mpls(TestPackets.Ipv4Frame())[..18] },
        { "bottom entry over version 5", WithByte(Mpls(TestPackets.Ipv4Frame()), 18, 0x55) },
        { "bottom entry over version 0", WithByte(Mpls(TestPackets.Ipv4Frame()), 18, 0x00) },
        { "S clear and no entry after it", TunnelPackets.Labelled(TestPackets.Ipv4Frame()[..14], 14, TunnelPackets.Entry(16, 0, bottom: false, 1)).Concat(new byte[] { 0x45, 0, 0 }).ToArray() },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_packet_is_dropped_and_left_alone(string name, byte[] frame)
    {
        _ = name;
        using var bench = new StageBench();
        var bad = bench.Add(frame);
        var good = bench.Add(Mpls(TestPackets.Ipv4Frame()));
        var before = bench.Slot(bad);
        var bufferBefore = bench.Buffer(bad);
        var context = bench.Context("mpls-pop", connectedGates: [true, true]);

        bench.Run(new MplsPop(), context);

        StageBench.AssertDropped(context, bad, DropReason.Malformed);
        Assert.Equal(before, bench.Slot(bad));
        Assert.Equal(bufferBefore, bench.Buffer(bad));
        StageBench.AssertGate(context, good, GateId.Out);
        Assert.Equal(TestPackets.Ipv4Frame(), bench.Data(good));
    }

    [Theory]
    [InlineData(0x0800)] // IPv4
    [InlineData(0x86DD)] // IPv6
    [InlineData(0x0806)] // ARP
    public void Non_MPLS_packet_leaves_unchanged_by_other_when_it_is_connected(ushort etherType)
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame();
        WriteUInt16BigEndian(frame.AsSpan(12), etherType);
        var i = bench.Add(frame);
        var tagged = bench.Add(TestPackets.Tagged(frame, 0x8100, 9)); // a tag with no MPLS after it
        var labelled = bench.Add(Mpls(TestPackets.Ipv4Frame()));
        var before = bench.Slot(i);
        var context = bench.Context("mpls-pop", connectedGates: [true, true]);

        bench.Run(new MplsPop(), context);

        StageBench.AssertGate(context, i, Other);
        Assert.Equal(before, bench.Slot(i));
        Assert.Equal(frame, bench.Data(i));
        StageBench.AssertGate(context, tagged, Other);
        Assert.Equal(TestPackets.Tagged(frame, 0x8100, 9), bench.Data(tagged));
        StageBench.AssertGate(context, labelled, GateId.Out);
    }

    [Fact]
    public void Non_MPLS_packet_passes_on_out_when_other_is_not_connected()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame();
        var i = bench.Add(frame);
        var before = bench.Slot(i);
        var context = bench.Context("mpls-pop", connectedGates: [true, false]);

        bench.Run(new MplsPop(), context);

        StageBench.AssertGate(context, i, GateId.Out);
        Assert.Equal(before, bench.Slot(i));
        Assert.Equal(frame, bench.Data(i));
    }

    [Fact]
    public void Bare_header_and_entry_over_a_one_byte_IPv4_payload_is_popped()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame()[..15];
        var i = bench.Add(Mpls(frame));
        var context = bench.Context("mpls-pop");

        bench.Run(new MplsPop(), context);

        StageBench.AssertGate(context, i, GateId.Out);
        Assert.Equal(frame, bench.Data(i));
    }

    [Fact]
    public void Multi_slot_packet_is_popped_in_its_first_slot_only()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame(payloadLength: 16);
        var labelled = Mpls(frame);
        var first = bench.Add(labelled.AsSpan(0, 30), flags: SlotFlags.MoreFrag);
        var rest = bench.Add(labelled.AsSpan(30)); // short and not MPLS: only the first slot counts
        var restBefore = bench.Slot(rest);
        var context = bench.Context("mpls-pop", connectedGates: [true, true]);

        bench.Run(new MplsPop(), context);

        StageBench.AssertGate(context, first, GateId.Out);
        Assert.Equal(frame[..26], bench.Data(first));
        StageBench.AssertGate(context, rest, GateId.Out);
        Assert.Equal(restBefore, bench.Slot(rest));
        Assert.Equal(labelled[30..], bench.Data(rest));
    }

    [Fact]
    public void YAML_type_binds_with_its_gates_and_no_keys()
    {
        var definition = PipelineLoader.Parse(Pipeline("{ type: mpls-pop }"), "p.yaml", BuiltInStages.CreateRegistry());

        var stage = Assert.Single(definition.Stages);
        Assert.Equal(typeof(MplsPop), stage.Descriptor.StageType);
        Assert.Null(stage.Descriptor.OptionsType);
        Assert.Equal(["out", "other"], stage.Descriptor.Gates);
    }

    [Fact]
    public void YAML_key_is_reported_since_the_stage_takes_none()
    {
        Assert.False(PipelineLoader.TryParse(Pipeline("{ type: mpls-pop, label: 3 }"), "p.yaml", BuiltInStages.CreateRegistry(), out _, out var errors));

        Assert.Equal("p.yaml:5:30: stage type 'mpls-pop' takes no parameters", Assert.Single(errors).ToString());
    }

    [Fact]
    public void Steady_state_allocates_nothing()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame();
        var labelled = Mpls(frame);
        var stage = new MplsPop();
        var context = bench.Context("mpls-pop", connectedGates: [true, true]);

        Assert.Equal(0, SteadyState.BytesPerBatch(() => OneBatch(bench, stage, context, frame, labelled)));

        // 30 labelled packets, one not MPLS (to other), one dropped as malformed.
        static void OneBatch(StageBench bench, MplsPop stage, StageContext context, byte[] frame, byte[] labelled)
        {
            bench.Recycle();
            for (var i = 0; i < 30; i++)
            {
                bench.Add(labelled);
            }

            bench.Add(frame);
            bench.Add(labelled.AsSpan(0, 17));
            bench.Run(stage, context);
        }
    }

    // The frame with a bottom entry (label 16, TTL 64) after its 14-byte Ethernet header, EtherType 0x8847.
    private static byte[] Mpls(byte[] frame) => TunnelPackets.Labelled(frame, 14, TunnelPackets.Entry(16, 0, bottom: true, 64));

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
          unlabel: {{stage}}
        pipes:
          - a -> unlabel -> drop
        """;

    /// <summary>One pop, named: the frame expected after it, and the entry in front of its payload.</summary>
    public sealed record PopCase(string Name, byte[] Expected, int L2, bool Bottom, ushort MplsType)
    {
        public override string ToString() => Name;
    }
}
