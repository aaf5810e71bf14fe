using Pipeline.Stages;

namespace Pipeline.Tests.Runtime;

public sealed class EndToEndTests : PipelineTestBase
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Every_packet_arrives_in_order_with_its_bytes_intact()
    {
        var definition = Define(
            [("wan", "netmap:e2e}0"), ("lan", "netmap:e2e{1")],
            [("a", "pass", null), ("b", "pass", null)],
            "wan -> a -> b -> lan");
        var runtime = Start(definition);
        var tx = OpenEnd("netmap:e2e{0");
        var rx = OpenEnd("netmap:e2e}1");
        var packets = Enumerable.Range(0, 5000).Select(i => Packet(60 + (i % 1400), i)).ToList();

        var receiving = Task.Run(() => Receive(rx, packets.Count, Timeout));
        SendAll(tx, packets, Timeout);
        var received = await receiving;

        Assert.Equal(packets.Count, received.Count);
        for (var i = 0; i < packets.Count; i++)
        {
            Assert.Equal(packets[i], received[i].Data);
        }

        await runtime.StopAsync(Timeout);
        Assert.Equal(5000, runtime.CountersOf("wan").InPackets);
        Assert.Equal(5000, runtime.CountersOf("a").OutPackets);
        Assert.Equal(5000, runtime.CountersOf("lan").OutPackets);
        Assert.Equal(packets.Sum(p => (long)p.Length), runtime.CountersOf("lan").OutBytes);
        Assert.Equal(0, runtime.Pool.Rented);
        CloseAndAudit();
    }

    [Fact]
    public async Task Push_and_pop_give_back_the_original_bytes_in_the_same_buffer()
    {
        var definition = Define(
            [("wan", "netmap:pp}0"), ("lan", "netmap:pp{1")],
            [("push", "push4", new PushOptions()), ("pop", "pop4", new PushOptions())],
            "wan -> push -> pop -> lan");
        var runtime = Start(definition);
        var tx = OpenEnd("netmap:pp{0");
        var rx = OpenEnd("netmap:pp}1");
        var packets = Enumerable.Range(0, 300).Select(i => Packet(64, i)).ToList();

        var sentIn = SendAll(tx, packets, Timeout);
        var received = Receive(rx, packets.Count, Timeout);

        Assert.Equal(packets, received.Select(r => r.Data));
        Assert.Equal(sentIn, received.Select(r => r.BufIdx)); // the same buffers, end to end: nothing copied
        Assert.Equal(0, runtime.CountersOf("pop").TotalDrops);
        Assert.Equal(0, runtime.HeadroomCopies); // the pipeline's own headroom was used: no copy anywhere
        var push = runtime.CountersOf("push");
        Assert.Equal(push.InBytes + (4 * 300), push.OutBytes); // counted after the stage: the tags are in
        await runtime.StopAsync(Timeout);
        CloseAndAudit();
    }

    [Fact]
    public async Task A_sender_that_leaves_no_headroom_costs_one_counted_move_per_packet()
    {
        var definition = Define(
            [("wan", "netmap:nh}0"), ("lan", "netmap:nh{1")],
            [("push", "push4", new PushOptions()), ("pop", "pop4", new PushOptions())],
            "wan -> push -> pop -> lan");
        var runtime = Start(definition);
        var tx = OpenEnd("netmap:nh{0", headroom: 0); // packets start at offset 0 of their buffers
        var rx = OpenEnd("netmap:nh}1");
        var packets = Enumerable.Range(0, 100).Select(i => Packet(64, i)).ToList();

        SendAll(tx, packets, Timeout);
        var received = Receive(rx, packets.Count, Timeout);

        Assert.Equal(packets, received.Select(r => r.Data));
        Assert.Equal(100, runtime.HeadroomCopies);
        await runtime.StopAsync(Timeout);
        CloseAndAudit();
    }

    [Fact]
    public async Task Gates_route_packets_and_drops_are_counted_by_reason()
    {
        var definition = Define(
            [("wan", "netmap:g}0"), ("even", "netmap:g{1"), ("odd", "netmap:g{2")],
            [("split", "parity", null)],
            "wan -> split -> even",
            "split.deny -> odd");
        var runtime = Start(definition);
        var tx = OpenEnd("netmap:g{0");
        var evenRx = OpenEnd("netmap:g}1");
        var oddRx = OpenEnd("netmap:g}2");
        var packets = Enumerable.Range(0, 256).Select(i => { var p = Packet(80, i); p[0] = (byte)i; return p; }).ToList();

        SendAll(tx, packets, Timeout);
        var even = Receive(evenRx, 128, Timeout);
        var odd = Receive(oddRx, 127, Timeout);
        await runtime.StopAsync(Timeout);

        Assert.Equal(packets.Where(p => p[0] % 2 == 0).ToList(), even.Select(r => r.Data).ToList());
        Assert.Equal(packets.Where(p => p[0] % 2 == 1 && p[0] != 0xFF).ToList(), odd.Select(r => r.Data).ToList());
        var split = runtime.CountersOf("split");
        Assert.Equal(256, split.InPackets);
        Assert.Equal(255, split.OutPackets);
        Assert.Equal(1, split.Drops(DropReason.Filtered));
        CloseAndAudit();
    }

    [Fact]
    public async Task Packets_sent_to_the_drop_sink_or_an_unconnected_gate_are_counted()
    {
        var definition = Define(
            [("wan", "netmap:d}0"), ("lan", "netmap:d{1")],
            [("split", "parity", null), ("to-drop", "parity", null)],
            "wan -> split -> to-drop -> lan",
            "to-drop.deny -> drop");
        var runtime = Start(definition);
        var tx = OpenEnd("netmap:d{0");
        var rx = OpenEnd("netmap:d}1");
        var packets = new[] { 2, 3, 4, 5, 6 }.Select(first => { var p = Packet(64, first); p[0] = (byte)first; return p; }).ToList();

        SendAll(tx, packets, Timeout);
        var received = Receive(rx, 3, Timeout);
        await runtime.StopAsync(Timeout);

        Assert.Equal(3, received.Count);
        Assert.Equal(2, runtime.CountersOf("split").Drops(DropReason.Unconnected)); // split.deny goes nowhere
        Assert.Equal(0, runtime.CountersOf("to-drop").Drops(DropReason.Discarded)); // odd ones never got here
        CloseAndAudit();
    }
}
