using Microsoft.Extensions.Time.Testing;
using Netmap.Io.Rings;
using Pipeline.Config;
using Pipeline.Stages;
using Stages.Standard;

namespace Stages.Tests.Standard;

public sealed class RateLimitTests
{
    [Fact]
    public void A_full_bucket_passes_the_burst_then_refills_at_the_packet_rate()
    {
        using var bench = new StageBench();
        var clock = new FakeTimeProvider();
        var frame = TestPackets.Ipv4Frame();
        var stage = new RateLimit(new RateLimitOptions(pps: 1000) { Burst = 5 });
        var context = ShapingKit.Context(bench, "rate-limit", clock);

        Assert.Equal([true, true, true, true, true, false, false, false], Run(bench, stage, context, frame, 8));
        Assert.Equal(frame, bench.Data(0));
        Assert.Equal(frame, bench.Data(7));

        // 2 ms: two tokens.
        clock.Advance(TimeSpan.FromMilliseconds(2));
        Assert.Equal([true, true, false, false], Run(bench, stage, context, frame, 4));

        // 1.5 ms: one and a half; the half stays for later.
        clock.Advance(TimeSpan.FromMicroseconds(1500));
        Assert.Equal([true, false], Run(bench, stage, context, frame, 2));
        clock.Advance(TimeSpan.FromMicroseconds(500));
        Assert.Equal([true, false], Run(bench, stage, context, frame, 2));

        // A long pause fills the bucket to its burst, no more.
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal([true, true, true, true, true, false], Run(bench, stage, context, frame, 6));
    }

    [Fact]
    public void A_bit_rate_bucket_counts_every_byte_of_the_frame()
    {
        using var bench = new StageBench();
        var clock = new FakeTimeProvider();
        var frame = TestPackets.Ipv4Frame(payloadLength: 466); // 500 bytes
        var stage = new RateLimit(new RateLimitOptions(bps: 8000) { Burst = 1500 }); // 1000 bytes per second
        var context = ShapingKit.Context(bench, "rate-limit", clock);

        Assert.Equal([true, true, true, false], Run(bench, stage, context, frame, 4));

        clock.Advance(TimeSpan.FromMilliseconds(499)); // 499 bytes: not enough
        Assert.Equal([false], Run(bench, stage, context, frame, 1));
        clock.Advance(TimeSpan.FromMilliseconds(1)); // 500
        Assert.Equal([true, false], Run(bench, stage, context, frame, 2));
    }

    [Fact]
    public void A_packet_larger_than_the_burst_never_passes()
    {
        using var bench = new StageBench();
        var clock = new FakeTimeProvider();
        var stage = new RateLimit(new RateLimitOptions(bps: 8_000_000) { Burst = 1000 });
        var context = ShapingKit.Context(bench, "rate-limit", clock);

        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal([false, true], Run(bench, stage, context, [TestPackets.Ipv4Frame(payloadLength: 967), TestPackets.Ipv4Frame(payloadLength: 966)]));
    }

    [Fact]
    public void The_rate_is_exact_over_time_whatever_the_fraction_per_tick()
    {
        using var bench = new StageBench(capacity: 64);
        var clock = new FakeTimeProvider();
        var frame = TestPackets.Ipv4Frame();
        var stage = new RateLimit(new RateLimitOptions(pps: 3) { Burst = 2 });
        var context = ShapingKit.Context(bench, "rate-limit", clock);
        Run(bench, stage, context, frame, 2); // empties the bucket

        // One batch every 100 ms (0.3 of a token) for 10 s: 3 packets per second pass, 30 in all, the last at 10 s sharp.
        var passed = 0;
        for (var n = 0; n < 100; n++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(100));
            passed += Run(bench, stage, context, frame, 2).Count(p => p);
        }

        Assert.Equal(30, passed);
    }

    [Fact]
    public void A_multi_slot_packet_costs_the_bytes_of_all_its_slots()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame(payloadLength: 766); // 800 bytes
        var first = bench.Add(frame.AsSpan(0, 500), flags: SlotFlags.MoreFrag);
        bench.Add(frame.AsSpan(500));
        var second = bench.Add(frame.AsSpan(0, 500), flags: SlotFlags.MoreFrag);
        bench.Add(frame.AsSpan(500));
        var context = ShapingKit.Context(bench, "rate-limit", new FakeTimeProvider());

        bench.Run(new RateLimit(new RateLimitOptions(bps: 8000) { Burst = 1000 }), context);

        StageBench.AssertGate(context, first, GateId.Out);
        StageBench.AssertDropped(context, second, DropReason.Rate);
    }

    [Theory]
    [InlineData(1000L, null, 100L)]
    [InlineData(5L, null, 1L)]
    [InlineData(null, 8_000_000L, 100_000L)]
    [InlineData(null, 8000L, 1518L)]
    public void Burst_defaults_to_a_tenth_of_a_second(long? pps, long? bps, long burst) =>
        Assert.Equal(burst, new RateLimitOptions(pps, bps).EffectiveBurst);

    [Theory]
    [InlineData(null, null, "pps", "rate-limit needs exactly one of 'pps' (packets per second) or 'bps' (bits per second)")]
    [InlineData(10L, 10L, "bps", "rate-limit needs exactly one of 'pps' (packets per second) or 'bps' (bits per second)")]
    [InlineData(0L, null, "pps", "pps must be from 1 to 1000000000, found 0")]
    [InlineData(null, -5L, "bps", "bps must be from 1 to 10000000000000 (bits per second), found -5")]
    public void A_bad_rate_throws_naming_the_key(long? pps, long? bps, string key, string message)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => new RateLimitOptions(pps, bps));

        Assert.Equal(key, ex.ParamName);
        Assert.Equal($"{message} (Parameter '{key}')", ex.Message);
    }

    [Fact]
    public void A_burst_of_zero_throws_naming_the_key()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new RateLimitOptions(pps: 10) { Burst = 0 });

        Assert.Equal("burst", ex.ParamName);
    }

    [Fact]
    public void YAML_keys_bind_to_the_options()
    {
        var registry = BuiltInStages.CreateRegistry();
        var bits = PipelineLoader.Parse(ShapingKit.Pipeline("{ type: rate-limit, bps: 10000000, burst: 15000 }"), "p.yaml", registry);
        var packets = PipelineLoader.Parse(ShapingKit.Pipeline("{ type: rate-limit, pps: 1000 }"), "p.yaml", registry);

        var stage = Assert.Single(bits.Stages);
        Assert.Equal(typeof(RateLimit), stage.Descriptor.StageType);
        Assert.Equal(new RateLimitOptions(bps: 10_000_000) { Burst = 15000 }, stage.Options);
        Assert.Equal(new RateLimitOptions(pps: 1000), Assert.Single(packets.Stages).Options);
    }

    [Theory]
    [InlineData("{ type: rate-limit, pps: 10, burst: 0 }", "p.yaml:5:35: invalid 'burst': burst must be from 1 to 1000000000, found 0")]
    [InlineData("{ type: rate-limit, burst: 10 }", "p.yaml:5:3: invalid options for stage 's': rate-limit needs exactly one of 'pps' (packets per second) or 'bps' (bits per second)")]
    [InlineData("{ type: rate-limit, pps: 10, bps: 10 }", "p.yaml:5:3: invalid options for stage 's': rate-limit needs exactly one of 'pps' (packets per second) or 'bps' (bits per second)")]
    [InlineData("{ type: rate-limit, pps: fast }", "p.yaml:5:31: 'pps' must be an integer from -9223372036854775808 to 9223372036854775807, found 'fast'")]
    public void Bad_YAML_value_is_reported(string stage, string error)
    {
        Assert.False(PipelineLoader.TryParse(ShapingKit.Pipeline(stage), "p.yaml", BuiltInStages.CreateRegistry(), out _, out var errors));

        Assert.Equal(error, Assert.Single(errors).ToString());
    }

    [Fact]
    public void Steady_state_allocates_nothing()
    {
        using var bench = new StageBench();
        var clock = new FakeTimeProvider();
        var frame = TestPackets.Ipv4Frame();
        var stage = new RateLimit(new RateLimitOptions(bps: 100_000_000));
        var context = ShapingKit.Context(bench, "rate-limit", clock);

        var allocated = ShapingKit.AllocatedInSteadyState(() =>
        {
            bench.Recycle();
            for (var i = 0; i < 32; i++)
            {
                bench.Add(frame);
            }

            bench.Run(stage, context);
            clock.Advance(TimeSpan.FromMicroseconds(20));
        });

        Assert.Equal(0, allocated);
    }

    // A fresh batch of `count` copies of `frame` through the stage: which passed.
    private static bool[] Run(StageBench bench, RateLimit stage, StageContext context, byte[] frame, int count) =>
        Run(bench, stage, context, Enumerable.Repeat(frame, count).ToArray());

    private static bool[] Run(StageBench bench, RateLimit stage, StageContext context, byte[][] frames)
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
                Assert.Equal(DropReason.Rate, context.ReasonOf(i));
            }
        }

        return passed;
    }
}
