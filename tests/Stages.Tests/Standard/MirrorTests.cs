using Netmap.Io.Rings;
using Pipeline.Config;
using Pipeline.Stages;
using Stages.Standard;

namespace Stages.Tests.Standard;

public sealed class MirrorTests
{
    private static readonly GateId Copy = new(1);

    [Fact]
    public void Every_packet_goes_on_untouched_and_a_copy_is_asked_for_on_copy()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame();
        for (var i = 0; i < 5; i++)
        {
            bench.Add(frame);
        }

        var before = bench.Slot(2);
        var bufferBefore = bench.Buffer(2);
        var stage = new Mirror();
        var context = bench.Context("mirror", connectedGates: [true, true]);

        bench.Run(stage, context);

        Assert.Equal([(0, (ushort)1), (1, (ushort)1), (2, (ushort)1), (3, (ushort)1), (4, (ushort)1)], context.Copies.ToArray());
        Assert.All(Enumerable.Range(0, 5), i => StageBench.AssertGate(context, i, GateId.Out));
        Assert.Equal(before, bench.Slot(2));
        Assert.Equal(bufferBefore, bench.Buffer(2));
        Assert.Equal(0, stage.SkippedCopies);
    }

    [Fact]
    public void Without_a_pipe_on_copy_no_copy_is_made()
    {
        using var bench = new StageBench();
        bench.Add(TestPackets.Ipv4Frame());
        var context = bench.Context("mirror", connectedGates: [true, false]);

        bench.Run(new Mirror(), context);

        Assert.True(context.Copies.IsEmpty);
        StageBench.AssertGate(context, 0, GateId.Out);
    }

    [Fact]
    public void A_multi_slot_packet_is_copied_once_from_its_first_slot()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame(payloadLength: 100);
        bench.Add(frame.AsSpan(0, 50), flags: SlotFlags.MoreFrag);
        bench.Add(frame.AsSpan(50));
        bench.Add(frame);
        var context = bench.Context("mirror", connectedGates: [true, true]);

        bench.Run(new Mirror(), context);

        Assert.Equal([(0, (ushort)1), (2, (ushort)1)], context.Copies.ToArray());
    }

    [Fact]
    public void With_no_free_buffer_the_copy_is_skipped_and_counted_never_the_original()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame();
        bench.Add(frame);
        bench.Add(frame);
        var taken = new List<uint>();
        while (bench.Arena.FreeCount > 0)
        {
            taken.Add(bench.Arena.Alloc(bench.Pool.Owner));
        }

        var stage = new Mirror();
        var context = bench.Context("mirror", connectedGates: [true, true]);
        try
        {
            bench.Run(stage, context);
        }
        finally
        {
            foreach (var index in taken)
            {
                bench.Arena.Free(index, bench.Pool.Owner);
            }
        }

        Assert.True(context.Copies.IsEmpty);
        StageBench.AssertGate(context, 0, GateId.Out);
        StageBench.AssertGate(context, 1, GateId.Out);
        Assert.Equal(2, stage.SkippedCopies);
        Assert.Equal(frame, bench.Data(1));
    }

    [Fact]
    public void YAML_declares_the_copy_gate_and_takes_no_keys()
    {
        var registry = BuiltInStages.CreateRegistry();
        var definition = PipelineLoader.Parse(ShapingKit.Pipeline("{ type: mirror }", "s.copy -> drop"), "p.yaml", registry);

        var stage = Assert.Single(definition.Stages);
        Assert.Equal(typeof(Mirror), stage.Descriptor.StageType);
        Assert.Equal(["out", "copy"], stage.Descriptor.Gates);
        Assert.False(PipelineLoader.TryParse(ShapingKit.Pipeline("{ type: mirror, every: 2 }"), "p.yaml", registry, out _, out var errors));
        Assert.Equal("p.yaml:5:22: stage type 'mirror' takes no parameters", Assert.Single(errors).ToString());
    }

    [Fact]
    public void Steady_state_allocates_nothing()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame();
        var stage = new Mirror();
        var context = bench.Context("mirror", connectedGates: [true, true]);

        var allocated = ShapingKit.AllocatedInSteadyState(() =>
        {
            bench.Recycle();
            for (var i = 0; i < 32; i++)
            {
                bench.Add(frame);
            }

            bench.Run(stage, context);
        });

        Assert.Equal(0, allocated);
        Assert.Equal(0, stage.SkippedCopies);
    }
}
