using System.Globalization;
using System.Text;

namespace Pipeline.Cli.Bench;

/// <summary>
/// Runs a scaling sweep and writes it under an output folder: <c>sweep-NAME.csv</c> (every figure),
/// <c>sweep-NAME.md</c> (a table and how it was made) and <c>sweep-NAME.png</c> (Mpps per series; the size
/// sweep adds <c>sweep-size-gbps.png</c>). With pipeline ports other than actor-driven, NAME is followed by
/// the mode (<c>sweep-stages-busy-poll.*</c>), and with a <c>runtime:</c> section by its keys
/// (<c>sweep-stages-fuse-threads1.*</c>).
/// </summary>
internal static class SweepRunner
{
    /// <summary>Runs <paramref name="axis"/> and writes its files; returns the files written.</summary>
    /// <param name="axis">The sweep.</param>
    /// <param name="timing">Warm-up and window per point.</param>
    /// <param name="rounds">Runs per point (round-robin over all points), the median kept.</param>
    /// <param name="outDir">Where the files go (created if missing).</param>
    /// <param name="commandLine">The command that made them, for the page.</param>
    /// <param name="context">Progress lines go to its output.</param>
    /// <param name="stop">Cancels between points and ends the current one early.</param>
    /// <param name="ports">How the pipeline series' ports are driven.</param>
    /// <param name="runtime">The pipeline series' <c>runtime:</c> section; null for none.</param>
    public static IReadOnlyList<string> Run(
        SweepAxis axis, BenchTiming timing, int rounds, string outDir, string commandLine, CliContext context, CancellationToken stop,
        BenchPorts ports = BenchPorts.Actor, BenchRuntime? runtime = null)
    {
        // Pipelines with other ports or another runtime are another figure: their files say so (sweep-stages-busy-poll.*,
        // sweep-stages-fuse-threads1.*).
        runtime ??= BenchRuntime.Default;
        var stem = $"sweep-{axis.Name}";
        if (ports != BenchPorts.Actor)
        {
            var caseFor = axis.CaseFor;
            stem += "-" + ports.Name();
            axis = axis with { CaseFor = (series, x) => caseFor(series, x).WithPorts(ports), Fixed = $"{axis.Fixed}; pipeline ports: {ports.Name()}" };
        }

        if (!runtime.IsDefault)
        {
            var caseFor = axis.CaseFor;
            stem += "-" + runtime.FileSuffix();
            axis = axis with { CaseFor = (series, x) => caseFor(series, x).WithRuntime(runtime), Fixed = $"{axis.Fixed}; pipeline runtime: {string.Join(", ", runtime.Notes())}" };
        }

        var cases = new List<BenchCase>();
        foreach (var x in axis.Values)
        {
            foreach (var series in axis.Series)
            {
                cases.Add(axis.CaseFor(series, x));
            }
        }

        var results = BenchRunner.RunRounds(cases, rounds, timing, r => context.Out.WriteLine(Progress(axis, r)), stop);
        stop.ThrowIfCancellationRequested();

        Directory.CreateDirectory(outDir);
        var written = new List<string>();
        var csv = Path.Combine(outDir, stem + ".csv");
        File.WriteAllText(csv, Csv(axis, results));
        written.Add(csv);

        var png = Path.Combine(outDir, stem + ".png");
        SweepPlot.Save(png, axis.Title, axis.XLabel, "Mpps", axis.Values, Series(axis, results, r => r.Mpps), axis.LogX);
        written.Add(png);
        string? gbpsPng = null;
        if (axis.Name == SweepAxis.Size.Name)
        {
            gbpsPng = Path.Combine(outDir, stem + "-gbps.png");
            SweepPlot.Save(gbpsPng, "Gbit/s versus frame size", axis.XLabel, "Gbit/s (frame bytes)", axis.Values, Series(axis, results, r => r.Gbps), axis.LogX);
            written.Add(gbpsPng);
        }

        var md = Path.Combine(outDir, stem + ".md");
        File.WriteAllText(md, Markdown(axis, results, timing, rounds, commandLine, stem, gbpsPng is null ? null : Path.GetFileName(gbpsPng)));
        written.Add(md);
        return written;
    }

    /// <summary>The series of a sweep as plot lines: the metric per x value, NaN where no result.</summary>
    private static List<(string Name, double[] Y)> Series(SweepAxis axis, IReadOnlyList<BenchResult> results, Func<BenchResult, double> metric)
    {
        var lines = new List<(string, double[])>();
        for (var s = 0; s < axis.Series.Count; s++)
        {
            var y = new double[axis.Values.Count];
            for (var i = 0; i < y.Length; i++)
            {
                y[i] = Find(axis, results, s, i) is { Ran: true } r ? metric(r) : double.NaN;
            }

            lines.Add((axis.Series[s], y));
        }

        return lines;
    }

    private static BenchResult? Find(SweepAxis axis, IReadOnlyList<BenchResult> results, int series, int value)
    {
        var wanted = axis.CaseFor(axis.Series[series], axis.Values[value]);
        foreach (var r in results)
        {
            if (r.Case == wanted)
            {
                return r;
            }
        }

        return null;
    }

    private static string Csv(SweepAxis axis, IReadOnlyList<BenchResult> results)
    {
        var text = new StringBuilder("sweep,series,x,");
        var lines = BenchReport.Csv(results).Split('\n');
        text.Append(lines[0]).Append('\n');
        for (var s = 0; s < axis.Series.Count; s++)
        {
            for (var i = 0; i < axis.Values.Count; i++)
            {
                if (Find(axis, results, s, i) is { } r)
                {
                    text.Append(Invariant($"{axis.Name},{axis.Series[s]},{axis.Values[i]},"));
                    text.Append(BenchReport.Csv([r]).Split('\n')[1]).Append('\n');
                }
            }
        }

        return text.ToString();
    }

    private static string Markdown(SweepAxis axis, IReadOnlyList<BenchResult> results, BenchTiming timing, int rounds, string commandLine, string stem, string? gbpsPng)
    {
        var png = stem + ".png";
        var text = new StringBuilder();
        text.Append("# ").Append(axis.Title).Append("\n\n");
        text.Append("Made by `").Append(commandLine).Append("` on ")
            .Append(DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture))
            .Append(": ").Append(MachineInfo.Describe()).Append(".\n");
        text.Append(Invariant($"Each point: {timing.Warmup.TotalSeconds:0.##} s of warm-up, {timing.Duration.TotalSeconds:0.##} s measured"));
        text.Append(rounds > 1 ? Invariant($", the median of {rounds} rounds run round-robin") : string.Empty);
        text.Append("; ").Append(axis.Fixed).Append(".\n");
        text.Append("The machine is shared and noisy: read the shape and the ratios between series, not the absolute figures.\n");
        text.Append("Allocations of the pipeline series count every thread (actors, driver, Akka's scheduler); the others count the measuring thread.\n\n");
        text.Append("![").Append(axis.Title).Append("](").Append(png).Append(")\n\n");
        if (gbpsPng is not null)
        {
            text.Append("![Gbit/s versus frame size](").Append(gbpsPng).Append(")\n\n");
        }

        text.Append("| ").Append(axis.Name);
        foreach (var series in axis.Series)
        {
            text.Append(" | ").Append(series).Append(" Mpps");
            text.Append(axis.Name == SweepAxis.Size.Name ? $" | {series} Gbit/s" : string.Empty);
            text.Append(" | ").Append(series).Append(" B/packet");
        }

        text.Append(" |\n|---:");
        var columns = axis.Series.Count * (axis.Name == SweepAxis.Size.Name ? 3 : 2);
        for (var c = 0; c < columns; c++)
        {
            text.Append("|---:");
        }

        text.Append("|\n");
        for (var i = 0; i < axis.Values.Count; i++)
        {
            text.Append("| ").Append(axis.Values[i].ToString(CultureInfo.InvariantCulture));
            for (var s = 0; s < axis.Series.Count; s++)
            {
                var r = Find(axis, results, s, i);
                var ran = r is { Ran: true };
                text.Append(" | ").Append(ran ? Invariant($"{r!.Mpps:F2}") : "-");
                if (axis.Name == SweepAxis.Size.Name)
                {
                    text.Append(" | ").Append(ran ? Invariant($"{r!.Gbps:F2}") : "-");
                }

                text.Append(" | ").Append(ran ? BenchReport.Allocated(r!.AllocatedPerPacket) : "-");
            }

            text.Append(" |\n");
        }

        text.Append("\nEvery figure (ns/packet, GC counts, packets, seconds): [").Append(stem).Append(".csv](").Append(stem).Append(".csv).\n");
        return text.ToString();
    }

    private static string Progress(SweepAxis axis, BenchResult r) => r.Ran
        ? Invariant($"sweep {axis.Name}: {r.Case.Scenario.Name} size {r.Case.Size} batch {r.Case.Batch}: {r.Mpps:F2} Mpps, {BenchReport.Allocated(r.AllocatedPerPacket)} B/packet")
        : Invariant($"sweep {axis.Name}: {r.Case.Scenario.Name} size {r.Case.Size} batch {r.Case.Batch}: {r.Problem}");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
