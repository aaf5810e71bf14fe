using Microsoft.Extensions.Time.Testing;
using Pipeline.Stages;
using Stages.Standard;

namespace Pipeline.Tests.Runtime;

/// <summary>The built-in <c>tlem</c> stage through a real pipeline on a fake clock: the runtime holds its packets until the clock says so.</summary>
public sealed class TlemPipelineTests : PipelineTestBase
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    public TlemPipelineTests()
    {
        Registry.Register<Tlem>();
    }

    [Fact]
    public async Task Packets_arrive_only_after_the_clock_advanced_by_the_delay_and_in_order()
    {
        var clock = new FakeTimeProvider();
        var definition = Define(
            [("wan", "netmap:tl}0"), ("lan", "netmap:tl{1")],
            [("link", "tlem", new TlemOptions { Delay = "100ms" })],
            "wan -> link -> lan");
        var runtime = Start(definition, clock);
        var tx = OpenEnd("netmap:tl{0");
        var rx = OpenEnd("netmap:tl}1");
        var packets = Enumerable.Range(0, 40).Select(i => Packet(70, i)).ToList();

        SendAll(tx, packets, Timeout);
        await AwaitConditionAsync(() => Task.FromResult(runtime.CountersOf("link").InPackets == 40), Timeout);
        Assert.Empty(Receive(rx, 1, TimeSpan.FromMilliseconds(200))); // the clock has not moved

        clock.Advance(TimeSpan.FromMilliseconds(99));
        Assert.Empty(Receive(rx, 1, TimeSpan.FromMilliseconds(100)));

        clock.Advance(TimeSpan.FromMilliseconds(1));
        var received = Receive(rx, packets.Count, Timeout);
        Assert.Equal(packets, received.Select(r => r.Data));

        await runtime.StopAsync(Timeout);
        Assert.Equal(40, runtime.CountersOf("link").OutPackets);
        CloseAndAudit();
    }

    [Fact]
    public async Task A_rate_lets_packets_out_one_serialization_time_apart()
    {
        var clock = new FakeTimeProvider();
        var definition = Define(
            [("wan", "netmap:tr}0"), ("lan", "netmap:tr{1")],
            [("link", "tlem", new TlemOptions { Rate = "8m" })], // 1000 bytes: 1 ms
            "wan -> link -> lan");
        var runtime = Start(definition, clock);
        var tx = OpenEnd("netmap:tr{0");
        var rx = OpenEnd("netmap:tr}1");
        var packets = Enumerable.Range(0, 10).Select(i => Packet(1000, i)).ToList();

        SendAll(tx, packets, Timeout);
        await AwaitConditionAsync(() => Task.FromResult(runtime.CountersOf("link").InPackets == 10), Timeout);
        Assert.Empty(Receive(rx, 1, TimeSpan.FromMilliseconds(100)));

        clock.Advance(TimeSpan.FromMilliseconds(5));
        var first = Receive(rx, 5, Timeout);
        Assert.Empty(Receive(rx, 1, TimeSpan.FromMilliseconds(100))); // the sixth leaves at 6 ms

        clock.Advance(TimeSpan.FromMilliseconds(5));
        var rest = Receive(rx, 5, Timeout);
        Assert.Equal(packets, first.Concat(rest).Select(r => r.Data));

        await runtime.StopAsync(Timeout);
        CloseAndAudit();
    }

    [Fact]
    public async Task Seeded_loss_drops_the_same_packets_whatever_the_batches()
    {
        var clock = new FakeTimeProvider();
        var definition = Define(
            [("wan", "netmap:tx}0"), ("lan", "netmap:tx{1")],
            [("link", "tlem", new TlemOptions { Delay = "10ms", Loss = 0.3, Seed = 11 })],
            "wan -> link -> lan");
        var runtime = Start(definition, clock);
        var tx = OpenEnd("netmap:tx{0");
        var rx = OpenEnd("netmap:tx}1");
        var packets = Enumerable.Range(0, 200).Select(i => Packet(64, i)).ToList();
        var oracle = new Random(11); // one draw per packet, in order (no jitter)
        var kept = packets.Where(_ => oracle.NextDouble() >= 0.3).ToList();

        SendAll(tx, packets, Timeout);
        await AwaitConditionAsync(() => Task.FromResult(runtime.CountersOf("link").InPackets == 200), Timeout);
        clock.Advance(TimeSpan.FromMilliseconds(10));
        var received = Receive(rx, kept.Count, Timeout);

        Assert.Equal(kept, received.Select(r => r.Data));
        await runtime.StopAsync(Timeout);
        Assert.Equal(200 - kept.Count, runtime.CountersOf("link").Drops(DropReason.Loss));
        CloseAndAudit();
    }
}
