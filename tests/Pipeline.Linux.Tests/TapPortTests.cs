using Netmap.Io.Tests.Linux;

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
}
