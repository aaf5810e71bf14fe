using Microsoft.Extensions.Time.Testing;
using Pipeline.Stages;

namespace Pipeline.Tests.Runtime;

public sealed class DelayAndCopyTests : PipelineTestBase
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Delayed_packets_leave_only_when_the_clock_says_so_and_in_order()
    {
        var clock = new FakeTimeProvider();
        var definition = Define(
            [("wan", "netmap:dl}0"), ("lan", "netmap:dl{1")],
            [("delay", "delay", new DelayOptions { DelayMs = 100 })],
            "wan -> delay -> lan");
        var runtime = Start(definition, clock);
        var tx = OpenEnd("netmap:dl{0");
        var rx = OpenEnd("netmap:dl}1");
        var packets = Enumerable.Range(0, 50).Select(i => Packet(70, i)).ToList();

        SendAll(tx, packets, Timeout);
        await AwaitConditionAsync(() => Task.FromResult(runtime.CountersOf("delay").InPackets == 50), Timeout);
        Assert.Empty(Receive(rx, 1, TimeSpan.FromMilliseconds(200))); // the clock has not moved

        clock.Advance(TimeSpan.FromMilliseconds(99));
        Assert.Empty(Receive(rx, 1, TimeSpan.FromMilliseconds(100)));

        clock.Advance(TimeSpan.FromMilliseconds(1));
        var received = Receive(rx, packets.Count, Timeout);
        Assert.Equal(packets, received.Select(r => r.Data));

        await runtime.StopAsync(Timeout);
        Assert.Equal(50, runtime.CountersOf("delay").OutPackets);
        CloseAndAudit();
    }

    [Fact]
    public async Task Packets_still_delayed_when_the_pipeline_stops_are_freed_and_counted()
    {
        var definition = Define(
            [("wan", "netmap:ds}0"), ("lan", "netmap:ds{1")],
            [("delay", "delay", new DelayOptions { DelayMs = 3_600_000 })],
            "wan -> delay -> lan");
        var runtime = Start(definition);
        var tx = OpenEnd("netmap:ds{0");
        OpenEnd("netmap:ds}1");
        SendAll(tx, Enumerable.Range(0, 10).Select(i => Packet(64, i)), Timeout);
        await AwaitConditionAsync(() => Task.FromResult(runtime.CountersOf("delay").InPackets == 10), Timeout);

        await runtime.StopAsync(TimeSpan.FromMilliseconds(100));

        Assert.Equal(10, runtime.CountersOf("delay").Drops(DropReason.Shutdown));
        CloseAndAudit();
    }

    [Fact]
    public async Task A_copy_goes_to_its_gate_in_new_buffers_and_the_original_goes_on_untouched()
    {
        var definition = Define(
            [("wan", "netmap:cp}0"), ("lan", "netmap:cp{1"), ("tap", "netmap:cp{2")],
            [("mirror", "mirror-test", null)],
            "wan -> mirror -> lan",
            "mirror.copy -> tap");
        var runtime = Start(definition);
        var tx = OpenEnd("netmap:cp{0");
        var rx = OpenEnd("netmap:cp}1");
        var tapRx = OpenEnd("netmap:cp}2");
        var packets = Enumerable.Range(0, 40).Select(i => Packet(90, i)).ToList();

        var sentIn = SendAll(tx, packets, Timeout);
        var originals = Receive(rx, packets.Count, Timeout);
        var copies = Receive(tapRx, packets.Count, Timeout);
        await runtime.StopAsync(Timeout);

        Assert.Equal(packets, originals.Select(r => r.Data));
        Assert.Equal(sentIn, originals.Select(r => r.BufIdx)); // the originals kept their buffers
        Assert.Equal(packets, copies.Select(r => r.Data));
        Assert.Empty(copies.Select(r => r.BufIdx).Intersect(sentIn)); // the copies did not
        Assert.Equal(80, runtime.CountersOf("mirror").OutPackets);
        CloseAndAudit();
    }

    [Fact]
    public async Task A_finite_input_is_not_finished_while_a_stage_still_holds_delayed_packets()
    {
        var input = Path.Combine(AppContext.BaseDirectory, "Samples", "mixed.pcap");
        var output = Path.Combine(Path.GetTempPath(), $"delay-{Guid.NewGuid():N}.pcap");
        var definition = Define(
            [("wan", "pcap:" + input), ("lan", "pcap-out:" + output)],
            [("delay", "delay", new DelayOptions { DelayMs = 300 })],
            "wan -> delay -> lan");
        var runtime = Start(definition);
        try
        {
            using (var timeout = new CancellationTokenSource(Timeout))
            {
                await runtime.WaitForInputEndAsync(timeout.Token);
            }

            // Finished only once the delayed packets have left: all 28 reached the sink, none was cut short.
            Assert.Equal(28, runtime.CountersOf("lan").OutPackets);
            await runtime.StopAsync(Timeout);
            Assert.Equal(0, runtime.CountersOf("delay").TotalDrops);
        }
        finally
        {
            File.Delete(output);
        }

        CloseAndAudit();
    }
}
