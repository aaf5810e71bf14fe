using Netmap.Io.Rings;
using Pipeline.Config;
using Pipeline.Stages;
using Stages.Standard;

namespace Stages.Tests.Standard;

public sealed class DropTests
{
    [Fact]
    public void Every_packet_is_dropped_as_discarded_by_default_and_left_alone()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame();
        bench.Add(frame);
        bench.Add(frame);
        var before = bench.Slot(1);
        var context = bench.Context("drop");

        bench.Run(new Drop(new DropOptions()), context);

        StageBench.AssertDropped(context, 0, DropReason.Discarded);
        StageBench.AssertDropped(context, 1, DropReason.Discarded);
        Assert.Equal(before, bench.Slot(1));
        Assert.Equal(frame, bench.Data(1));
    }

    [Theory]
    [InlineData(DropReason.Filtered)]
    [InlineData(DropReason.TtlExceeded)]
    [InlineData(DropReason.SampledOut)]
    public void Packets_are_dropped_with_the_reason_given(DropReason reason)
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame();
        var first = bench.Add(frame.AsSpan(0, 30), flags: SlotFlags.MoreFrag);
        var rest = bench.Add(frame.AsSpan(30));
        var context = bench.Context("drop");

        bench.Run(new Drop(new DropOptions { Reason = reason }), context);

        StageBench.AssertDropped(context, first, reason);
        Assert.Equal(GateId.Out.Index, context.Verdicts(rest + 1)[rest]); // the first slot's verdict holds for the packet
    }

    [Fact]
    public void An_undefined_reason_throws_naming_the_key()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new DropOptions { Reason = (DropReason)99 });

        Assert.Equal("reason", ex.ParamName);
    }

    [Theory]
    [InlineData("{ type: drop }", DropReason.Discarded)]
    [InlineData("{ type: drop, reason: filtered }", DropReason.Filtered)]
    [InlineData("{ type: drop, reason: ttl-exceeded }", DropReason.TtlExceeded)]
    public void YAML_reason_binds_by_its_counter_name(string stage, DropReason reason)
    {
        var definition = PipelineLoader.Parse(ShapingKit.Pipeline(stage), "p.yaml", BuiltInStages.CreateRegistry());

        var bound = Assert.Single(definition.Stages);
        Assert.Equal(typeof(Drop), bound.Descriptor.StageType);
        Assert.Equal(reason, ((DropOptions?)bound.Options ?? new DropOptions()).Reason);
    }

    [Fact]
    public void Bad_YAML_reason_is_reported_at_its_value()
    {
        Assert.False(PipelineLoader.TryParse(ShapingKit.Pipeline("{ type: drop, reason: boredom }"), "p.yaml", BuiltInStages.CreateRegistry(), out _, out var errors));

        var error = Assert.Single(errors).ToString();
        Assert.StartsWith("p.yaml:5:28: 'reason' must be one of [filtered, malformed, no-route,", error);
        Assert.EndsWith("sampled-out], found 'boredom'", error);
    }

    [Fact]
    public void Steady_state_allocates_nothing()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame();
        var stage = new Drop(new DropOptions { Reason = DropReason.Filtered });
        var context = bench.Context("drop");

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
    }
}
