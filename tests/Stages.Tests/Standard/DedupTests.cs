using Microsoft.Extensions.Time.Testing;
using Netmap.Io.Rings;
using Pipeline.Config;
using Pipeline.Stages;
using Stages.Standard;

namespace Stages.Tests.Standard;

public sealed class DedupTests
{
    [Fact]
    public void An_identical_packet_is_dropped_and_different_ones_pass_unchanged()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame(payloadLength: 200);
        var changed = (byte[])frame.Clone();
        changed[150] ^= 0x01; // one bit, in the middle
        var prefix = frame[..^1]; // the same bytes, one shorter
        bench.Add(frame);
        bench.Add(changed);
        bench.Add(frame);
        bench.Add(prefix);
        bench.Add(changed);
        var before = bench.Slot(0);
        var bufferBefore = bench.Buffer(0);
        var context = ShapingKit.Context(bench, "dedup", new FakeTimeProvider());

        bench.Run(new Dedup(new DedupOptions()), context);

        StageBench.AssertGate(context, 0, GateId.Out);
        StageBench.AssertGate(context, 1, GateId.Out);
        StageBench.AssertDropped(context, 2, DropReason.Duplicate);
        StageBench.AssertGate(context, 3, GateId.Out);
        StageBench.AssertDropped(context, 4, DropReason.Duplicate);
        Assert.Equal(before, bench.Slot(0));
        Assert.Equal(bufferBefore, bench.Buffer(0));
        Assert.Equal(changed, bench.Data(1));
    }

    [Fact]
    public void A_copy_is_a_duplicate_only_within_the_window_of_the_first()
    {
        using var bench = new StageBench();
        var clock = new FakeTimeProvider();
        var frame = TestPackets.Ipv4Frame();
        var stage = new Dedup(new DedupOptions { Window = "50us" });
        var context = ShapingKit.Context(bench, "dedup", clock);

        Assert.Equal([true], Run(bench, stage, context, frame));
        clock.Advance(TimeSpan.FromMicroseconds(40));
        Assert.Equal([false], Run(bench, stage, context, frame)); // not remembered: the first copy's time counts
        clock.Advance(TimeSpan.FromMicroseconds(10));
        Assert.Equal([false], Run(bench, stage, context, frame)); // 50 us: still within
        clock.Advance(TimeSpan.FromTicks(1));
        Assert.Equal([true], Run(bench, stage, context, frame)); // past the window: new, remembered now
        clock.Advance(TimeSpan.FromMicroseconds(30));
        Assert.Equal([false], Run(bench, stage, context, frame));
    }

    [Fact]
    public void Only_the_last_max_packets_are_remembered()
    {
        using var bench = new StageBench();
        var frames = Enumerable.Range(0, 5).Select(n => TestPackets.Ipv4Frame(payloadLength: 10 + n)).ToArray();
        var stage = new Dedup(new DedupOptions { Max = 3, Window = "1s" });
        var context = ShapingKit.Context(bench, "dedup", new FakeTimeProvider());

        // A B C D: A is pushed out; then D (remembered) and A (forgotten, so new again, pushing B out), then B.
        Assert.Equal(
            [true, true, true, true, false, true, true, false],
            Run(bench, stage, context, frames[0], frames[1], frames[2], frames[3], frames[3], frames[0], frames[1], frames[0]));
    }

    [Fact]
    public void A_multi_slot_packet_matches_a_copy_cut_the_same_way()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame(payloadLength: 300);
        var other = (byte[])frame.Clone();
        other[^1] ^= 0xFF; // differs in its last slot only
        var a = bench.Add(frame.AsSpan(0, 101), flags: SlotFlags.MoreFrag);
        bench.Add(frame.AsSpan(101));
        var b = bench.Add(other.AsSpan(0, 101), flags: SlotFlags.MoreFrag);
        bench.Add(other.AsSpan(101));
        var c = bench.Add(frame.AsSpan(0, 101), flags: SlotFlags.MoreFrag);
        var cRest = bench.Add(frame.AsSpan(101));
        var context = ShapingKit.Context(bench, "dedup", new FakeTimeProvider());

        bench.Run(new Dedup(new DedupOptions()), context);

        StageBench.AssertGate(context, a, GateId.Out);
        StageBench.AssertGate(context, b, GateId.Out);
        StageBench.AssertDropped(context, c, DropReason.Duplicate);
        Assert.Equal(GateId.Out.Index, context.Verdicts(cRest + 1)[cRest]); // the first slot's verdict holds for the packet
    }

    [Fact]
    public void A_multi_slot_packet_longer_than_a_buffer_is_remembered_whole()
    {
        using var bench = new StageBench(bufferSize: 256);
        var frame = TestPackets.Ipv4Frame(payloadLength: 400); // 434 bytes in two 256-byte buffers
        var other = (byte[])frame.Clone();
        other[^2] ^= 0x10;
        bench.Add(frame.AsSpan(0, 200), headroom: 0, flags: SlotFlags.MoreFrag);
        bench.Add(frame.AsSpan(200), headroom: 0);
        bench.Add(other.AsSpan(0, 200), headroom: 0, flags: SlotFlags.MoreFrag);
        bench.Add(other.AsSpan(200), headroom: 0);
        bench.Add(frame.AsSpan(0, 200), headroom: 0, flags: SlotFlags.MoreFrag);
        bench.Add(frame.AsSpan(200), headroom: 0);
        var context = ShapingKit.Context(bench, "dedup", new FakeTimeProvider());

        bench.Run(new Dedup(new DedupOptions()), context);

        StageBench.AssertGate(context, 0, GateId.Out);
        StageBench.AssertGate(context, 2, GateId.Out);
        StageBench.AssertDropped(context, 4, DropReason.Duplicate);
    }

    [Fact]
    public void Empty_packets_are_duplicates_of_each_other()
    {
        using var bench = new StageBench();
        bench.Add([]);
        bench.Add([]);
        var context = ShapingKit.Context(bench, "dedup", new FakeTimeProvider());

        bench.Run(new Dedup(new DedupOptions()), context);

        StageBench.AssertGate(context, 0, GateId.Out);
        StageBench.AssertDropped(context, 1, DropReason.Duplicate);
    }

    [Theory]
    [InlineData("window", "window must be longer than 0, found '0'")]
    [InlineData("max", "max must be from 1 to 1024 packets, found 0")]
    public void Bad_option_throws_naming_the_key(string key, string message)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => key == "window" ? new DedupOptions { Window = "0" } : new DedupOptions { Max = 0 });

        Assert.Equal(key, ex.ParamName);
        Assert.Equal($"{message} (Parameter '{key}')", ex.Message);
    }

    [Fact]
    public void Options_default_to_netmaps_50us_and_10_packets()
    {
        var options = new DedupOptions();

        Assert.Equal(50_000, options.WindowNanoseconds);
        Assert.Equal(10, options.Max);
    }

    [Fact]
    public void YAML_keys_bind_to_the_options()
    {
        var definition = PipelineLoader.Parse(ShapingKit.Pipeline("{ type: dedup, window: 100us, max: 32 }"), "p.yaml", BuiltInStages.CreateRegistry());

        var stage = Assert.Single(definition.Stages);
        Assert.Equal(typeof(Dedup), stage.Descriptor.StageType);
        var options = Assert.IsType<DedupOptions>(stage.Options);
        Assert.Equal(new DedupOptions { Window = "100us", Max = 32 }, options);
        Assert.Equal(100_000, options.WindowNanoseconds);
    }

    [Theory]
    [InlineData("{ type: dedup, max: 5000 }", "p.yaml:5:21: invalid 'max': max must be from 1 to 1024 packets, found 5000")]
    [InlineData("{ type: dedup, window: 50 }", "p.yaml:5:21: invalid 'window': window must be a duration such as 10ms (units ns, us, ms, s), found '50'")]
    public void Bad_YAML_value_is_reported_at_its_key(string stage, string error)
    {
        Assert.False(PipelineLoader.TryParse(ShapingKit.Pipeline(stage), "p.yaml", BuiltInStages.CreateRegistry(), out _, out var errors));

        Assert.Equal(error, Assert.Single(errors).ToString());
    }

    [Fact]
    public void Steady_state_allocates_nothing()
    {
        using var bench = new StageBench();
        var clock = new FakeTimeProvider();
        var frames = Enumerable.Range(0, 8).Select(n => TestPackets.Ipv4Frame(payloadLength: 100 + n)).ToArray();
        var stage = new Dedup(new DedupOptions { Max = 16 });
        var context = ShapingKit.Context(bench, "dedup", clock);

        var allocated = ShapingKit.AllocatedInSteadyState(() =>
        {
            bench.Recycle();
            for (var i = 0; i < 32; i++)
            {
                bench.Add(frames[i % frames.Length]); // 8 new, 24 duplicates
            }

            bench.Run(stage, context);
            clock.Advance(TimeSpan.FromMicroseconds(100));
        });

        Assert.Equal(0, allocated);
    }

    private static bool[] Run(StageBench bench, Dedup stage, StageContext context, params byte[][] frames)
    {
        bench.Recycle();
        foreach (var frame in frames)
        {
            bench.Add(frame);
        }

        bench.Run(stage, context);
        var passed = new bool[frames.Length];
        for (var i = 0; i < frames.Length; i++)
        {
            passed[i] = !ShapingKit.IsDropped(context, i);
            if (!passed[i])
            {
                Assert.Equal(DropReason.Duplicate, context.ReasonOf(i));
            }
        }

        return passed;
    }
}
