using Akka.Actor;
using Netmap.Io.Files;
using Pipeline.Config;
using Pipeline.Runtime;
using Pipeline.Stages;

namespace Pipeline.Tests.Runtime;

/// <summary>
/// <c>thread: dedicated</c> ports: a thread of the port's own, named after it, runs the port's sync loop
/// (syncs, RX drained into batches sent straight downstream, TX filled from the batches posted to it). The
/// same credit windows and overflow rules as an actor port; a clean stop (thread joined, buffers back, handles
/// closed); a fault that is reported instead of killing the thread silently.
/// </summary>
public sealed class DedicatedThreadTests : PipelineTestBase
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static TheoryData<PortSyncMode?, PortSyncMode?> Placements() => new()
    {
        { PortSyncMode.Sleep, PortSyncMode.Sleep },
        { PortSyncMode.BusyPoll, PortSyncMode.BusyPoll },
        { PortSyncMode.Sleep, null },
        { null, PortSyncMode.BusyPoll },
    };

    [Theory]
    [MemberData(nameof(Placements))]
    public async Task Dedicated_pipe_ports_deliver_every_packet_in_order_through_the_stages(PortSyncMode? source, PortSyncMode? sink)
    {
        var definition = Dedicated(
            Define(
                [("wan", "netmap:dt}0"), ("lan", "netmap:dt{1")],
                [("push", "push4", new PushOptions()), ("pop", "pop4", new PushOptions())],
                "wan -> push -> pop -> lan"),
            ("wan", source),
            ("lan", sink));
        var runtime = Start(definition);
        var tx = OpenEnd("netmap:dt{0");
        var rx = OpenEnd("netmap:dt}1");
        var packets = Enumerable.Range(0, 5000).Select(i => Packet(60 + (i % 1400), i)).ToList();

        var receiving = Task.Run(() => Receive(rx, packets.Count, Timeout));
        var sentIn = SendAll(tx, packets, Timeout);
        var received = await receiving;
        var threads = runtime.SyncThreads.ToList();
        var alive = threads.Select(t => (t.Name, t.IsAlive)).ToList();
        await runtime.StopAsync(Timeout);

        Assert.Equal(packets, received.Select(r => r.Data));
        Assert.Equal(sentIn, received.Select(r => r.BufIdx)); // zero-copy end to end: the thread moves slots, not bytes
        var expectedNames = new[] { ("wan", source), ("lan", sink) }.Where(p => p.Item2 is not null).Select(p => "port:" + p.Item1);
        Assert.Equal(expectedNames, alive.Select(a => a.Name));
        Assert.All(alive, a => Assert.True(a.IsAlive, $"{a.Name} was not running"));
        Assert.All(threads, t => Assert.False(t.IsAlive, $"{t.Name} still runs after the stop"));
        Assert.Equal(5000, runtime.CountersOf("wan").InPackets);
        Assert.Equal(5000, runtime.CountersOf("lan").OutPackets);
        Assert.Equal(packets.Sum(p => (long)p.Length), runtime.CountersOf("lan").OutBytes);
        Assert.Equal(0, runtime.CountersOf("wan").TotalDrops + runtime.CountersOf("lan").TotalDrops);
        Assert.Empty(runtime.PortFaults);
        Assert.Equal(0, runtime.Pool.Rented);
        CloseAndAudit();
    }

    [Fact]
    public async Task A_sleeping_port_thread_is_woken_by_what_the_pipeline_sends_it_not_by_its_interval()
    {
        // The interval is ten minutes, so only the batches (and credits) posted to the threads can wake them in
        // time: the sink by each batch, the busy-polling source by nothing at all. Fewer packets than the sink's
        // ring holds: room made by the far end's reader is not posted (it is seen at the next pass).
        var definition = Dedicated(
            Define([("wan", "netmap:wk}0"), ("lan", "netmap:wk{1")], [("a", "pass", null)], "wan -> a -> lan"),
            ("wan", PortSyncMode.BusyPoll),
            ("lan", PortSyncMode.Sleep));
        var runtime = PipelineRuntime.Start(Sys, definition, new PipelineRuntimeOptions { Domain = Domain, Checked = true, Registry = Registry, PollInterval = TimeSpan.FromMinutes(10) });
        var tx = OpenEnd("netmap:wk{0");
        var rx = OpenEnd("netmap:wk}1");
        var packets = Enumerable.Range(0, 1000).Select(i => Packet(64, i)).ToList();

        var receiving = Task.Run(() => Receive(rx, packets.Count, Timeout));
        SendAll(tx, packets, Timeout);
        var received = await receiving;
        await runtime.StopAsync(Timeout);

        Assert.Equal(packets, received.Select(r => r.Data));
        Assert.All(runtime.SyncThreads, t => Assert.False(t.IsAlive));
        CloseAndAudit();
    }

    [Fact]
    public async Task A_pcap_source_and_a_pcap_out_sink_on_dedicated_threads_copy_the_capture_and_end_by_themselves()
    {
        var directory = Directory.CreateTempSubdirectory("pipeline-dedicated-");
        try
        {
            var input = Path.Combine(AppContext.BaseDirectory, "Samples", "mixed.pcap");
            var output = Path.Combine(directory.FullName, "out.pcap");
            var runtime = Start(PipelineLoader.Parse($$"""
                name: dedicated-files
                ports:
                  wan: { spec: "pcap:{{input}}", thread: dedicated }
                  lan: { spec: "pcap-out:{{output}}", thread: dedicated, sync: busy-poll }
                stages:
                  a: { type: pass }
                pipes:
                  - wan -> a -> lan
                """, "files.yaml", Registry));

            using (var cancellation = new CancellationTokenSource(Timeout))
            {
                await runtime.WaitForInputEndAsync(cancellation.Token);
            }

            await runtime.StopAsync(Timeout);

            var expected = ReadAll(input);
            Assert.Equal(expected, ReadAll(output));
            Assert.Equal(expected.Count, runtime.CountersOf("wan").InPackets);
            Assert.Equal(expected.Count, runtime.CountersOf("lan").OutPackets);
            Assert.All(runtime.SyncThreads, t => Assert.False(t.IsAlive));
            Assert.Equal(0, Domain.OpenHandles);
            CloseAndAudit();
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Without_drop_overflow_a_dedicated_source_before_a_slow_stage_waits_and_loses_nothing()
    {
        var definition = Dedicated(
            Define([("wan", "netmap:dw}0"), ("lan", "netmap:dw{1")], [("slow", "slow", new SlowOptions { DelayMs = 2 })], "wan -> slow -> lan"),
            ("wan", PortSyncMode.Sleep),
            ("lan", PortSyncMode.Sleep));
        var runtime = Start(definition);
        var tx = OpenEnd("netmap:dw{0");
        var rx = OpenEnd("netmap:dw}1");
        var packets = Enumerable.Range(0, 3000).Select(i => Packet(64, i)).ToList();
        var maxRented = 0;
        var maxBuffers = 0;
        var receiving = Task.Run(() => Receive(rx, packets.Count, Timeout));
        var sampling = Task.Run(async () =>
        {
            while (!receiving.IsCompleted)
            {
                maxRented = Math.Max(maxRented, runtime.Pool.Rented);
                maxBuffers = Math.Max(maxBuffers, Domain.DefaultArena.InUse);
                await Task.Delay(1);
            }
        });

        SendAll(tx, packets, Timeout);
        var received = await receiving;
        await sampling;
        await runtime.StopAsync(Timeout);

        Assert.Equal(packets, received.Select(r => r.Data));
        Assert.Equal(0, runtime.CountersOf("wan").TotalDrops);
        // Two pipes of 4 batches each, plus the one being filled or placed: memory does not grow with the load.
        Assert.InRange(maxRented, 0, (2 * 4) + 2);
        Assert.InRange(maxBuffers, 0, (4 * 1024) + (((2 * 4) + 2) * 256));
        CloseAndAudit();
    }

    [Fact]
    public async Task With_drop_overflow_a_dedicated_source_counts_every_packet_the_slow_stage_cannot_take()
    {
        var definition = Dedicated(
            Define([("wan", "netmap:dd}0"), ("lan", "netmap:dd{1")], [("slow", "slow", new SlowOptions { DelayMs = 10 })], "wan -> slow -> lan"),
            ("wan", PortSyncMode.BusyPoll),
            ("lan", PortSyncMode.Sleep));
        definition = definition with { Ports = [definition.Ports[0] with { Overflow = PortOverflow.Drop }, definition.Ports[1]] };
        var runtime = Start(definition);
        var tx = OpenEnd("netmap:dd{0");
        var rx = OpenEnd("netmap:dd}1");
        const int sent = 20_000;
        var wan = runtime.CountersOf("wan");
        var received = 0;
        var maxRented = 0;
        var receiving = Task.Run(() =>
        {
            // Read until every packet the port took has arrived (the rest were dropped at the port).
            var deadline = DateTime.UtcNow + Timeout;
            while (DateTime.UtcNow < deadline && (wan.InPackets + wan.Drops(DropReason.Overflow) < sent || received < wan.InPackets))
            {
                received += Receive(rx, int.MaxValue, TimeSpan.FromMilliseconds(20)).Count;
            }
        });

        // The sender never waits: the port keeps its ring moving by dropping what the pipeline cannot take.
        var packet = Packet(64, 1);
        for (var i = 0; i < sent; i++)
        {
            while (tx.Inject(packet) == 0)
            {
                tx.TxSync();
                Thread.Yield();
            }

            if ((i & 63) == 0)
            {
                tx.TxSync();
                maxRented = Math.Max(maxRented, runtime.Pool.Rented);
            }
        }

        tx.TxSync();
        await receiving;
        await runtime.StopAsync(Timeout);

        Assert.True(wan.Drops(DropReason.Overflow) > 0, "the slow stage should have made the source drop");
        Assert.Equal(sent, wan.InPackets + wan.Drops(DropReason.Overflow)); // every packet is delivered or counted
        Assert.Equal(wan.InPackets, runtime.CountersOf("lan").OutPackets);
        Assert.Equal(wan.InPackets, received);
        Assert.InRange(maxRented, 0, (2 * 4) + 2);
        CloseAndAudit();
    }

    [Fact]
    public async Task Stopping_with_a_full_TX_ring_ends_the_thread_and_frees_what_could_not_be_sent()
    {
        // Nobody reads the far end of lan: its ring fills, the rest waits in the thread's queue, and the stop
        // frees it (shutdown drops) instead of hanging.
        var definition = Dedicated(
            Define([("wan", "netmap:fs}0"), ("lan", "netmap:fs{1")], [("a", "pass", null)], "wan -> a -> lan"),
            ("wan", PortSyncMode.Sleep),
            ("lan", PortSyncMode.Sleep));
        var runtime = Start(definition);
        var tx = OpenEnd("netmap:fs{0");
        var rx = OpenEnd("netmap:fs}1");
        SendAll(tx, Enumerable.Range(0, 3000).Select(i => Packet(64, i)), Timeout);
        var lan = runtime.CountersOf("lan");
        var wan = runtime.CountersOf("wan");
        var a = runtime.CountersOf("a");
        var deadline = DateTime.UtcNow + Timeout;
        while (a.OutPackets <= 1023 || rx.RxRing.Space < 1023)
        {
            // The far end's ring is full (looked at, not read) and the stage has passed on more than it holds:
            // the rest waits at the port.
            Assert.True(DateTime.UtcNow < deadline, "the sink's ring did not fill");
            await Task.Delay(5);
            rx.RxSync();
        }

        await runtime.StopAsync(TimeSpan.FromMilliseconds(200));

        Assert.All(runtime.SyncThreads, t => Assert.False(t.IsAlive));
        Assert.Equal(1023, lan.OutPackets); // a ring of 1024 slots holds 1023 packets; they count as sent
        Assert.True(lan.Drops(DropReason.Shutdown) > 0, "the batches queued at the port should have been freed at the stop");
        Assert.Equal(wan.InPackets, lan.OutPackets + lan.Drops(DropReason.Shutdown) + a.Drops(DropReason.Shutdown)); // every packet counted
        Assert.Equal(0, runtime.Pool.Rented);
        CloseAndAudit();
    }

    [Fact]
    public async Task A_fault_on_a_port_thread_is_reported_and_what_reaches_the_port_afterwards_is_counted()
    {
        var definition = Dedicated(
            Define([("wan", "netmap:df}0"), ("lan", "netmap:df{1")], [("a", "pass", null)], "wan -> a -> lan"),
            ("wan", PortSyncMode.Sleep),
            ("lan", PortSyncMode.Sleep));
        var runtime = Start(definition);
        var tx = OpenEnd("netmap:df{0");
        var rx = OpenEnd("netmap:df}1");
        SendAll(tx, Enumerable.Range(0, 100).Select(i => Packet(64, i)), Timeout);
        Assert.Equal(100, Receive(rx, 100, Timeout).Count);
        var lanThread = runtime.SyncThreads.Single(t => t.Name == "port:lan");

        // A sender that breaks the ownership rule: it hands the port a batch it still holds. The port's thread
        // checks the claim (checked mode) and fails.
        await EventFilter.Error(contains: "port 'lan'").ExpectOneAsync(Timeout, () =>
        {
            var stolen = runtime.Pool.Rent(this, "test");
            stolen.Edge = 99;
            lanThread.Node.Self.Tell(stolen, ActorRefs.NoSender);
            return Task.CompletedTask;
        });

        var fault = Assert.Single(runtime.PortFaults);
        Assert.Equal("lan", fault.Port);
        Assert.IsType<OwnershipException>(fault.Error);
        Assert.True(lanThread.IsAlive, "a fault must not end the thread silently: it stays until the stop");
        Assert.Equal(1, runtime.CountersOf("lan").Faults);

        // The rest of the pipeline goes on; what reaches the failed port is freed and counted, never lost.
        SendAll(tx, Enumerable.Range(0, 500).Select(i => Packet(64, i)), Timeout);
        var lan = runtime.CountersOf("lan");
        var deadline = DateTime.UtcNow + Timeout;
        while (lan.Drops(DropReason.Fault) < 500)
        {
            Assert.True(DateTime.UtcNow < deadline, $"only {lan.Drops(DropReason.Fault)} of 500 packets were counted at the failed port");
            await Task.Delay(5);
        }

        await runtime.StopAsync(Timeout);

        Assert.False(lanThread.IsAlive);
        Assert.Equal(600, runtime.CountersOf("wan").InPackets);
        Assert.Equal(100, lan.OutPackets);
        Assert.Equal(500, lan.Drops(DropReason.Fault));
        Assert.Empty(ReceiveUntilQuiet(rx, TimeSpan.FromMilliseconds(50)));
        Assert.Equal(0, runtime.Pool.Rented);
        CloseAndAudit();
    }

    [Fact]
    public async Task A_pipeline_stopped_before_it_ran_a_pass_stops_its_threads_and_closes_its_ports()
    {
        var definition = Dedicated(
            Define([("wan", "netmap:ds}0"), ("lan", "netmap:ds{1")], [("a", "pass", null)], "wan -> a -> lan"),
            ("wan", PortSyncMode.BusyPoll),
            ("lan", PortSyncMode.Sleep));
        var before = Domain.OpenHandles;
        var runtime = Start(definition);
        await runtime.StopAsync(Timeout);

        Assert.All(runtime.SyncThreads, t => Assert.False(t.IsAlive));
        Assert.Equal(before, Domain.OpenHandles);
        CloseAndAudit();
    }

    /// <summary>The definition with the named ports on threads of their own (null: left to its actor).</summary>
    private static PipelineDefinition Dedicated(PipelineDefinition definition, params (string Port, PortSyncMode? Sync)[] ports)
    {
        var list = definition.Ports.ToList();
        foreach (var (name, sync) in ports)
        {
            var i = list.FindIndex(p => p.Name == name);
            if (sync is { } mode)
            {
                list[i] = list[i] with { Threading = PortThreading.Dedicated, Sync = mode };
            }
        }

        return definition with { Ports = list };
    }

    private static List<byte[]> ReadAll(string path)
    {
        using var reader = PcapFormat.OpenRead(path);
        var buffer = new byte[PcapFormat.MaxCapturedLength];
        var packets = new List<byte[]>();
        while (reader.TryReadPacket(buffer, out var info))
        {
            packets.Add(buffer[..info.Length]);
        }

        return packets;
    }
}
