using System.Diagnostics;
using Netmap.Io;
using Pipeline.Config;
using Pipeline.Runtime;

namespace Pipeline.Tests.Runtime;

/// <summary>
/// Ports woken by their port's notifications (issue 8): with the poll interval at ten minutes, only a pipe end's
/// notification (its peer sent packets, or released slots) can make an actor port or a <c>sync: notify</c> thread
/// look at its rings in time. A trickle of single packets each arrives well within a bound far below the
/// interval; a burst larger than the rings needs the TX-room notifications too; the stop is clean.
/// </summary>
public sealed class PortNotificationTests : PipelineTestBase
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMinutes(10);

    /// <summary>Far below the poll interval, generous for a loaded 2-core machine: only a wake-up meets it.</summary>
    private static readonly TimeSpan PerPacketBound = TimeSpan.FromSeconds(10);

    public static TheoryData<string, PortThreading> Drivers() => new()
    {
        { "actor ports", PortThreading.Actor },
        { "sync: notify threads", PortThreading.Dedicated },
    };

    [Theory]
    [MemberData(nameof(Drivers))]
    public async Task A_trickle_of_single_packets_is_delivered_one_by_one_without_waiting_for_the_poll_timer(string name, PortThreading threading)
    {
        _ = name;
        var runtime = StartNotified("tr", threading);
        var tx = OpenEnd("netmap:tr{0");
        var rx = OpenEnd("netmap:tr}1");
        var packets = Enumerable.Range(0, 40).Select(i => Packet(60 + i, i)).ToList();

        var slowest = TimeSpan.Zero;
        var received = new List<byte[]>();
        foreach (var packet in packets)
        {
            // One packet at a time, sent only once the one before arrived: the ports are idle (their last look
            // found nothing) every time a packet comes, so a look that is not woken would wait ten minutes.
            var watch = Stopwatch.StartNew();
            Assert.True(tx.Inject(packet) > 0);
            tx.TxSync();
            var got = Receive(rx, 1, PerPacketBound);
            watch.Stop();
            Assert.True(got.Count == 1, $"packet {received.Count} did not arrive within {PerPacketBound.TotalSeconds} s (poll interval {PollInterval.TotalMinutes} min)");
            received.Add(got[0].Data);
            slowest = watch.Elapsed > slowest ? watch.Elapsed : slowest;
        }

        await runtime.StopAsync(Timeout);

        Assert.Equal(packets, received);
        Assert.True(slowest < PerPacketBound, $"the slowest packet took {slowest}");
        Assert.Equal(packets.Count, runtime.CountersOf("wan").InPackets);
        Assert.Equal(packets.Count, runtime.CountersOf("lan").OutPackets);
        Assert.Equal(0, runtime.CountersOf("wan").TotalDrops + runtime.CountersOf("lan").TotalDrops);
        AssertStoppedCleanly(runtime);
    }

    [Theory]
    [MemberData(nameof(Drivers))]
    public async Task More_packets_than_the_rings_hold_get_through_on_notifications_alone(string name, PortThreading threading)
    {
        _ = name;
        var runtime = StartNotified("bk", threading);
        var tx = OpenEnd("netmap:bk{0");
        var rx = OpenEnd("netmap:bk}1");
        var ringSlots = (int)tx.TxRing.NumSlots;
        // Several times what the rings hold: the source must be woken as the sender refills its RX ring, and
        // the sink as the reader frees room in its full TX ring (room no batch or credit announces).
        var packets = Enumerable.Range(0, 6 * ringSlots).Select(i => Packet(64 + (i % 200), i)).ToList();

        var receiving = Task.Run(() => Receive(rx, packets.Count, Timeout));
        SendAll(tx, packets, Timeout);
        var received = await receiving;
        await runtime.StopAsync(Timeout);

        Assert.Equal(packets, received.Select(r => r.Data));
        Assert.Equal(packets.Count, runtime.CountersOf("lan").OutPackets);
        Assert.Equal(0, runtime.CountersOf("wan").TotalDrops + runtime.CountersOf("lan").TotalDrops);
        AssertStoppedCleanly(runtime);
    }

    [Fact]
    public async Task A_stop_with_packets_waiting_in_a_notified_pipeline_frees_every_buffer()
    {
        var runtime = StartNotified("st", PortThreading.Actor);
        var tx = OpenEnd("netmap:st{0");
        _ = OpenEnd("netmap:st}1"); // bound, never read: the sink's TX ring fills and the rest waits in the pipeline
        var capacity = (int)tx.TxRing.NumSlots - 1; // a ring holds one slot less than it has
        var total = capacity + 100; // more than the sink's TX ring holds: the rest waits in the pipeline
        for (var i = 0; i < total; i++)
        {
            var deadline = DateTime.UtcNow + Timeout;
            while (tx.Inject(Packet(64, i)) == 0)
            {
                tx.TxSync(); // full: hand over, and take back what the pipeline's source released
                Assert.True(DateTime.UtcNow < deadline, "the pipeline did not take the packets in time");
                await Task.Delay(1);
            }
        }

        tx.TxSync();
        var wan = runtime.CountersOf("wan");
        var until = DateTime.UtcNow + Timeout;
        while (wan.InPackets < total && DateTime.UtcNow < until)
        {
            await Task.Delay(1);
        }

        await runtime.StopAsync(TimeSpan.FromMilliseconds(200));

        Assert.Equal(total, wan.InPackets);
        var lan = runtime.CountersOf("lan");
        var dropped = runtime.Counters.Sum(c => c.TotalDrops);
        Assert.True(lan.OutPackets <= capacity, $"{lan.OutPackets} packets placed in a ring of {capacity}");
        Assert.True(dropped >= total - capacity, $"{dropped} dropped at the stop, {total - capacity} could not fit");
        Assert.Equal(total, lan.OutPackets + dropped);
        AssertStoppedCleanly(runtime);
    }

    [Fact]
    public void Sync_notify_on_a_port_that_raises_no_notifications_fails_the_start_and_leaves_nothing_open()
    {
        var definition = Define([("wan", "null:nn"), ("lan", "netmap:nn{1")], [("a", "pass", null)], "wan -> a -> lan");
        definition = definition with
        {
            Ports = [definition.Ports[0] with { Threading = PortThreading.Dedicated, Sync = PortSyncMode.Notify }, definition.Ports[1]],
        };
        var before = Domain.OpenHandles;

        var error = Assert.Throws<NetmapException>(() => PipelineRuntime.Start(Sys, definition, new PipelineRuntimeOptions { Domain = Domain, Checked = true, Registry = Registry }));

        Assert.Equal(NetmapError.EOPNOTSUPP, error.Code);
        Assert.Contains("port 'wan' has 'sync: notify' but raises no notifications", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Domain.OpenHandles);
        CloseAndAudit();
    }

    private PipelineRuntime StartNotified(string pipe, PortThreading threading)
    {
        var definition = Define([("wan", $"netmap:{pipe}}}0"), ("lan", $"netmap:{pipe}{{1")], [("a", "pass", null)], "wan -> a -> lan");
        if (threading == PortThreading.Dedicated)
        {
            definition = definition with
            {
                Ports = [.. definition.Ports.Select(p => p with { Threading = PortThreading.Dedicated, Sync = PortSyncMode.Notify })],
            };
        }

        return PipelineRuntime.Start(Sys, definition, new PipelineRuntimeOptions { Domain = Domain, Checked = true, Registry = Registry, PollInterval = PollInterval });
    }

    private void AssertStoppedCleanly(PipelineRuntime runtime)
    {
        Assert.All(runtime.SyncThreads, t => Assert.False(t.IsAlive, $"{t.Name} still runs after the stop"));
        Assert.Empty(runtime.PortFaults);
        Assert.Equal(0, runtime.Pool.Rented);
        CloseAndAudit();
    }
}
