using Pipeline.Config;
using Spectre.Console;

namespace Pipeline.Cli.Console;

/// <summary>
/// The live view on an interactive terminal: a Spectre table redrawn on every report (about four times a
/// second) with one row per stage and per port side: packets, rate, bytes, Gbit/s and drops. It is
/// cleared when the run ends, for the final table to take its place.
/// </summary>
internal sealed class LiveView(IAnsiConsole console, PipelineDefinition definition) : ProgressView
{
    private readonly TrafficSampler _sampler = new(definition);

    /// <inheritdoc/>
    public override async Task<T> ShowAsync<T>(Func<ProgressReport, Task<T>> body)
    {
        T result = default!;
        await console.Live(Build(TimeSpan.Zero, []))
            .AutoClear(true)
            .Overflow(VerticalOverflow.Ellipsis)
            .StartAsync(async live =>
            {
                result = await body((elapsed, counters) =>
                {
                    live.UpdateTarget(Build(elapsed, _sampler.Sample(counters, elapsed)));
                    live.Refresh();
                }).ConfigureAwait(false);
            }).ConfigureAwait(false);
        return result;
    }

    /// <summary>The table for <paramref name="rows"/>.</summary>
    public Table Build(TimeSpan elapsed, IReadOnlyList<TrafficRow> rows)
    {
        var table = new ReportTable("node", "role", "packets>", "rate>", "bytes>", "Gbit/s>", "drops>");
        foreach (var row in rows)
        {
            table.Add(
                row.Node,
                row.Role,
                Units.Count(row.Packets),
                Units.PacketRate(row.PacketsPerSecond),
                Units.Count(row.Bytes),
                Units.Gbits(row.BitsPerSecond),
                Units.Count(row.Drops));
        }

        var spectre = table.ToSpectre();
        spectre.Title = new TableTitle($"{definition.Name}  t={Units.Seconds(elapsed)}s");
        spectre.Caption = new TableTitle("Ctrl-C stops (a second Ctrl-C aborts)");
        return spectre;
    }
}
