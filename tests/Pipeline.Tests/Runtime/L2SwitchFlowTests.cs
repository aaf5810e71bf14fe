using Microsoft.Extensions.Time.Testing;
using Pipeline.Stages;
using Stages.Ethernet;

namespace Pipeline.Tests.Runtime;

/// <summary>The built-in <c>l2-switch</c> in a running pipeline: three ports, each both an input and a gate.</summary>
public sealed class L2SwitchFlowTests : PipelineTestBase
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(150);

    private const string H1 = "02:00:00:00:00:01";
    private const string H2 = "02:00:00:00:00:02";
    private const string H9 = "02:00:00:00:00:09";
    private const string Broadcast = "ff:ff:ff:ff:ff:ff";

    public L2SwitchFlowTests()
    {
        Registry.Register<L2Switch>();
    }

    [Fact]
    public async Task The_switch_floods_until_it_learns_then_sends_to_one_port_only()
    {
        var (runtime, a, b, c) = StartSwitch("l2f", clock: null);
        var hello = Frame(H1, Broadcast, 1);
        var reply = Frame(H2, H1, 2);
        var toH2 = Frame(H1, H2, 3);
        var toUnknown = Frame(H1, H9, 4);

        // H1 (behind a) broadcasts: b and c get it, in new buffers for one of them; a does not.
        var sentIn = SendAll(a, [hello], Timeout);
        var atB = Assert.Single(Receive(b, 1, Timeout));
        var atC = Assert.Single(Receive(c, 1, Timeout));
        Assert.Equal(hello, atB.Data);
        Assert.Equal(hello, atC.Data);
        Assert.NotEqual(atB.BufIdx, atC.BufIdx); // one of them is the copy

        // H2 (behind b) answers H1: only a. H1 answers H2: only b. H1 to a host never seen: b and c.
        SendAll(b, [reply], Timeout);
        Assert.Equal(reply, Assert.Single(Receive(a, 1, Timeout)).Data);
        SendAll(a, [toH2], Timeout);
        Assert.Equal(toH2, Assert.Single(Receive(b, 1, Timeout)).Data);
        SendAll(a, [toUnknown], Timeout);
        Assert.Equal(toUnknown, Assert.Single(Receive(b, 1, Timeout)).Data);
        Assert.Equal(toUnknown, Assert.Single(Receive(c, 1, Timeout)).Data);

        Assert.Empty(ReceiveUntilQuiet(a, Quiet));
        Assert.Empty(ReceiveUntilQuiet(b, Quiet));
        Assert.Empty(ReceiveUntilQuiet(c, Quiet));
        await runtime.StopAsync(Timeout);
        var counters = runtime.CountersOf("sw");
        Assert.Equal(4, counters.InPackets);
        Assert.Equal(6, counters.OutPackets); // 2 + 1 + 1 + 2: copies count as they leave
        Assert.Equal(0, counters.TotalDrops);
        Assert.Single(sentIn);
        CloseAndAudit();
    }

    [Fact]
    public async Task A_learned_host_is_forgotten_after_age_seconds_on_the_pipeline_clock_and_hairpins_are_filtered()
    {
        var clock = new FakeTimeProvider();
        var (runtime, a, b, c) = StartSwitch("l2a", clock);
        SendAll(a, [Frame(H1, Broadcast, 1)], Timeout);
        Assert.Single(Receive(b, 1, Timeout));
        Assert.Single(Receive(c, 1, Timeout));

        // A packet for H1 from a's own side goes nowhere.
        SendAll(a, [Frame(H9, H1, 2)], Timeout);
        await AwaitConditionAsync(() => Task.FromResult(runtime.CountersOf("sw").Drops(DropReason.Filtered) == 1), Timeout);

        // 30 s on, H1 is still known; 30 s past its age, packets for it flood again.
        clock.Advance(TimeSpan.FromSeconds(30));
        SendAll(b, [Frame(H2, H1, 3)], Timeout);
        Assert.Single(Receive(a, 1, Timeout));
        clock.Advance(TimeSpan.FromSeconds(30));
        var flooded = Frame(H2, H1, 4);
        SendAll(b, [flooded], Timeout);
        Assert.Equal(flooded, Assert.Single(Receive(a, 1, Timeout)).Data);
        Assert.Equal(flooded, Assert.Single(Receive(c, 1, Timeout)).Data);

        Assert.Empty(ReceiveUntilQuiet(a, Quiet));
        Assert.Empty(ReceiveUntilQuiet(b, Quiet));
        Assert.Empty(ReceiveUntilQuiet(c, Quiet));
        await runtime.StopAsync(Timeout);
        CloseAndAudit();
    }

    // A switch over ports a, b and c (pipes "netmap:NAME}0..2"), learned entries lasting 45 s; the test's pipe ends.
    private (Pipeline.Runtime.PipelineRuntime Runtime, Netmap.Io.Ports.PortHandle A, Netmap.Io.Ports.PortHandle B, Netmap.Io.Ports.PortHandle C) StartSwitch(string name, TimeProvider? clock)
    {
        var definition = Define(
            [("a", $"netmap:{name}}}0"), ("b", $"netmap:{name}}}1"), ("c", $"netmap:{name}}}2")],
            [("sw", "l2-switch", new L2SwitchOptions { Gates = ["a", "b", "c"], AgeSeconds = 45 })],
            "a -> sw",
            "b -> sw",
            "c -> sw",
            "sw.a -> a",
            "sw.b -> b",
            "sw.c -> c");
        Assert.Equal(["a", "b", "c"], definition.Stages[0].Gates);
        var runtime = Start(definition, clock);
        return (runtime, OpenEnd($"netmap:{name}{{0"), OpenEnd($"netmap:{name}{{1"), OpenEnd($"netmap:{name}{{2"));
    }

    // dst, src, EtherType 0x88B5 (local experimental), a patterned payload that tells frames apart.
    private static byte[] Frame(string source, string destination, int seed)
    {
        var frame = Packet(60 + seed, seed);
        Convert.FromHexString(destination.Replace(":", string.Empty, StringComparison.Ordinal)).CopyTo(frame, 0);
        Convert.FromHexString(source.Replace(":", string.Empty, StringComparison.Ordinal)).CopyTo(frame, 6);
        frame[12] = 0x88;
        frame[13] = 0xB5;
        return frame;
    }
}
