using Pipeline.Config;
using Pipeline.Runtime;
using Pipeline.Stages;

namespace Pipeline.Tests.Runtime;

public sealed class OverloadAndFaultTests : PipelineTestBase
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_fast_source_into_a_slow_stage_keeps_memory_bounded_and_counts_drops_at_the_source_port()
    {
        var definition = Define(
            [("wan", "netmap:ov}0"), ("lan", "netmap:ov{1")],
            [("slow", "slow", new SlowOptions { DelayMs = 10 })],
            "wan -> slow -> lan");
        definition = definition with { Ports = [definition.Ports[0] with { Overflow = PortOverflow.Drop }, definition.Ports[1]] };
        var runtime = Start(definition);
        var tx = OpenEnd("netmap:ov{0");
        var rx = OpenEnd("netmap:ov}1");
        const int sent = 30_000;
        var maxRented = 0;
        var maxBuffers = 0;
        var wan = runtime.CountersOf("wan");
        var received = 0;
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
                maxBuffers = Math.Max(maxBuffers, Domain.DefaultArena.InUse);
            }
        }

        tx.TxSync();
        await receiving;
        await runtime.StopAsync(Timeout);

        Assert.True(wan.Drops(DropReason.Overflow) > 0, "the slow stage should have made the source drop");
        Assert.Equal(sent, wan.InPackets + wan.Drops(DropReason.Overflow)); // every packet is delivered or counted
        Assert.Equal(wan.InPackets, runtime.CountersOf("slow").OutPackets);
        Assert.Equal(wan.InPackets, received);
        // Two pipes of 4 batches each, plus the one being filled or placed: memory does not grow with the load.
        Assert.InRange(maxRented, 0, (2 * 4) + 2);
        Assert.InRange(maxBuffers, 0, (4 * 1024) + ((2 * 4 + 2) * 256));
        CloseAndAudit();
    }

    [Fact]
    public async Task Without_drop_overflow_the_sender_waits_and_nothing_is_lost()
    {
        var definition = Define(
            [("wan", "netmap:ow}0"), ("lan", "netmap:ow{1")],
            [("slow", "slow", new SlowOptions { DelayMs = 2 })],
            "wan -> slow -> lan");
        var runtime = Start(definition);
        var tx = OpenEnd("netmap:ow{0");
        var rx = OpenEnd("netmap:ow}1");
        var packets = Enumerable.Range(0, 3000).Select(i => Packet(64, i)).ToList();
        var maxRented = 0;
        var receiving = Task.Run(() => Receive(rx, packets.Count, Timeout));
        var sampling = Task.Run(async () =>
        {
            while (!receiving.IsCompleted)
            {
                maxRented = Math.Max(maxRented, runtime.Pool.Rented);
                await Task.Delay(1);
            }
        });

        SendAll(tx, packets, Timeout);
        var received = await receiving;
        await sampling;
        await runtime.StopAsync(Timeout);

        Assert.Equal(packets, received.Select(r => r.Data));
        Assert.Equal(0, runtime.CountersOf("wan").TotalDrops);
        Assert.InRange(maxRented, 0, (2 * 4) + 2);
        CloseAndAudit();
    }

    [Fact]
    public async Task A_stage_that_throws_is_restarted_and_the_counts_add_up_exactly()
    {
        var definition = Define(
            [("wan", "netmap:ft}0"), ("lan", "netmap:ft{1")],
            [("faulty", "faulty", new FaultOptions { Poison = 0xEE })],
            "wan -> faulty -> lan");
        var runtime = Start(definition);
        var tx = OpenEnd("netmap:ft{0");
        var rx = OpenEnd("netmap:ft}1");
        var packets = Enumerable.Range(0, 2000).Select(i =>
        {
            var p = Packet(64, i);
            p[0] = i % 97 == 5 ? (byte)0xEE : (byte)1;
            return p;
        }).ToList();

        SendAll(tx, packets, Timeout);

        // Read until the stage has settled every packet and all it passed on has arrived (no quiet-time guess).
        var faulty = runtime.CountersOf("faulty");
        var received = new List<(byte[] Data, uint BufIdx)>();
        var deadline = DateTime.UtcNow + Timeout;
        while (faulty.InPackets < 2000 || faulty.InPackets != faulty.OutPackets + faulty.Drops(DropReason.Fault) || received.Count < faulty.OutPackets)
        {
            Assert.True(DateTime.UtcNow < deadline, "the first 2000 packets did not settle in time");
            received.AddRange(Receive(rx, int.MaxValue, TimeSpan.FromMilliseconds(20)));
        }

        // Still running after the faults: clean packets sent now all arrive.
        var after = Enumerable.Range(0, 100).Select(i => Packet(64, 5000 + i)).Select(p => { p[0] = 2; return p; }).ToList();
        SendAll(tx, after, Timeout);
        var laterReceived = Receive(rx, after.Count, Timeout);
        await runtime.StopAsync(Timeout);

        Assert.True(faulty.Faults > 0, "the stage should have thrown");
        Assert.True(faulty.Drops(DropReason.Fault) > 0);
        Assert.Equal(2100, runtime.CountersOf("wan").InPackets);
        Assert.Equal(faulty.InPackets, faulty.OutPackets + faulty.Drops(DropReason.Fault));
        Assert.Equal(faulty.OutPackets, runtime.CountersOf("lan").OutPackets);
        Assert.Equal(faulty.OutPackets, received.Count + laterReceived.Count);
        Assert.DoesNotContain(received, r => r.Data[0] == 0xEE);
        Assert.Equal(after, laterReceived.Select(r => r.Data));
        CloseAndAudit();
    }

    [Fact]
    public async Task A_stage_that_keeps_a_batch_after_handing_it_on_gets_an_ownership_error()
    {
        HoarderStage.LastCaught = null;
        var definition = Define(
            [("wan", "netmap:ho}0"), ("lan", "netmap:ho{1")],
            [("hoarder", "hoarder", null)],
            "wan -> hoarder -> lan");
        var runtime = Start(definition);
        var tx = OpenEnd("netmap:ho{0");
        var rx = OpenEnd("netmap:ho}1");
        SendAll(tx, [Packet(64, 1)], Timeout);
        Receive(rx, 1, Timeout);
        SendAll(tx, [Packet(64, 2)], Timeout);
        Receive(rx, 1, Timeout);
        await runtime.StopAsync(Timeout);

        Assert.Equal(2, runtime.CountersOf("hoarder").InPackets);
        var error = Assert.IsType<OwnershipException>(HoarderStage.LastCaught);
        Assert.Contains("opened by 'hoarder'", error.Message, StringComparison.Ordinal);
        Assert.Contains("a batch is not yours after you send it", error.Message, StringComparison.Ordinal);
        CloseAndAudit();
    }
}
