using Netmap.Io;
using Netmap.Io.Tests.Linux;

namespace Pipeline.Linux.Tests;

/// <summary>
/// Nothing outlives a test: its namespaces, veths and TAPs are gone afterwards, also when the test fails while its
/// pipeline runs or when the pipeline cannot start; and the pipeline's sockets and TAP descriptors are closed, which
/// is what lets a deleted namespace really die (an open one keeps it, and its veths, alive after <c>ip netns del</c>).
/// </summary>
[Collection(LinuxPipelineCollection.Name)]
public sealed class CleanupTests
{
    [LinuxPipelineFact]
    public async Task When_a_test_fails_while_its_pipeline_runs_its_namespace_veth_and_tap_are_gone_afterwards()
    {
        LinuxTools.Require();
        // The far end of the failing test's veth lives in a namespace of this witness lab, which outlives it: the
        // end vanishes only when the failing test's namespace is destroyed, i.e. when nothing holds it any more.
        using var witness = new NetworkLab();
        var w = witness.Namespace("w");
        var prefix = string.Empty;
        var namespaces = Array.Empty<string>();
        var wire = string.Empty;
        var tap = string.Empty;
        var frames = Enumerable.Range(0, 8).Select(i => TestFrames.Udp(i, 100, TestFrames.MacB, TestFrames.MacA)).ToList();
        async Task FailingTest()
        {
            using var lab = new NetworkLab();
            prefix = lab.Prefix;
            var p = lab.Namespace("p");
            string port;
            (port, wire) = lab.Veth(p, w);
            tap = lab.LinkName('t');
            namespaces = [.. lab.Namespaces];
            await using var live = LivePipeline.Start($$"""
                name: doomed
                ports:
                  wire: { spec: "netmap:{{port}}", netns: {{p}} }
                  tap:  { spec: "tap:{{tap}}", netns: {{p}} }
                pipes:
                  - wire -> tap
                """);
            witness.Replay(w, wire, frames);
            Assert.True(LivePipeline.WaitUntil(() => live["tap"].OutPackets >= frames.Count), "the pipeline was not moving frames");
            Assert.Contains(tap, Tools.Run("ip", "-n", p, "-o", "link"), StringComparison.Ordinal);
            throw new InvalidOperationException("the test failed");
        }

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(FailingTest);

        Assert.Equal("the test failed", thrown.Message);
        var listed = Tools.Run("ip", "netns", "list");
        Assert.Single(namespaces);
        foreach (var ns in namespaces)
        {
            Assert.DoesNotContain(ns, listed, StringComparison.Ordinal);
            Assert.False(File.Exists("/var/run/netns/" + ns), $"/var/run/netns/{ns} is left");
        }

        // The namespace is destroyed (the kernel does it in the background), taking the veth pair and TAP with it.
        Assert.True(
            LivePipeline.WaitUntil(() => Tools.TryRun("ip", "-n", w, "link", "show", wire).Code != 0),
            $"veth end {wire} is still in {w}: the failed test's namespace lives on, held by a socket or TAP left open");
        Assert.DoesNotContain(NetworkLab.NamePrefix + Environment.ProcessId % 100000 + "x", Tools.Run("ip", "-o", "link"), StringComparison.Ordinal);
        Assert.DoesNotContain(prefix, Tools.Run("ip", "netns", "list"), StringComparison.Ordinal);
    }

    [LinuxPipelineFact]
    public void A_pipeline_whose_port_is_in_a_missing_namespace_does_not_start_and_closes_the_tap_it_had_made()
    {
        LinuxTools.Require();
        using var lab = new NetworkLab();
        var k = lab.Namespace("k");
        var tap = lab.LinkName('t');
        var missing = lab.Prefix + "gone";

        var error = Assert.Throws<NetmapException>(() => LivePipeline.Start($$"""
            name: half
            ports:
              tap:  { spec: "tap:{{tap}}", netns: {{k}} }
              wire: { spec: "netmap:eth0", netns: {{missing}} }
            pipes:
              - tap -> wire
            """));

        Assert.Equal(NetmapError.ENOENT, error.Code);
        Assert.Equal($"netmap:eth0: ENOENT: network namespace '{missing}' does not exist (no /var/run/netns/{missing}; 'ip netns add {missing}' creates it)", error.Message);
        Assert.True(LivePipeline.WaitUntil(() => Tools.TryRun("ip", "-n", k, "link", "show", tap).Code != 0), $"TAP {tap} outlived the failed start");
    }

    [LinuxPipelineFact]
    public void A_port_on_an_interface_its_namespace_does_not_have_is_ENXIO_naming_it()
    {
        LinuxTools.Require();
        using var lab = new NetworkLab();
        var p = lab.Namespace("p");
        var w = lab.Namespace("w");
        var (port, _) = lab.Veth(p, w);

        // The veth end exists, but in p: looked up in w it is not there.
        var error = Assert.Throws<NetmapException>(() => LivePipeline.Start($$"""
            name: elsewhere
            ports:
              wire: { spec: "netmap:{{port}}", netns: {{w}} }
              sink: { spec: "null" }
            pipes:
              - wire -> sink
            """));

        Assert.Equal(NetmapError.ENXIO, error.Code);
        Assert.Contains($"'{port}'", error.Message, StringComparison.Ordinal);
    }
}
