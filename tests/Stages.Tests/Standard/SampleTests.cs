using Netmap.Io.Rings;
using Pipeline.Config;
using Pipeline.Stages;
using Stages.Standard;

namespace Stages.Tests.Standard;

public sealed class SampleTests
{
    private static readonly GateId Rest = new(1);

    [Fact]
    public void One_packet_in_every_n_passes_counting_across_batches_the_others_are_dropped()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame();
        for (var i = 0; i < 10; i++)
        {
            bench.Add(frame);
        }

        var before = bench.Slot(3);
        var stage = new Sample(new SampleOptions { Every = 3 });
        var context = bench.Context("sample", connectedGates: [true, false]);

        bench.Run(stage, context);

        for (var i = 0; i < 10; i++)
        {
            if (i % 3 == 0)
            {
                StageBench.AssertGate(context, i, GateId.Out);
            }
            else
            {
                StageBench.AssertDropped(context, i, DropReason.SampledOut);
            }
        }

        Assert.Equal(before, bench.Slot(3));
        Assert.Equal(frame, bench.Data(3));

        // 10 seen: the next picked is the 13th, the third of this batch.
        bench.Recycle();
        for (var i = 0; i < 4; i++)
        {
            bench.Add(frame);
        }

        bench.Run(stage, context);
        StageBench.AssertDropped(context, 0, DropReason.SampledOut);
        StageBench.AssertDropped(context, 1, DropReason.SampledOut);
        StageBench.AssertGate(context, 2, GateId.Out);
        StageBench.AssertDropped(context, 3, DropReason.SampledOut);
    }

    [Fact]
    public void The_others_leave_by_rest_when_it_is_connected()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame();
        for (var i = 0; i < 6; i++)
        {
            bench.Add(frame);
        }

        var context = bench.Context("sample", connectedGates: [true, true]);

        bench.Run(new Sample(new SampleOptions { Every = 2 }), context);

        for (var i = 0; i < 6; i++)
        {
            StageBench.AssertGate(context, i, i % 2 == 0 ? GateId.Out : Rest);
        }
    }

    [Fact]
    public void Every_1_passes_everything()
    {
        using var bench = new StageBench();
        for (var i = 0; i < 5; i++)
        {
            bench.Add(TestPackets.Ipv4Frame());
        }

        var context = bench.Context("sample", connectedGates: [true, false]);
        bench.Run(new Sample(new SampleOptions { Every = 1 }), context);

        Assert.All(Enumerable.Range(0, 5), i => StageBench.AssertGate(context, i, GateId.Out));
    }

    [Fact]
    public void A_multi_slot_packet_counts_once()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame(payloadLength: 100);
        var a = bench.Add(frame.AsSpan(0, 60), flags: SlotFlags.MoreFrag);
        bench.Add(frame.AsSpan(60));
        var b = bench.Add(frame.AsSpan(0, 60), flags: SlotFlags.MoreFrag);
        bench.Add(frame.AsSpan(60));
        var c = bench.Add(frame);
        var context = bench.Context("sample", connectedGates: [true, false]);

        bench.Run(new Sample(new SampleOptions { Every = 2 }), context);

        StageBench.AssertGate(context, a, GateId.Out);
        StageBench.AssertDropped(context, b, DropReason.SampledOut);
        StageBench.AssertGate(context, c, GateId.Out);
    }

    [Fact]
    public void Every_below_1_throws_naming_the_key()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new SampleOptions { Every = 0 });

        Assert.Equal("every", ex.ParamName);
        Assert.Equal("every must be 1 or more, found 0 (Parameter 'every')", ex.Message);
    }

    [Fact]
    public void YAML_keys_bind_to_the_options()
    {
        var definition = PipelineLoader.Parse(ShapingKit.Pipeline("{ type: sample, every: 100 }", "s.rest -> drop"), "p.yaml", BuiltInStages.CreateRegistry());

        var stage = Assert.Single(definition.Stages);
        Assert.Equal(typeof(Sample), stage.Descriptor.StageType);
        Assert.Equal(new SampleOptions { Every = 100 }, stage.Options);
    }

    [Theory]
    [InlineData("{ type: sample, every: 0 }", "p.yaml:5:22: invalid 'every': every must be 1 or more, found 0")]
    [InlineData("{ type: sample }", "p.yaml:5:3: stage 's' is missing required key 'every'")]
    public void Bad_YAML_value_is_reported(string stage, string error)
    {
        Assert.False(PipelineLoader.TryParse(ShapingKit.Pipeline(stage), "p.yaml", BuiltInStages.CreateRegistry(), out _, out var errors));

        Assert.Equal(error, Assert.Single(errors).ToString());
    }

    [Fact]
    public void Steady_state_allocates_nothing()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame();
        var stage = new Sample(new SampleOptions { Every = 7 });
        var dropping = bench.Context("sample", connectedGates: [true, false]);
        var diverting = bench.Context("sample", connectedGates: [true, true]);

        var allocated = ShapingKit.AllocatedInSteadyState(() =>
        {
            bench.Recycle();
            for (var i = 0; i < 32; i++)
            {
                bench.Add(frame);
            }

            bench.Run(stage, dropping);
            bench.Run(stage, diverting);
        });

        Assert.Equal(0, allocated);
    }
}
