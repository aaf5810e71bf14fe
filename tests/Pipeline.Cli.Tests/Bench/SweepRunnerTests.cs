using Pipeline.Cli.Bench;

namespace Pipeline.Cli.Tests.Bench;

public sealed class SweepRunnerTests : IDisposable
{
    private static readonly BenchTiming Tiny = new(TimeSpan.FromSeconds(0.02), TimeSpan.FromSeconds(0.05));
    private readonly CliFixture _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void A_sweep_writes_its_figures_a_table_and_a_plot()
    {
        // The batch sweep's shape, on two points and two series, so it stays short.
        var axis = SweepAxis.Batch with { Values = [16, 64], Series = ["pipe", "vale"] };
        var dir = Path.Combine(_cli.Directory, "results");

        var files = SweepRunner.Run(axis, Tiny, rounds: 1, dir, "pipeline bench --sweep batch", _cli.Context(), CancellationToken.None);

        Assert.Equal(["sweep-batch.csv", "sweep-batch.png", "sweep-batch.md"], files.Select(Path.GetFileName));
        var csv = File.ReadAllLines(Path.Combine(dir, "sweep-batch.csv"));
        Assert.Equal("sweep,series,x," + BenchReport.CsvHeader, csv[0]);
        Assert.Equal(
            ["batch,pipe,16,pipe,64,16,0,actor", "batch,pipe,64,pipe,64,64,0,actor", "batch,vale,16,vale,60,16,0,actor", "batch,vale,64,vale,60,64,0,actor"],
            csv[1..].Select(l => string.Join(',', l.Split(',')[..8])));
        Assert.All(csv[1..], l => Assert.Contains(",ok,", l, StringComparison.Ordinal));

        var png = File.ReadAllBytes(Path.Combine(dir, "sweep-batch.png"));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);

        var md = File.ReadAllText(Path.Combine(dir, "sweep-batch.md"));
        Assert.StartsWith("# Mpps versus batch size\n\nMade by `pipeline bench --sweep batch` on ", md, StringComparison.Ordinal);
        Assert.Contains("![Mpps versus batch size](sweep-batch.png)", md, StringComparison.Ordinal);
        Assert.Contains("| batch | pipe Mpps | pipe B/packet | vale Mpps | vale B/packet |\n|---:|---:|---:|---:|---:|\n", md, StringComparison.Ordinal);
        Assert.Matches(@"\n\| 16 \| [0-9.]+ \| 0 \| [0-9.]+ \| 0 \|\n\| 64 \| [0-9.]+ \| 0 \| [0-9.]+ \| 0 \|\n", md);
        Assert.Equal(4, _cli.Out.Split('\n').Count(l => l.StartsWith("sweep batch: ", StringComparison.Ordinal)));
    }

    [Fact]
    public void The_size_sweep_adds_a_gigabit_plot_and_columns()
    {
        var axis = SweepAxis.Size with { Values = [64, 4096], Series = ["pipe"] };
        var dir = Path.Combine(_cli.Directory, "results");

        var files = SweepRunner.Run(axis, Tiny, rounds: 1, dir, "pipeline bench --sweep size", _cli.Context(), CancellationToken.None);

        Assert.Equal(["sweep-size.csv", "sweep-size.png", "sweep-size-gbps.png", "sweep-size.md"], files.Select(Path.GetFileName));
        var md = File.ReadAllText(Path.Combine(dir, "sweep-size.md"));
        Assert.Contains("| size | pipe Mpps | pipe Gbit/s | pipe B/packet |", md, StringComparison.Ordinal);
        Assert.Contains("![Gbit/s versus frame size](sweep-size-gbps.png)", md, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sweep_of_pipelines_on_dedicated_port_threads_is_written_under_its_own_names()
    {
        var axis = SweepAxis.Stages with { Values = [1, 2] };
        var dir = Path.Combine(_cli.Directory, "results");

        var files = SweepRunner.Run(axis, Tiny, rounds: 1, dir, "pipeline bench --sweep stages --ports busy-poll", _cli.Context(), CancellationToken.None, BenchPorts.BusyPoll);

        Assert.Equal(["sweep-stages-busy-poll.csv", "sweep-stages-busy-poll.png", "sweep-stages-busy-poll.md"], files.Select(Path.GetFileName));
        var csv = File.ReadAllLines(Path.Combine(dir, "sweep-stages-busy-poll.csv"));
        Assert.Equal(
            ["stages,pipeline,1,pipeline-1,64,256,1,busy-poll", "stages,pipeline,2,pipeline-2,64,256,2,busy-poll"],
            csv[1..].Select(l => string.Join(',', l.Split(',')[..8])));
        var md = File.ReadAllText(Path.Combine(dir, "sweep-stages-busy-poll.md"));
        Assert.Contains("64-byte frames, batch-size 256; pipeline ports: busy-poll.", md, StringComparison.Ordinal);
        Assert.Contains("![Mpps versus number of stages](sweep-stages-busy-poll.png)", md, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sweep_of_fused_pipelines_on_a_thread_of_their_own_is_written_under_its_own_names()
    {
        var axis = SweepAxis.Stages with { Values = [2] };
        var dir = Path.Combine(_cli.Directory, "results");

        var files = SweepRunner.Run(
            axis, Tiny, rounds: 1, dir, "pipeline bench --sweep stages --fuse --threads 1", _cli.Context(), CancellationToken.None, runtime: new BenchRuntime(Fuse: true, Threads: 1));

        Assert.Equal(["sweep-stages-fuse-threads1.csv", "sweep-stages-fuse-threads1.png", "sweep-stages-fuse-threads1.md"], files.Select(Path.GetFileName));
        var csv = File.ReadAllLines(Path.Combine(dir, "sweep-stages-fuse-threads1.csv"));
        Assert.Equal(["stages,pipeline,2,pipeline-2,64,256,2,actor,true,1"], csv[1..].Select(l => string.Join(',', l.Split(',')[..10])));
        Assert.All(csv[1..], l => Assert.Contains(",ok,", l, StringComparison.Ordinal));
        var md = File.ReadAllText(Path.Combine(dir, "sweep-stages-fuse-threads1.md"));
        Assert.Contains("64-byte frames, batch-size 256; pipeline runtime: fuse, threads: 1.", md, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("batch", "batch")]
    [InlineData("STAGES", "stages")]
    [InlineData("size", "size")]
    [InlineData("all", "batch stages size")]
    public void Sweep_names_pick_their_axes(string text, string names)
    {
        Assert.True(SweepAxis.TryParse(text, out var axes));
        Assert.Equal(names, string.Join(' ', axes.Select(a => a.Name)));
    }

    [Fact]
    public void The_sweeps_cover_the_ranges_the_issue_asks_for()
    {
        Assert.Equal(1, SweepAxis.Batch.Values[0]);
        Assert.Equal(512, SweepAxis.Batch.Values[^1]);
        Assert.Equal(Enumerable.Range(1, 16), SweepAxis.Stages.Values);
        Assert.Equal(64, SweepAxis.Size.Values[0]);
        Assert.Equal(9000, SweepAxis.Size.Values[^1]);
        Assert.Equal("pipeline-16", SweepAxis.Stages.CaseFor("pipeline", 16).Scenario.Name);
    }
}
