using Netmap.Io.Rings;
using Pipeline.Stages;
using Stages.Ethernet;
using static System.Buffers.Binary.BinaryPrimitives;

namespace Stages.Tests.Ethernet;

public sealed class VlanPopTests
{
    private const int Headroom = StageBench.DefaultHeadroom;
    private static readonly GateId Untagged = new(1);

    [Theory]
    [InlineData(0x8100, 100, 0, 0)]
    [InlineData(0x8100, 4095, 7, 1)]
    [InlineData(0x88a8, 20, 3, 0)]
    public void Pop_removes_the_tag_by_moving_the_macs_and_the_offset(ushort tpid, ushort vid, byte pcp, byte dei)
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame();
        var i = bench.Add(TestPackets.Tagged(frame, tpid, vid, pcp, dei));
        var before = bench.Slot(i);
        var bufferBefore = bench.Buffer(i);
        var context = bench.Context("vlan-pop");

        bench.Run(new VlanPop(), context);

        StageBench.AssertGate(context, i, GateId.Out);
        var slot = bench.Slot(i);
        Assert.Equal(before.BufIdx, slot.BufIdx);
        Assert.Equal(before.Offset + 4, slot.Offset);
        Assert.Equal(before.Len - 4, slot.Len);
        var data = bench.Data(i);
        Assert.Equal(TestPackets.DstMac, data[0..6]);
        Assert.Equal(TestPackets.SrcMac, data[6..12]);
        Assert.Equal(TestPackets.EtherTypeIpv4, ReadUInt16BigEndian(data.AsSpan(12)));
        Assert.Equal(frame, data);

        // Only the MACs moved: the bytes before the old start and from the old tag's end on are as they were.
        var buffer = bench.Buffer(i);
        Assert.Equal(bufferBefore[..Headroom], buffer[..Headroom]);
        Assert.Equal(bufferBefore[(Headroom + 16)..], buffer[(Headroom + 16)..]);
    }

    [Fact]
    public void Only_the_outer_tag_of_a_QinQ_packet_is_popped()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame();
        var inner = TestPackets.Tagged(frame, 0x8100, 100);
        var i = bench.Add(TestPackets.Tagged(inner, 0x88a8, 20));

        bench.Run(new VlanPop(), bench.Context("vlan-pop"));

        Assert.Equal(inner, bench.Data(i));
    }

    [Theory]
    [InlineData(0x0800)] // IPv4
    [InlineData(0x86DD)] // IPv6
    [InlineData(0x9100)] // the pre-standard QinQ TPID is not a tag here
    public void Untagged_packet_leaves_unchanged_by_untagged_when_it_is_connected(ushort etherType)
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame();
        WriteUInt16BigEndian(frame.AsSpan(12), etherType);
        var i = bench.Add(frame);
        var tagged = bench.Add(TestPackets.Tagged(frame, 0x8100, 9));
        var before = bench.Slot(i);
        var context = bench.Context("vlan-pop", connectedGates: [true, true]);

        bench.Run(new VlanPop(), context);

        StageBench.AssertGate(context, i, Untagged);
        Assert.Equal(before, bench.Slot(i));
        Assert.Equal(frame, bench.Data(i));
        StageBench.AssertGate(context, tagged, GateId.Out);
        Assert.Equal(frame, bench.Data(tagged));
    }

    [Fact]
    public void Untagged_packet_goes_to_untagged_when_the_runtime_has_not_said_what_is_connected()
    {
        using var bench = new StageBench();
        var i = bench.Add(TestPackets.Ipv4Frame());
        var context = bench.Context("vlan-pop", connectedGates: null);

        bench.Run(new VlanPop(), context);

        StageBench.AssertGate(context, i, Untagged);
    }

    [Fact]
    public void Untagged_packet_passes_on_out_when_untagged_is_not_connected()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame();
        var i = bench.Add(frame);
        var before = bench.Slot(i);
        var context = bench.Context("vlan-pop", connectedGates: [true, false]);

        bench.Run(new VlanPop(), context);

        StageBench.AssertGate(context, i, GateId.Out);
        Assert.Equal(before, bench.Slot(i));
        Assert.Equal(frame, bench.Data(i));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(13)]
    public void Packet_shorter_than_an_Ethernet_header_is_dropped_as_malformed(int length)
    {
        using var bench = new StageBench();
        var tagged = TestPackets.Tagged(TestPackets.Ipv4Frame(), 0x8100, 9);
        var i = bench.Add(tagged.AsSpan(0, length));
        var before = bench.Slot(i);
        var context = bench.Context("vlan-pop");

        bench.Run(new VlanPop(), context);

        StageBench.AssertDropped(context, i, DropReason.Malformed);
        Assert.Equal(before, bench.Slot(i));
    }

    [Theory]
    [InlineData(14)]
    [InlineData(17)]
    public void Tag_cut_short_is_dropped_as_malformed_and_left_alone(int length)
    {
        using var bench = new StageBench();
        var tagged = TestPackets.Tagged(TestPackets.Ipv4Frame(), 0x8100, 9);
        var i = bench.Add(tagged.AsSpan(0, length));
        var before = bench.Slot(i);
        var context = bench.Context("vlan-pop");

        bench.Run(new VlanPop(), context);

        StageBench.AssertDropped(context, i, DropReason.Malformed);
        Assert.Equal(before, bench.Slot(i));
        Assert.Equal(tagged[..length], bench.Data(i));
    }

    [Fact]
    public void Bare_18_byte_tagged_header_is_popped_to_14_bytes()
    {
        using var bench = new StageBench();
        var header = TestPackets.Ipv4Frame()[..TestPackets.EthernetLength];
        var i = bench.Add(TestPackets.Tagged(header, 0x8100, 1));
        var context = bench.Context("vlan-pop");

        bench.Run(new VlanPop(), context);

        StageBench.AssertGate(context, i, GateId.Out);
        Assert.Equal(header, bench.Data(i));
    }

    [Fact]
    public void Multi_slot_packet_is_popped_in_its_first_slot_only()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame(payloadLength: 16);
        var tagged = TestPackets.Tagged(frame, 0x8100, 5);
        var first = bench.Add(tagged.AsSpan(0, 30), flags: SlotFlags.MoreFrag);
        var rest = bench.Add(tagged.AsSpan(30)); // untagged-looking and short: only the first slot counts
        var restBefore = bench.Slot(rest);
        var context = bench.Context("vlan-pop", connectedGates: [true, true]);

        bench.Run(new VlanPop(), context);

        StageBench.AssertGate(context, first, GateId.Out);
        Assert.Equal(frame[..26], bench.Data(first));
        StageBench.AssertGate(context, rest, GateId.Out);
        Assert.Equal(restBefore, bench.Slot(rest));
        Assert.Equal(tagged[30..], bench.Data(rest));
    }

    [Fact]
    public void Steady_state_allocates_nothing()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame();
        var tagged = TestPackets.Tagged(frame, 0x8100, 100);
        var stage = new VlanPop();
        var context = bench.Context("vlan-pop", connectedGates: [true, true]);

        Assert.Equal(0, SteadyState.BytesPerBatch(() => OneBatch(bench, stage, context, frame, tagged)));

        // 30 tagged packets, one untagged (to the untagged gate), one dropped as malformed.
        static void OneBatch(StageBench bench, VlanPop stage, StageContext context, byte[] frame, byte[] tagged)
        {
            bench.Recycle();
            for (var i = 0; i < 30; i++)
            {
                bench.Add(tagged);
            }

            bench.Add(frame);
            bench.Add(frame.AsSpan(0, 10));
            bench.Run(stage, context);
        }
    }
}
