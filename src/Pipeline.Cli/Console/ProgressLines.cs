using Pipeline.Config;

namespace Pipeline.Cli.Console;

/// <summary>
/// Progress for a log or a dumb terminal: one line a second,
/// <c>t=2.0s wan rx 1234 (617 pps), tag 1234 (617 pps), lan tx 1234 (617 pps)</c>, with
/// <c>drops N</c> after a node that dropped packets.
/// </summary>
internal sealed class ProgressLines(TextWriter output, PipelineDefinition definition) : ProgressView
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly TrafficSampler _sampler = new(definition);
    private TimeSpan _next = Interval;

    /// <inheritdoc/>
    public override Task<T> ShowAsync<T>(Func<ProgressReport, Task<T>> body) => body(Report);

    /// <summary>The line for <paramref name="rows"/> at <paramref name="elapsed"/>.</summary>
    public static string Line(TimeSpan elapsed, IReadOnlyList<TrafficRow> rows) =>
        $"t={Units.Seconds(elapsed)}s " + string.Join(", ", rows.Select(Fragment));

    private void Report(TimeSpan elapsed, IReadOnlyList<Metrics.NodeCountersSnapshot> counters)
    {
        if (elapsed < _next)
        {
            return;
        }

        while (_next <= elapsed)
        {
            _next += Interval;
        }

        output.WriteLine(Line(elapsed, _sampler.Sample(counters, elapsed)));
        output.Flush();
    }

    private static string Fragment(TrafficRow row)
    {
        var name = row.Role == "stage" ? row.Node : $"{row.Node} {row.Role}";
        var drops = row.Drops > 0 ? $" drops {Units.Count(row.Drops)}" : string.Empty;
        return $"{name} {Units.Count(row.Packets)} ({Units.PacketRate(row.PacketsPerSecond)}){drops}";
    }
}
