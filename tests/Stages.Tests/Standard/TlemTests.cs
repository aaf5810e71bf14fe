using Microsoft.Extensions.Time.Testing;
using Netmap.Io.Rings;
using Pipeline.Config;
using Pipeline.Stages;
using Stages.Standard;

namespace Stages.Tests.Standard;

public sealed class TlemTests
{
    // FakeTimeProvider's timestamps are TimeSpan ticks: 10 per microsecond.
    private const long TicksPerMicrosecond = 10;
    private const long TicksPerMillisecond = 10_000;

    // rate 8m: one byte per microsecond.
    private const long TicksPerByteAt8Mbit = TicksPerMicrosecond;

    [Fact]
    public void Every_packet_is_held_for_the_delay_and_left_unchanged()
    {
        using var bench = new StageBench();
        var clock = new FakeTimeProvider();
        var frame = TestPackets.Ipv4Frame();
        bench.Add(frame);
        bench.Add(frame);
        bench.Add(frame);
        var before = bench.Slot(1);
        var context = ShapingKit.Context(bench, "tlem", clock);
        var now = clock.GetTimestamp();

        bench.Run(new Tlem(new TlemOptions { Delay = "10ms" }), context);

        for (var i = 0; i < 3; i++)
        {
            Assert.True(ShapingKit.IsDelayed(context, i));
            Assert.Equal(ShapingKit.ReleaseAt(now, 10 * TicksPerMillisecond), context.ReleaseAt(i));
            Assert.Equal(frame, bench.Data(i));
        }

        Assert.Equal(before, bench.Slot(1));
    }

    [Fact]
    public void A_rate_serializes_packets_one_behind_the_other_then_adds_the_delay()
    {
        using var bench = new StageBench();
        var clock = new FakeTimeProvider();
        var frame = TestPackets.Ipv4Frame(payloadLength: 66); // 100 bytes: 100 us at 8 Mbit/s
        for (var i = 0; i < 3; i++)
        {
            bench.Add(frame);
        }

        var stage = new Tlem(new TlemOptions { Delay = "1ms", Rate = "8m" });
        var context = ShapingKit.Context(bench, "tlem", clock);
        var start = clock.GetTimestamp();

        bench.Run(stage, context);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(ShapingKit.ReleaseAt(start, ((i + 1) * 100 * TicksPerByteAt8Mbit) + TicksPerMillisecond), context.ReleaseAt(i));
        }

        // 150 us later the link is still busy with the third packet (until 300 us): the next one queues behind it.
        clock.Advance(TimeSpan.FromMicroseconds(150));
        bench.Recycle();
        bench.Add(frame);
        bench.Run(stage, context);
        Assert.Equal(ShapingKit.ReleaseAt(start, (400 * TicksPerByteAt8Mbit) + TicksPerMillisecond), context.ReleaseAt(0));

        // After the link went idle, a packet takes only its own serialization.
        clock.Advance(TimeSpan.FromMilliseconds(5));
        var idle = clock.GetTimestamp();
        bench.Recycle();
        bench.Add(frame);
        bench.Run(stage, context);
        Assert.Equal(ShapingKit.ReleaseAt(idle, (100 * TicksPerByteAt8Mbit) + TicksPerMillisecond), context.ReleaseAt(0));
    }

    [Fact]
    public void Serialization_carries_its_fraction_so_the_rate_is_exact_over_time()
    {
        using var bench = new StageBench();
        var clock = new FakeTimeProvider();
        var frame = TestPackets.Ipv4Frame(payloadLength: 0); // 34 bytes = 272 bits
        for (var i = 0; i < 3; i++)
        {
            bench.Add(frame);
        }

        var context = ShapingKit.Context(bench, "tlem", clock);
        var start = clock.GetTimestamp();

        // 3 bits/s: each packet takes 90.666... s; three take 272 s exactly.
        bench.Run(new Tlem(new TlemOptions { Rate = "3", MaxQueue = "1m" }), context);

        Assert.Equal(ShapingKit.ReleaseAt(start, 906_666_666), context.ReleaseAt(0));
        Assert.Equal(ShapingKit.ReleaseAt(start, 1_813_333_333), context.ReleaseAt(1));
        Assert.Equal(ShapingKit.ReleaseAt(start, 272 * TimeSpan.TicksPerSecond), context.ReleaseAt(2));
    }

    [Fact]
    public void A_multi_slot_packet_is_held_whole_and_serialized_with_the_bytes_of_all_its_slots()
    {
        using var bench = new StageBench();
        var clock = new FakeTimeProvider();
        var frame = TestPackets.Ipv4Frame(payloadLength: 166); // 200 bytes
        var first = bench.Add(frame.AsSpan(0, 120), flags: SlotFlags.MoreFrag);
        bench.Add(frame.AsSpan(120));
        var next = bench.Add(frame);
        var context = ShapingKit.Context(bench, "tlem", clock);
        var start = clock.GetTimestamp();

        bench.Run(new Tlem(new TlemOptions { Rate = "8m" }), context);

        Assert.True(ShapingKit.IsDelayed(context, first));
        Assert.Equal(ShapingKit.ReleaseAt(start, 200 * TicksPerByteAt8Mbit), context.ReleaseAt(first));
        Assert.True(ShapingKit.IsDelayed(context, next));
        Assert.Equal(ShapingKit.ReleaseAt(start, 400 * TicksPerByteAt8Mbit), context.ReleaseAt(next));
    }

    [Fact]
    public void Jitter_stays_within_its_bounds_never_reorders_and_repeats_with_the_seed()
    {
        var first = Departures(new TlemOptions { Delay = "10ms", Jitter = "2ms", Seed = 7 }, out var start);
        var again = Departures(new TlemOptions { Delay = "10ms", Jitter = "2ms", Seed = 7 }, out var startAgain);
        var other = Departures(new TlemOptions { Delay = "10ms", Jitter = "2ms", Seed = 8 }, out _);

        Assert.Equal(first.Select(d => d - start), again.Select(d => d - startAgain));
        Assert.NotEqual(first.Select(d => d - start), other.Select(d => d - start));
        Assert.All(first, d => Assert.InRange(d - start, 8 * TicksPerMillisecond, 12 * TicksPerMillisecond));
        Assert.Equal(first.Order(), first);
        Assert.True(first.Distinct().Count() > 1, "the jitter varied nothing");
    }

    [Fact]
    public void Jitter_larger_than_the_delay_never_goes_below_zero_nor_reorders()
    {
        var departures = Departures(new TlemOptions { Delay = "1ms", Jitter = "5ms", Seed = 3 }, out var start);

        Assert.All(departures, d => Assert.InRange(d - start, 0, 6 * TicksPerMillisecond));
        Assert.Equal(departures.Order(), departures);
    }

    [Fact]
    public void Loss_drops_exactly_the_packets_the_seeded_draws_pick()
    {
        using var bench = new StageBench();
        var clock = new FakeTimeProvider();
        var frame = TestPackets.Ipv4Frame();
        var stage = new Tlem(new TlemOptions { Delay = "1ms", Loss = 0.1, Seed = 42 });
        var context = ShapingKit.Context(bench, "tlem", clock);
        var oracle = new Random(42); // the documented draws: one NextDouble per packet, in order
        var lost = 0;

        for (var round = 0; round < 32; round++)
        {
            bench.Recycle();
            for (var i = 0; i < 32; i++)
            {
                bench.Add(frame);
            }

            bench.Run(stage, context);
            for (var i = 0; i < 32; i++)
            {
                if (oracle.NextDouble() < 0.1)
                {
                    StageBench.AssertDropped(context, i, DropReason.Loss);
                    lost++;
                }
                else
                {
                    Assert.True(ShapingKit.IsDelayed(context, i));
                }
            }
        }

        Assert.Equal(115, lost); // of 1024, for seed 42
    }

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(1.0, 32)]
    public void Loss_of_zero_loses_nothing_and_loss_of_one_loses_everything(double loss, int expected)
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame();
        for (var i = 0; i < 32; i++)
        {
            bench.Add(frame);
        }

        var context = ShapingKit.Context(bench, "tlem", new FakeTimeProvider());
        bench.Run(new Tlem(new TlemOptions { Delay = "1ms", Loss = loss }), context);

        Assert.Equal(expected, Enumerable.Range(0, 32).Count(i => ShapingKit.IsDropped(context, i)));
        Assert.All(Enumerable.Range(0, 32).Where(i => ShapingKit.IsDropped(context, i)), i => Assert.Equal(DropReason.Loss, context.ReasonOf(i)));
    }

    [Fact]
    public void Without_delay_or_rate_the_packets_that_are_not_lost_pass_at_once()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame();
        for (var i = 0; i < 32; i++)
        {
            bench.Add(frame);
        }

        var context = ShapingKit.Context(bench, "tlem", new FakeTimeProvider());
        bench.Run(new Tlem(new TlemOptions { Loss = 0.5, Seed = 5 }), context);

        var oracle = new Random(5);
        for (var i = 0; i < 32; i++)
        {
            if (oracle.NextDouble() < 0.5)
            {
                StageBench.AssertDropped(context, i, DropReason.Loss);
            }
            else
            {
                StageBench.AssertGate(context, i, GateId.Out);
            }
        }
    }

    [Fact]
    public void A_packet_that_does_not_fit_the_queue_is_dropped_and_takes_no_link_time()
    {
        using var bench = new StageBench();
        var clock = new FakeTimeProvider();
        var frame = TestPackets.Ipv4Frame(payloadLength: 66); // 100 bytes
        for (var i = 0; i < 5; i++)
        {
            bench.Add(frame);
        }

        var stage = new Tlem(new TlemOptions { Rate = "8m", MaxQueue = "250" });
        var context = ShapingKit.Context(bench, "tlem", clock);
        var start = clock.GetTimestamp();

        bench.Run(stage, context);

        // The first finds the link idle; the second waits behind 100 bytes (200 with its own: fits 250); the
        // third would make 300.
        Assert.True(ShapingKit.IsDelayed(context, 0));
        Assert.True(ShapingKit.IsDelayed(context, 1));
        for (var i = 2; i < 5; i++)
        {
            StageBench.AssertDropped(context, i, DropReason.QueueFull);
        }

        // 150 us later 50 bytes wait: two more packets fit (150 then 250 bytes), the third does not.
        clock.Advance(TimeSpan.FromMicroseconds(150));
        bench.Recycle();
        for (var i = 0; i < 3; i++)
        {
            bench.Add(frame);
        }

        bench.Run(stage, context);
        var now = clock.GetTimestamp();
        Assert.Equal(ShapingKit.ReleaseAt(now, 150 * TicksPerByteAt8Mbit), context.ReleaseAt(0)); // at 300 us
        Assert.Equal(ShapingKit.ReleaseAt(now, 250 * TicksPerByteAt8Mbit), context.ReleaseAt(1)); // at 400 us
        StageBench.AssertDropped(context, 2, DropReason.QueueFull);
    }

    [Fact]
    public void With_a_rate_the_queue_defaults_to_50000_bytes()
    {
        using var bench = new StageBench(capacity: 64);
        var frame = TestPackets.Ipv4Frame(payloadLength: 966); // 1000 bytes
        for (var i = 0; i < 64; i++)
        {
            bench.Add(frame);
        }

        var context = ShapingKit.Context(bench, "tlem", new FakeTimeProvider());
        bench.Run(new Tlem(new TlemOptions { Rate = "1m" }), context);

        // The first on the idle link, then 49 more until 50000 bytes wait.
        Assert.All(Enumerable.Range(0, 50), i => Assert.True(ShapingKit.IsDelayed(context, i)));
        Assert.All(Enumerable.Range(50, 14), i => StageBench.AssertDropped(context, i, DropReason.QueueFull));
    }

    [Fact]
    public void With_no_queue_a_packet_passes_only_while_the_link_is_idle()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame();
        bench.Add(frame);
        bench.Add(frame);
        var context = ShapingKit.Context(bench, "tlem", new FakeTimeProvider());

        bench.Run(new Tlem(new TlemOptions { Rate = "1g", MaxQueue = "0" }), context);

        Assert.True(ShapingKit.IsDelayed(context, 0));
        StageBench.AssertDropped(context, 1, DropReason.QueueFull);
    }

    [Fact]
    public void Without_a_rate_max_queue_bounds_the_bytes_held_in_the_delay_line()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame(payloadLength: 66); // 100 bytes
        for (var i = 0; i < 3; i++)
        {
            bench.Add(frame);
        }

        var context = ShapingKit.Context(bench, "tlem", new FakeTimeProvider());
        context.DelayedBytes = 1000; // held from earlier batches

        bench.Run(new Tlem(new TlemOptions { Delay = "1ms", MaxQueue = "1.1k" }), context);

        Assert.True(ShapingKit.IsDelayed(context, 0));
        StageBench.AssertDropped(context, 1, DropReason.QueueFull);
        StageBench.AssertDropped(context, 2, DropReason.QueueFull);
    }

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("0ms", 0L)]
    [InlineData("500ns", 500L)]
    [InlineData("50us", 50_000L)]
    [InlineData("2.5us", 2_500L)]
    [InlineData("10ms", 10_000_000L)]
    [InlineData("1.5s", 1_500_000_000L)]
    [InlineData(" 3 ms ", 3_000_000L)]
    public void Durations_take_ns_us_ms_and_s(string text, long nanoseconds)
    {
        Assert.Equal(nanoseconds, new TlemOptions { Delay = text }.DelayNanoseconds);
        Assert.Equal(nanoseconds, new TlemOptions { Jitter = text }.JitterNanoseconds);
    }

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("64000", 64_000L)]
    [InlineData("64k", 64_000L)]
    [InlineData("100m", 100_000_000L)]
    [InlineData("100mbit", 100_000_000L)]
    [InlineData("100Mbps", 100_000_000L)]
    [InlineData("1g", 1_000_000_000L)]
    [InlineData("2.5gbit", 2_500_000_000L)]
    public void Rates_are_bits_per_second_with_k_m_g(string text, long bitsPerSecond) =>
        Assert.Equal(bitsPerSecond, new TlemOptions { Rate = text }.RateBitsPerSecond);

    [Theory]
    [InlineData("50000", 50_000L)]
    [InlineData("50k", 50_000L)]
    [InlineData("50kb", 50_000L)]
    [InlineData("2m", 2_000_000L)]
    [InlineData("0", 0L)]
    public void Queue_sizes_are_bytes_with_k_m(string text, long bytes) =>
        Assert.Equal(bytes, new TlemOptions { MaxQueue = text }.MaxQueueBytes);

    [Theory]
    [InlineData("delay", "10", "delay must be a duration such as 10ms (units ns, us, ms, s), found '10'")]
    [InlineData("delay", "-1ms", "delay must be a duration such as 10ms (units ns, us, ms, s), found '-1ms'")]
    [InlineData("jitter", "2 minutes", "jitter must be a duration such as 10ms (units ns, us, ms, s), found '2 minutes'")]
    [InlineData("rate", "50kpps", "rate must be a rate in bits per second such as 100m or 1gbit (k, m, g: x1000), found '50kpps'")]
    [InlineData("rate", "fast", "rate must be a rate in bits per second such as 100m or 1gbit (k, m, g: x1000), found 'fast'")]
    [InlineData("max-queue", "1t", "max-queue must be a size in bytes such as 50000 or 50k (k, m, g: x1000), found '1t'")]
    [InlineData("loss", "1.5", "loss must be a probability from 0 to 1, found 1.5")]
    public void Bad_option_throws_naming_the_key(string key, string value, string message)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => key switch
        {
            "delay" => new TlemOptions { Delay = value },
            "jitter" => new TlemOptions { Jitter = value },
            "rate" => new TlemOptions { Rate = value },
            "max-queue" => new TlemOptions { MaxQueue = value },
            _ => new TlemOptions { Loss = double.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
        });

        Assert.Equal(key, ex.ParamName);
        Assert.Equal($"{message} (Parameter '{key}')", ex.Message);
    }

    [Fact]
    public void Options_default_to_a_perfect_link_with_seed_1()
    {
        var options = new TlemOptions();

        Assert.Equal(0, options.DelayNanoseconds);
        Assert.Equal(0, options.JitterNanoseconds);
        Assert.Equal(0, options.Loss);
        Assert.Equal(0, options.RateBitsPerSecond);
        Assert.Null(options.MaxQueueBytes);
        Assert.Equal(1, options.Seed);
    }

    [Fact]
    public void YAML_keys_bind_to_the_options()
    {
        var definition = PipelineLoader.Parse(
            ShapingKit.Pipeline("{ type: tlem, delay: 10ms, jitter: 2ms, loss: 0.01, rate: 100m, max-queue: 50k, seed: 9 }"),
            "p.yaml",
            BuiltInStages.CreateRegistry());

        var stage = Assert.Single(definition.Stages);
        Assert.Equal(typeof(Tlem), stage.Descriptor.StageType);
        var options = Assert.IsType<TlemOptions>(stage.Options);
        Assert.Equal(new TlemOptions { Delay = "10ms", Jitter = "2ms", Loss = 0.01, Rate = "100m", MaxQueue = "50k", Seed = 9 }, options);
        Assert.Equal(10_000_000, options.DelayNanoseconds);
        Assert.Equal(2_000_000, options.JitterNanoseconds);
        Assert.Equal(100_000_000, options.RateBitsPerSecond);
        Assert.Equal(50_000, options.MaxQueueBytes);
    }

    [Theory]
    [InlineData("{ type: tlem, delay: 10 }", "p.yaml:5:20: invalid 'delay': delay must be a duration such as 10ms (units ns, us, ms, s), found '10'")]
    [InlineData("{ type: tlem, loss: 2 }", "p.yaml:5:20: invalid 'loss': loss must be a probability from 0 to 1, found 2")]
    [InlineData("{ type: tlem, rate: 10kpps }", "p.yaml:5:20: invalid 'rate': rate must be a rate in bits per second such as 100m or 1gbit (k, m, g: x1000), found '10kpps'")]
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
        var frame = TestPackets.Ipv4Frame();
        var stage = new Tlem(new TlemOptions { Delay = "1ms", Jitter = "100us", Loss = 0.05, Rate = "1g", MaxQueue = "10k" });
        var context = ShapingKit.Context(bench, "tlem", clock);

        var allocated = ShapingKit.AllocatedInSteadyState(() =>
        {
            bench.Recycle();
            for (var i = 0; i < 32; i++)
            {
                bench.Add(frame);
            }

            bench.Run(stage, context);
            clock.Advance(TimeSpan.FromMicroseconds(10));
        });

        Assert.Equal(0, allocated);
    }

    // The departures of 32 packets sent at once through a fresh stage.
    private static List<long> Departures(TlemOptions options, out long start)
    {
        using var bench = new StageBench();
        var clock = new FakeTimeProvider();
        var frame = TestPackets.Ipv4Frame();
        for (var i = 0; i < 32; i++)
        {
            bench.Add(frame);
        }

        var context = ShapingKit.Context(bench, "tlem", clock);
        start = clock.GetTimestamp();
        bench.Run(new Tlem(options), context);
        return [.. Enumerable.Range(0, 32).Select(context.ReleaseAt)];
    }
}
