using System.Buffers.Binary;
using System.Collections.Concurrent;
using Pipeline.Runtime;
using Pipeline.Stages;

namespace Pipeline.Tests.Runtime;

/// <summary>
/// <see cref="PipelineRuntimeOptions.FuseStages"/>: stages joined by pipes run in one actor (an island), a batch
/// going from one to the next without a message. What a user sees must not change: every packet arrives in
/// order, counters and drops add up, a failing stage is restarted alone, backpressure still holds.
/// </summary>
public sealed class FusedStagesTests : PipelineTestBase
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public FusedStagesTests()
    {
        Registry.Register<WhereStage>().Register<NumberStage>();
    }

    [Fact]
    public async Task Stages_joined_by_pipes_run_in_one_actor_and_deliver_every_packet_in_order()
    {
        var key = Guid.NewGuid().ToString("N");
        var definition = Define(
            [("wan", "netmap:fu}0"), ("lan", "netmap:fu{1")],
            [
                ("push", "push4", new PushOptions { Value = 0x0A0B0C0D }),
                ("where1", "where", new WhereOptions { Key = key }),
                ("pop", "pop4", new PushOptions { Value = 0x0A0B0C0D }),
                ("where2", "where", new WhereOptions { Key = key }),
            ],
            "wan -> push -> where1 -> pop -> where2 -> lan");
        var runtime = StartFused(definition);
        var tx = OpenEnd("netmap:fu{0");
        var rx = OpenEnd("netmap:fu}1");
        var packets = Enumerable.Range(0, 3000).Select(i => Packet(60 + (i % 200), i)).ToList();

        SendAll(tx, packets, Timeout);
        var received = Receive(rx, packets.Count, Timeout);
        await runtime.StopAsync(Timeout);

        Assert.Equal(packets, received.Select(r => r.Data)); // pushed and popped in place, in order, byte for byte
        var actors = WhereStage.Seen[key];
        Assert.Equal(2, actors.Count);
        Assert.Same(actors["where1"], actors["where2"]); // the same actor ran both
        foreach (var stage in new[] { "push", "where1", "pop", "where2" })
        {
            Assert.Equal(packets.Count, runtime.CountersOf(stage).InPackets);
            Assert.Equal(packets.Count, runtime.CountersOf(stage).OutPackets);
        }

        Assert.Equal(0, runtime.Pool.Rented);
        CloseAndAudit();
    }

    [Fact]
    public async Task A_stage_that_throws_in_an_island_is_restarted_alone_and_the_counts_add_up()
    {
        var definition = Define(
            [("wan", "netmap:ff}0"), ("lan", "netmap:ff{1")],
            [("first", "pass", null), ("faulty", "faulty", new FaultOptions { Poison = 0xEE }), ("number", "number", null)],
            "wan -> first -> faulty -> number -> lan");
        var runtime = StartFused(definition);
        var tx = OpenEnd("netmap:ff{0");
        var rx = OpenEnd("netmap:ff}1");
        // A poisoned packet every 600, from the 400th: clean batches go through before and after each fault. Bytes 8..11
        // say which packet it is.
        var packets = Enumerable.Range(0, 2000).Select(i =>
        {
            var p = Packet(64, i);
            p[0] = i % 600 == 400 ? (byte)0xEE : (byte)1;
            BinaryPrimitives.WriteInt32BigEndian(p.AsSpan(8), i);
            return p;
        }).ToList();

        SendAll(tx, packets, Timeout);
        var faulty = runtime.CountersOf("faulty");
        var received = new List<(byte[] Data, uint BufIdx)>();
        var deadline = DateTime.UtcNow + Timeout;
        while (faulty.InPackets < packets.Count || faulty.InPackets != faulty.OutPackets + faulty.Drops(DropReason.Fault) || received.Count < faulty.OutPackets)
        {
            Assert.True(DateTime.UtcNow < deadline, "the packets did not settle in time");
            received.AddRange(Receive(rx, int.MaxValue, TimeSpan.FromMilliseconds(20)));
        }

        await runtime.StopAsync(Timeout);

        Assert.True(faulty.Faults > 0, "the stage should have thrown");
        Assert.True(faulty.Drops(DropReason.Fault) > 0);
        Assert.Equal(packets.Count, runtime.CountersOf("first").OutPackets);
        Assert.Equal(faulty.InPackets, faulty.OutPackets + faulty.Drops(DropReason.Fault));
        Assert.Equal(faulty.OutPackets, runtime.CountersOf("lan").OutPackets);
        Assert.Equal(faulty.OutPackets, received.Count);
        Assert.DoesNotContain(received, r => r.Data[0] == 0xEE);
        Assert.Equal(0, runtime.CountersOf("first").Faults);
        Assert.Equal(0, runtime.CountersOf("number").Faults);

        // The stage after the faulty one kept its instance: it numbered every packet it saw 0, 1, 2, ... without
        // starting again at 0, as it would have had the whole island been restarted.
        Assert.Contains(received, r => BinaryPrimitives.ReadInt32BigEndian(r.Data.AsSpan(8)) < 400);
        Assert.Contains(received, r => BinaryPrimitives.ReadInt32BigEndian(r.Data.AsSpan(8)) > 1600);
        for (var i = 0; i < received.Count; i++)
        {
            Assert.Equal(i, BinaryPrimitives.ReadInt32BigEndian(received[i].Data.AsSpan(4)));
        }

        CloseAndAudit();
    }

    [Fact]
    public async Task A_slow_stage_in_an_island_keeps_memory_bounded()
    {
        var definition = Define(
            [("wan", "netmap:fs}0"), ("lan", "netmap:fs{1")],
            [("first", "pass", null), ("slow", "slow", new SlowOptions { DelayMs = 2 }), ("last", "pass", null)],
            "wan -> first -> slow -> last -> lan");
        var runtime = StartFused(definition);
        var tx = OpenEnd("netmap:fs{0");
        var rx = OpenEnd("netmap:fs}1");
        var packets = Enumerable.Range(0, 20_000).Select(i => Packet(64, i)).ToList();
        var maxRented = 0;
        var receiving = Task.Run(() => Receive(rx, packets.Count, Timeout));

        var deadline = DateTime.UtcNow + Timeout;
        foreach (var packet in packets)
        {
            while (tx.TxRing.Space == 0 || tx.Inject(packet) == 0)
            {
                tx.TxSync();
                maxRented = Math.Max(maxRented, runtime.Pool.Rented);
                Assert.True(DateTime.UtcNow < deadline, "the pipeline did not take the packets in time");
                Thread.Yield();
            }
        }

        tx.TxSync();
        var received = await receiving;
        await runtime.StopAsync(Timeout);

        Assert.Equal(packets, received.Select(r => r.Data));
        // Three pipes into and inside the island plus the one out of it, a window of 4 batches each, and the
        // batches being filled: the packets the slow stage cannot take wait in the source's ring.
        Assert.InRange(maxRented, 0, (4 * 4) + 4);
        CloseAndAudit();
    }

    private PipelineRuntime StartFused(Pipeline.Config.PipelineDefinition definition) =>
        PipelineRuntime.Start(Sys, definition, new PipelineRuntimeOptions { Domain = Domain, Checked = true, Registry = Registry, FuseStages = true });
}

public sealed record WhereOptions
{
    public string Key { get; init; } = "";
}

/// <summary>Records which actor runs it (the runtime's ownership scope), per test key and stage name.</summary>
[Stage("where")]
public sealed class WhereStage(WhereOptions options) : IPacketStage
{
    public static ConcurrentDictionary<string, ConcurrentDictionary<string, object?>> Seen { get; } = new();

    public void OnBatch(PacketBatch batch, StageContext context) =>
        Seen.GetOrAdd(options.Key, static _ => new())[context.StageName] = OwnershipScope.Current;
}

/// <summary>Writes a running count of the packets it has seen (its instance's state) into bytes 4..7 of each.</summary>
[Stage("number")]
public sealed class NumberStage : IPacketStage
{
    private int _next;

    public void OnBatch(PacketBatch batch, StageContext context)
    {
        var view = batch.Open();
        for (var i = 0; i < view.Count; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(view[i].Data[4..], _next++);
        }
    }
}
