using System.Diagnostics;
using System.Globalization;
using Netmap.Io.Tests.Linux;

namespace Pipeline.Linux.Tests;

/// <summary>
/// The README's bridge sample (pipelines/live/veth-bridge.yaml) under the real <c>pipeline run</c>, in a child
/// process as a user runs it, over the topology scripts/demo-veth-bridge.sh builds; only the middle namespace's name
/// is the lab's own.
/// </summary>
[Collection(LinuxPipelineCollection.Name)]
public sealed class SampleBridgeTests
{
    private const string SampleNamespace = "vb-bridge";

    [LinuxPipelineFact("ping")]
    public async Task The_bridge_sample_runs_under_pipeline_run_and_pings_cross_it_until_ctrl_c_stops_it_cleanly()
    {
        LinuxTools.Require("ping");
        using var scratch = new Scratch();
        using var lab = new NetworkLab();
        var left = lab.Namespace("l");
        var bridge = lab.Namespace("m");
        var right = lab.Namespace("r");
        // The sample's interface names: they exist only inside the lab's namespaces, which go with the lab.
        Tools.Run("ip", "link", "add", "left0", "netns", left, "type", "veth", "peer", "name", "left1", "netns", bridge);
        Tools.Run("ip", "link", "add", "right0", "netns", right, "type", "veth", "peer", "name", "right1", "netns", bridge);
        Tools.Run("ip", "-n", left, "addr", "add", "10.99.0.1/24", "dev", "left0");
        Tools.Run("ip", "-n", right, "addr", "add", "10.99.0.2/24", "dev", "right0");
        foreach (var (ns, dev) in new[] { (left, "left0"), (right, "right0"), (bridge, "left1"), (bridge, "right1") })
        {
            Tools.Run("ip", "-n", ns, "link", "set", dev, "up");
        }

        var sample = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Samples", "veth-bridge.yaml"));
        Assert.Equal(2, CountOf(sample, "netns: " + SampleNamespace));
        var file = scratch.PathOf("veth-bridge.yaml");
        await File.WriteAllTextAsync(file, sample.Replace("netns: " + SampleNamespace, "netns: " + bridge, StringComparison.Ordinal));
        Assert.NotEqual(0, Ping(left, 1).Code); // nothing joins the two sides yet

        var cli = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = scratch.Directory,
        };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "Pipeline.Cli.dll"), "run", file, "--quiet" })
        {
            cli.ArgumentList.Add(arg);
        }

        using var run = Process.Start(cli)!;
        var stdout = run.StandardOutput.ReadToEndAsync();
        var stderr = run.StandardError.ReadToEndAsync();
        try
        {
            // Started once a ping gets through (the command starts the runtime within a few seconds).
            Assert.True(LivePipeline.WaitUntil(() => run.HasExited || Ping(left, 1).Code == 0), "no ping crossed the pipeline");
            if (run.HasExited)
            {
                Assert.Fail($"pipeline run exited early ({run.ExitCode}): {await stderr}");
            }

            var ping = Ping(left, 3);
            Assert.True(ping.Code == 0, ping.Stdout + ping.Stderr);
            Assert.Contains("3 packets transmitted, 3 received", ping.Stdout, StringComparison.Ordinal);

            // Ctrl-C, delivered twice at once as GNU timeout delivers its signal (to the process, then to its group):
            // one stop, with its table and exit 0, not a second signal's default action.
            Tools.Run("kill", "-INT", run.Id.ToString(CultureInfo.InvariantCulture));
            Tools.Run("kill", "-INT", run.Id.ToString(CultureInfo.InvariantCulture));
            Assert.True(run.WaitForExit(LivePipeline.Patience), "pipeline run did not stop on Ctrl-C");
        }
        finally
        {
            if (!run.HasExited)
            {
                run.Kill(entireProcessTree: true);
                await run.WaitForExitAsync();
            }
        }

        var output = await stdout;
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {await stderr} {output}");
        Assert.Contains("veth-bridge: stopped after", output, StringComparison.Ordinal);
        // The final table: at least the ARP exchange and the four echo requests went each way through the counters.
        Assert.True(Packets(output, "to-right") >= 5, output);
        Assert.True(Packets(output, "to-left") >= 5, output);
    }

    // One ping waits a second for its answer; more get ten seconds for all their answers.
    private static (int Code, string Stdout, string Stderr) Ping(string ns, int count) => count == 1
        ? Tools.TryRun("ip", "netns", "exec", ns, "ping", "-n", "-c", "1", "-W", "1", "10.99.0.2")
        : Tools.TryRun("ip", "netns", "exec", ns, "ping", "-n", "-c", count.ToString(CultureInfo.InvariantCulture), "-i", "0.2", "-w", "10", "10.99.0.2");

    // The "in packets" column of a row of the final table (node, role, in packets, ...).
    private static long Packets(string table, string node)
    {
        foreach (var line in table.Split('\n'))
        {
            var cells = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (cells.Length > 3 && cells[0] == node)
            {
                return long.Parse(cells[2], NumberStyles.Integer, CultureInfo.InvariantCulture);
            }
        }

        return -1;
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
