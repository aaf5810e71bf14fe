using Netmap.Io.Tests.Linux;
using Pipeline.Stages;

namespace Pipeline.Linux.Tests;

/// <summary>
/// A <c>tap:NAME</c> port: the pipeline creates the TAP inside its namespace (<c>netns:</c>), and the kernel stack
/// behind the TAP is a host the pipeline's other port reaches over a veth:
/// <code>
///   A: a0 10.80.0.1 ─veth─ a1 (M) ⇄ pipeline ⇄ TAP (K) 10.80.0.2, the kernel of K answering
/// </code>
/// </summary>
[Collection(LinuxPipelineCollection.Name)]
public sealed class TapPortTests
{
    [LinuxPipelineFact("ping")]
    public async Task The_kernel_behind_a_tap_port_answers_pings_that_cross_the_pipeline_and_the_tap_goes_with_the_pipeline()
    {
        LinuxTools.Require("ping");
        using var lab = new NetworkLab();
        var a = lab.Namespace("a");
        var m = lab.Namespace("m");
        var k = lab.Namespace("k");
        var (a0, a1) = lab.Veth(a, m, macA: "02:00:5e:80:00:01", macB: "02:00:5e:80:00:11");
        Tools.Run("ip", "-n", a, "addr", "add", "10.80.0.1/24", "dev", a0);
        var tap = lab.LinkName('t');

        await using (var live = LivePipeline.Start($$"""
            name: tap-bridge
            ports:
              wire: { spec: "netmap:{{a1}}", netns: {{m}} }
              tap:  { spec: "tap:{{tap}}", netns: {{k}} }
            pipes:
              - wire -> tap
              - tap -> wire
            """))
        {
            // The pipeline created the TAP in K (and brought it up); K's kernel gets an address on it.
            Assert.Contains("UP", Tools.Run("ip", "-n", k, "-o", "link", "show", tap), StringComparison.Ordinal);
            Assert.NotEqual(0, Tools.TryRun("ip", "-n", m, "link", "show", tap).Code); // not in the port's veth namespace
            Tools.Run("ip", "-n", k, "addr", "add", "10.80.0.2/24", "dev", tap);

            var ping = Tools.Run("ip", "netns", "exec", a, "ping", "-n", "-c", "3", "-i", "0.2", "-w", "15", "10.80.0.2");

            Assert.Contains("3 packets transmitted, 3 received", ping, StringComparison.Ordinal);
            Assert.True(live["tap"].InPackets >= 4, $"{live["tap"].InPackets} frames came out of the TAP"); // ARP reply + 3 echo replies
            Assert.True(live["tap"].OutPackets >= 4, $"{live["tap"].OutPackets} frames went into the TAP");
        }

        // The TAP was the pipeline's: it vanished with the port.
        Assert.True(LivePipeline.WaitUntil(() => Tools.TryRun("ip", "-n", k, "link", "show", tap).Code != 0), $"TAP {tap} is still in {k}");
    }

    [LinuxPipelineFact]
    public async Task Frames_the_tap_had_no_room_for_because_the_pipeline_could_not_keep_up_are_the_ports_overflow_drops()
    {
        LinuxTools.Require();
        using var lab = new NetworkLab();
        var k = lab.Namespace("k");
        var tap = lab.LinkName('t');
        const int sent = 5000; // the kernel holds up to ~2000 for the pipeline: the TAP's queue and its qdisc, 1000 each

        await using (var live = LivePipeline.Start($$"""
            name: tap-overflow
            ports:
              tap:   { spec: "tap:{{tap}}", netns: {{k}} }
              stuck: { spec: "netmap:stuck{0" }
            pipes:
              - tap -> stuck
            """))
        {
            // Nobody reads the pipe: the pipeline stops reading the TAP once the pipe is full, and K's kernel drops
            // what the TAP's queue cannot hold.
            NetworkLab.DisableIpv6(k, tap);
            lab.Replay(k, tap, [.. Enumerable.Range(0, sent).Select(i => TestFrames.Udp(i, 300, TestFrames.MacA, TestFrames.MacB))]);
            var counters = live["tap"];
            Assert.True(
                LivePipeline.WaitUntil(() => counters.Drops(DropReason.Overflow) > 0 && counters.InPackets + counters.Drops(DropReason.Overflow) >= sent - 2200),
                $"{counters.InPackets} in, {counters.Drops(DropReason.Overflow)} overflow of {sent}");
            Assert.True(counters.InPackets + counters.TotalDrops <= sent + 16, $"{counters.InPackets} in + {counters.TotalDrops} dropped of {sent} sent"); // + a stray frame of K's own
        }
    }
}
