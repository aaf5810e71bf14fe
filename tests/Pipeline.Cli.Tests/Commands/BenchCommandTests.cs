using System.Globalization;
using System.Text.Json;
using Pipeline.Cli.Bench;
using Pipeline.Cli.Commands;

namespace Pipeline.Cli.Tests.Commands;

public sealed class BenchCommandTests : IDisposable
{
    // Short runs: these tests check that the scenarios run, count and report, not how fast they are.
    private static readonly string[] Tiny = ["--warmup", "0.05", "--duration", "0.1"];

    private readonly CliFixture _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task An_unknown_scenario_is_a_usage_error_that_lists_the_scenarios()
    {
        var code = await PipelineCli.InvokeAsync(["bench", "frobnicate"], _cli.Context());

        Assert.Equal(ExitCodes.Invalid, code);
        Assert.Contains("unknown scenario 'frobnicate' (scenarios: pipe, vale, pipeline-N", _cli.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a size below the headers", "--size", "41")]
    [InlineData("a size above 65535", "--size", "65536")]
    [InlineData("a size that is not a number", "--size", "64,big")]
    [InlineData("batch 0", "--batch", "0")]
    [InlineData("batch above 512", "--batch", "513")]
    [InlineData("zero seconds", "--duration", "0")]
    [InlineData("negative warm-up", "--warmup", "-1")]
    [InlineData("zero rounds", "--rounds", "0")]
    [InlineData("an unknown format", "--format", "xml")]
    [InlineData("an unknown sweep", "--sweep", "everything")]
    [InlineData("pipeline-0", "pipeline-0")]
    [InlineData("pipeline-17", "pipeline-17")]
    [InlineData("scenarios and a sweep", "pipe", "--sweep", "batch")]
    [InlineData("zero threads", "--threads", "0")]
    [InlineData("65 threads", "--threads", "65")]
    [InlineData("threads that are not a number", "--threads", "many")]
    [InlineData("threads without a value", "pipe", "--threads")]
    public async Task Bad_arguments_are_usage_errors(string why, params string[] args)
    {
        var code = await PipelineCli.InvokeAsync(["bench", .. args], _cli.Context());

        Assert.True(code == ExitCodes.Invalid, why);
        Assert.NotEmpty(_cli.Error);
    }

    [Fact]
    public void Without_arguments_every_named_scenario_runs_at_64_and_1500_bytes_and_afpacket_where_it_can_else_says_why_once()
    {
        var settings = new BenchSettings([], null, null, BenchTiming.Quick);

        var cases = settings.Cases().Select(c => $"{c.Scenario.Name}/{c.Size}/{c.Batch}/{c.Ports.Name()}");

        string[] afpacket = BenchScenario.AfPacket.Unavailable is null
            ? ["afpacket/64/256/dedicated", "afpacket/1500/256/dedicated"] // root on Linux with ip: CI
            : ["afpacket/64/256/dedicated"];
        Assert.Equal(
            ["pipe/64/32/actor", "pipe/1500/32/actor", "vale/60/32/actor", "vale/1500/32/actor", "pipeline-3/64/256/actor", "pipeline-3/1500/256/actor",
             "pipeline-8/64/256/actor", "pipeline-8/1500/256/actor", .. afpacket],
            cases);
    }

    [Fact]
    public void Ports_given_apply_to_the_pipeline_scenarios_and_afpacket_and_the_defaults_differ_per_scenario()
    {
        var given = new BenchSettings([BenchScenario.Pipeline3, BenchScenario.AfPacket, BenchScenario.Pipe], [64], null, BenchTiming.Quick, Ports: BenchPorts.BusyPoll);
        var defaults = given with { Ports = null };

        Assert.Equal(["busy-poll", "busy-poll", "actor"], given.Cases().Select(c => c.Ports.Name()));
        Assert.Equal(["actor", "dedicated", "actor"], defaults.Cases().Select(c => c.Ports.Name()));
    }

    [Theory]
    [InlineData(false, true, true, "needs Linux")]
    [InlineData(true, false, true, "needs root: it creates network namespaces and veth pairs (sudo dotnet")]
    [InlineData(true, true, false, "needs iproute2's ip")]
    public void Afpacket_says_what_it_needs_when_it_cannot_run(bool linux, bool root, bool hasIp, string expected)
    {
        Assert.StartsWith(expected, VethTopology.Unavailable(linux, root, hasIp), StringComparison.Ordinal);
        Assert.Null(VethTopology.Unavailable(linux: true, root: true, hasIp: true));
    }

    [Fact]
    public async Task The_pipe_scenario_moves_packets_and_allocates_nothing_per_packet()
    {
        var code = await PipelineCli.InvokeAsync(["bench", "pipe", "--size", "64,9000", "--batch", "32", "--format", "csv", .. Tiny], _cli.Context());

        Assert.Equal(ExitCodes.Ok, code);
        var rows = Csv(_cli.Out);
        Assert.Equal(2, rows.Count);
        foreach (var row in rows)
        {
            Assert.Equal("pipe", row["scenario"]);
            Assert.Equal("ok", row["status"]);
            Assert.True(long.Parse(row["packets"], CultureInfo.InvariantCulture) > 0);
            Assert.True(double.Parse(row["mpps"], CultureInfo.InvariantCulture) > 0);
            Assert.Equal("thread", row["alloc_scope"]);
            Assert.Equal(0, double.Parse(row["alloc_bytes_per_packet"], CultureInfo.InvariantCulture)); // DESIGN: 0 bytes per packet
        }

        Assert.Equal(["64", "9000"], rows.Select(r => r["size"]));
        Assert.Contains("bench: pipe size 9000 batch 32:", _cli.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_vale_scenario_reports_gigabits_from_packets_and_frame_size()
    {
        var code = await PipelineCli.InvokeAsync(["bench", "vale", "--size", "60,1500", "--format", "csv", .. Tiny], _cli.Context());

        Assert.Equal(ExitCodes.Ok, code);
        var rows = Csv(_cli.Out);
        Assert.Equal(["60", "1500"], rows.Select(r => r["size"]));
        foreach (var row in rows)
        {
            var packets = double.Parse(row["packets"], CultureInfo.InvariantCulture);
            var seconds = double.Parse(row["seconds"], CultureInfo.InvariantCulture);
            var size = double.Parse(row["size"], CultureInfo.InvariantCulture);
            // The CSV rounds seconds to 0.1 ms: within a part in a thousand.
            var gbps = double.Parse(row["gbps"], CultureInfo.InvariantCulture);
            var mpps = double.Parse(row["mpps"], CultureInfo.InvariantCulture);
            Assert.InRange(gbps, packets * size * 8 / seconds / 1e9 * 0.999, packets * size * 8 / seconds / 1e9 * 1.001);
            Assert.InRange(mpps, packets / seconds / 1e6 * 0.999, packets / seconds / 1e6 * 1.001);
            Assert.Equal(0, double.Parse(row["alloc_bytes_per_packet"], CultureInfo.InvariantCulture));
        }
    }

    [Theory]
    [InlineData(64)]
    [InlineData(9000)] // five slots per frame through every stage
    public async Task A_pipeline_scenario_runs_through_the_actor_runtime_and_accounts_for_every_packet(int size)
    {
        var code = await PipelineCli.InvokeAsync(
            ["bench", "pipeline-3", "--size", size.ToString(CultureInfo.InvariantCulture), "--format", "json", .. Tiny], _cli.Context());

        Assert.True(code == ExitCodes.Ok, _cli.Error);
        using var json = JsonDocument.Parse(_cli.Out);
        var row = Assert.Single(json.RootElement.EnumerateArray());
        Assert.Equal("ok", row.GetProperty("status").GetString());
        Assert.Equal("pipeline-3", row.GetProperty("scenario").GetString());
        Assert.Equal(3, row.GetProperty("stages").GetInt32());
        Assert.Equal(256, row.GetProperty("batch").GetInt32());
        Assert.Equal("process", row.GetProperty("allocationScope").GetString());
        Assert.True(row.GetProperty("packets").GetInt64() > 0);
    }

    [Fact]
    public async Task Fuse_and_threads_reach_the_pipeline_scenarios_and_the_report()
    {
        var code = await PipelineCli.InvokeAsync(["bench", "pipeline-3", "pipe", "--size", "64", "--fuse", "--threads", "1", "--format", "json", .. Tiny], _cli.Context());

        Assert.True(code == ExitCodes.Ok, _cli.Error);
        using var json = JsonDocument.Parse(_cli.Out);
        var rows = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(2, rows.Count);
        Assert.Equal("pipeline-3", rows[0].GetProperty("scenario").GetString());
        Assert.Equal("ok", rows[0].GetProperty("status").GetString());
        Assert.True(rows[0].GetProperty("fuse").GetBoolean());
        Assert.Equal(1, rows[0].GetProperty("threads").GetInt32());
        Assert.True(rows[0].GetProperty("packets").GetInt64() > 0);
        // The one-thread loops have no runtime: the options leave them alone.
        Assert.Equal("pipe", rows[1].GetProperty("scenario").GetString());
        Assert.False(rows[1].GetProperty("fuse").GetBoolean());
        Assert.Equal(JsonValueKind.Null, rows[1].GetProperty("threads").ValueKind);
    }

    [Fact]
    public async Task Polled_runs_the_pipeline_on_the_measuring_thread_and_says_so()
    {
        var code = await PipelineCli.InvokeAsync(["bench", "pipeline-3", "--size", "64", "--polled", "--fuse", "--format", "json", .. Tiny], _cli.Context());

        Assert.True(code == ExitCodes.Ok, _cli.Error);
        using var json = JsonDocument.Parse(_cli.Out);
        var row = Assert.Single(json.RootElement.EnumerateArray());
        Assert.Equal("ok", row.GetProperty("status").GetString());
        Assert.True(row.GetProperty("polled").GetBoolean());
        Assert.True(row.GetProperty("fuse").GetBoolean());
        Assert.True(row.GetProperty("packets").GetInt64() > 0);
    }

    [Fact]
    public async Task Polled_and_threads_do_not_go_together()
    {
        var code = await PipelineCli.InvokeAsync(["bench", "pipeline-3", "--polled", "--threads", "1", .. Tiny], _cli.Context());

        Assert.Equal(ExitCodes.Invalid, code);
        Assert.Contains("--polled runs the pipeline on the measuring thread: it does not go with --threads", _cli.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_settings_give_the_runtime_options_to_the_pipeline_cases_only()
    {
        var settings = new BenchSettings([BenchScenario.Pipe, BenchScenario.Pipeline3], [64], null, BenchTiming.Quick, Runtime: new BenchRuntime(Fuse: true, Threads: 2));

        var cases = settings.Cases();

        Assert.Equal([BenchRuntime.Default, new BenchRuntime(true, 2)], cases.Select(c => c.Runtime));
    }

    [Fact]
    public void The_note_says_when_the_stages_are_fused_or_on_threads_of_their_own()
    {
        var ran = new BenchResult(new BenchCase(BenchScenario.Pipeline3, 64, 256) { Runtime = new BenchRuntime(true, 1) })
        {
            Packets = 1000, Elapsed = TimeSpan.FromMilliseconds(1), ProcessWideAllocations = true,
        };
        var busy = ran with { Case = new BenchCase(BenchScenario.Pipeline3, 64, 256, BenchPorts.BusyPoll) { Runtime = new BenchRuntime(false, 2) } };
        var plain = ran with { Case = new BenchCase(BenchScenario.Pipeline3, 64, 256) };

        var markdown = BenchReport.Markdown([ran, busy, plain]).Split('\n');
        var csv = Csv(BenchReport.Csv([ran, busy, plain]));

        Assert.EndsWith("| fuse; threads: 1; alloc: all threads |", markdown[2], StringComparison.Ordinal);
        Assert.EndsWith("| ports: busy-poll; threads: 2; alloc: all threads |", markdown[3], StringComparison.Ordinal);
        Assert.EndsWith("| alloc: all threads |", markdown[4], StringComparison.Ordinal);
        Assert.DoesNotContain("fuse", markdown[4], StringComparison.Ordinal);
        Assert.Equal([("true", "1"), ("false", "2"), ("false", "")], csv.Select(r => (r["fuse"], r["threads"])));
    }

    [Fact]
    public async Task A_frame_larger_than_a_batch_fails_the_case_with_the_reason_and_exit_1()
    {
        var code = await PipelineCli.InvokeAsync(["bench", "pipeline-3", "pipe", "--size", "9000", "--batch", "4", .. Tiny], _cli.Context());

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("bench: pipeline-3 size 9000 batch 4: failed: pipeline-3: a 9000-byte frame takes 5 slots, more than a batch of 4", _cli.Error, StringComparison.Ordinal);
        Assert.Matches(@"\npipe\s+9000\s+4\s+[0-9.]+", _cli.Out); // the other case still ran
    }

    [Fact]
    public async Task A_scenario_that_cannot_run_here_says_why_in_one_line_and_the_run_still_succeeds()
    {
        var unavailable = new BenchResult(new BenchCase(BenchScenario.AfPacket, 64, 256)) { Unavailable = "not available here: needs root: it creates network namespaces" };
        var ran = new BenchResult(new BenchCase(BenchScenario.AfPacket, 64, 256, BenchPorts.Dedicated))
        {
            Packets = 2_000_000,
            Elapsed = TimeSpan.FromSeconds(2),
            Note = "whole run: 3000000 offered, 2900000 delivered (96.7%); dropped: f0 ring full 100000",
        };

        var table = BenchReport.Table([unavailable, ran]).ToPlainText();
        var csv = BenchReport.Csv([unavailable, ran]);

        Assert.Matches(@"afpacket\s+64\s+256\s+-\s+-\s+-\s+-\s+-\s+not available here: needs root", table);
        Assert.Matches(@"afpacket\s+64\s+256\s+1\.00\s+0\.51\s+1000\.0\s+0\s+0/0/0\s+ports: dedicated; whole run: 3000000 offered", table);
        Assert.Contains(",unavailable,\"not available here: needs root: it creates network namespaces\"", csv, StringComparison.Ordinal);
        Assert.Contains(",ok,\"whole run: 3000000 offered, 2900000 delivered (96.7%); dropped: f0 ring full 100000\"", csv, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(BenchReport.Json([ran]));
        Assert.Equal("whole run: 3000000 offered, 2900000 delivered (96.7%); dropped: f0 ring full 100000", json.RootElement[0].GetProperty("note").GetString());
    }

    [Fact]
    public async Task Rounds_report_the_median_run_and_say_how_many_there_were()
    {
        var code = await PipelineCli.InvokeAsync(["bench", "pipe", "--size", "64", "--rounds", "3", "--format", "markdown", .. Tiny], _cli.Context());

        Assert.Equal(ExitCodes.Ok, code);
        Assert.StartsWith("| scenario | size | batch | Mpps | Gbit/s | ns/packet | alloc B/packet | GC 0/1/2 | note |\n|---|", _cli.Out, StringComparison.Ordinal);
        Assert.Matches(@"\| pipe \| 64 \| 32 \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| 0 \| \d+/\d+/\d+ \| median of 3 \|", _cli.Out);
        Assert.Equal(3, _cli.Error.Split('\n').Count(l => l.StartsWith("bench: pipe size 64 batch 32:", StringComparison.Ordinal)));
    }

    /// <summary>The CSV on standard output as one dictionary per row.</summary>
    internal static List<Dictionary<string, string>> Csv(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(BenchReport.CsvHeader, lines[0]);
        var header = lines[0].Split(',');
        return [.. lines[1..].Select(line => header.Zip(line.Split(',')).ToDictionary(p => p.First, p => p.Second))];
    }
}
