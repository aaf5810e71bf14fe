using System.Diagnostics;
using System.Globalization;
using Netmap.Io.Tests.Linux;

namespace Pipeline.Linux.Tests;

/// <summary>
/// <c>pipeline bench afpacket</c> as a user runs it (a child process, as root): it builds its veth pairs in network
/// namespaces of its own, forwards frames through a pipeline between them, reports Mpps with every offered frame
/// accounted for, and leaves no namespace behind.
/// </summary>
[Collection(LinuxPipelineCollection.Name)]
public sealed class AfPacketBenchTests
{
    [LinuxPipelineFact]
    public async Task Bench_afpacket_forwards_between_veth_pairs_accounts_for_every_frame_and_removes_its_namespaces()
    {
        LinuxTools.Require();
        var (code, stdout, stderr, left) = await Bench("afpacket", "--quick", "--size", "64,1500", "--format", "csv");

        Assert.True(code == 0, $"exit {code}: {stderr}\n{stdout}");
        var rows = Csv(stdout);
        Assert.Equal(["64", "1500"], rows.Select(r => r["size"]));
        foreach (var row in rows)
        {
            Assert.Equal("afpacket", row["scenario"]);
            Assert.True(row["status"] == "ok", $"{row["status"]}: {row["note"]}");
            Assert.Equal("dedicated", row["ports"]);
            Assert.True(long.Parse(row["packets"], CultureInfo.InvariantCulture) > 0, stdout);
            Assert.True(double.Parse(row["mpps"], CultureInfo.InvariantCulture) > 0, stdout);
            Assert.True(double.Parse(row["alloc_bytes_per_packet"], CultureInfo.InvariantCulture) < 1, stdout);
            // Every frame the generator's socket sent is delivered or dropped at a named place.
            Assert.Matches(@"whole run: \d+ offered, \d+ delivered \([0-9.]+%\); dropped: g0->f0 veth backlog \d+, f0 ring full \d+, pipeline \d+, f1->s0 veth backlog \d+", row["note"]);
            var offered = long.Parse(System.Text.RegularExpressions.Regex.Match(row["note"], @"(\d+) offered").Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.True(offered >= long.Parse(row["packets"], CultureInfo.InvariantCulture), row["note"]);
        }

        // The run's namespaces (pbench<pid>x<n><g|f|s>) are gone, and with them the veths.
        Assert.Empty(left);
    }

    [LinuxPipelineFact]
    public async Task A_frame_too_long_for_a_batch_fails_the_case_with_the_reason_before_any_namespace_is_made()
    {
        LinuxTools.Require();
        var (code, stdout, stderr, left) = await Bench("afpacket", "--quick", "--size", "9000", "--batch", "2", "--format", "csv");

        Assert.True(code == 1, $"exit {code}: {stderr}\n{stdout}");
        Assert.Contains("afpacket: a 9000-byte frame takes 5 slots, more than a batch of 2", stderr, StringComparison.Ordinal);
        Assert.Empty(left);
    }

    // Runs `pipeline bench ARGS` and returns what it printed and the namespaces of its own it left behind (which are
    // then deleted here, so a failing run leaves nothing on the machine either).
    private static async Task<(int Code, string Stdout, string Stderr, string[] Left)> Bench(params string[] args)
    {
        var cli = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        cli.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Pipeline.Cli.dll"));
        cli.ArgumentList.Add("bench");
        foreach (var arg in args)
        {
            cli.ArgumentList.Add(arg);
        }

        using var run = Process.Start(cli)!;
        var pid = run.Id;
        var stdout = run.StandardOutput.ReadToEndAsync();
        var stderr = run.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var finished = true;
        try
        {
            await run.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            run.Kill(entireProcessTree: true);
            await run.WaitForExitAsync();
            finished = false;
        }

        var prefix = "pbench" + pid.ToString(CultureInfo.InvariantCulture) + "x";
        var left = Directory.Exists("/var/run/netns")
            ? Directory.GetFiles("/var/run/netns", prefix + "*").Select(Path.GetFileName).OfType<string>().ToArray()
            : [];
        foreach (var ns in left)
        {
            Tools.TryRun("ip", "netns", "del", ns);
        }

        Assert.True(finished, $"pipeline bench {string.Join(' ', args)} did not finish in 3 minutes: {await stderr}");
        return (run.ExitCode, await stdout, await stderr, left);
    }

    private static List<Dictionary<string, string>> Csv(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0].Split(',');
        var rows = new List<Dictionary<string, string>>();
        foreach (var line in lines.Skip(1))
        {
            var cells = SplitCsv(line);
            rows.Add(header.Zip(cells).ToDictionary(p => p.First, p => p.Second));
        }

        return rows;
    }

    // Commas inside a quoted cell (the note) are not separators; "" is a quote.
    private static List<string> SplitCsv(string line)
    {
        var cells = new List<string>();
        var cell = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    cell.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                cells.Add(cell.ToString());
                cell.Clear();
            }
            else
            {
                cell.Append(c);
            }
        }

        cells.Add(cell.ToString());
        return cells;
    }
}
