using System.Globalization;
using System.Text;
using System.Text.Json;
using Pipeline.Cli.Console;

namespace Pipeline.Cli.Bench;

/// <summary>Writes bench results as a table, CSV, JSON or markdown.</summary>
internal static class BenchReport
{
    /// <summary>The CSV header, in column order.</summary>
    public const string CsvHeader = "scenario,size,batch,stages,ports,fuse,threads,polled,packets,seconds,mpps,gbps,ns_per_packet,alloc_bytes_per_packet,alloc_scope,gc0,gc1,gc2,rounds,status,note";

    /// <summary>Writes <paramref name="results"/> to the context's output in <paramref name="format"/>.</summary>
    public static void Write(IReadOnlyList<BenchResult> results, BenchFormat format, CliContext context)
    {
        switch (format)
        {
            case BenchFormat.Csv:
                context.Out.Write(Csv(results));
                break;
            case BenchFormat.Json:
                context.Out.Write(Json(results));
                break;
            case BenchFormat.Markdown:
                context.Out.Write(Markdown(results));
                break;
            default:
                Table(results).WriteTo(context);
                break;
        }
    }

    /// <summary>scenario, size, batch, Mpps, Gbit/s, ns/packet, allocated B/packet, GC 0/1/2, note.</summary>
    public static ReportTable Table(IReadOnlyList<BenchResult> results)
    {
        var table = new ReportTable("scenario", "size>", "batch>", "Mpps>", "Gbit/s>", "ns/packet>", "alloc B/packet>", "GC 0/1/2", "note");
        foreach (var row in Rows(results))
        {
            table.Add(row);
        }

        return table;
    }

    /// <summary>One line per case under <see cref="CsvHeader"/>; numbers in the invariant culture.</summary>
    public static string Csv(IReadOnlyList<BenchResult> results)
    {
        var text = new StringBuilder(CsvHeader).Append('\n');
        foreach (var r in results)
        {
            text.Append(Invariant($"{r.Case.Scenario.Name},{r.Case.Size},{r.Case.Batch},{r.Case.Scenario.Stages},{r.Case.Ports.Name()},"));
            text.Append(Invariant($"{(r.Case.Runtime.Fuse ? "true" : "false")},{r.Case.Runtime.Threads},{(r.Case.Runtime.Polled ? "true" : "false")},"));
            if (r.Ran)
            {
                text.Append(Invariant($"{r.Packets},{r.Elapsed.TotalSeconds:F4},{r.Mpps:F4},{r.Gbps:F4},{r.NsPerPacket:F3},{r.AllocatedPerPacket:F4},"));
                text.Append(Invariant($"{Scope(r)},{r.Gen0},{r.Gen1},{r.Gen2},{r.Rounds},ok,"));
                if (r.Note is { } note)
                {
                    text.Append(Quote(note));
                }
            }
            else
            {
                text.Append(",,,,,,,,,,0,").Append(r.Failure is null ? "unavailable," : "failed,").Append(Quote(r.Unavailable ?? r.Failure!));
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    /// <summary>A JSON array: one object per case, with the machine line.</summary>
    public static string Json(IReadOnlyList<BenchResult> results)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartArray();
            foreach (var r in results)
            {
                json.WriteStartObject();
                json.WriteString("scenario", r.Case.Scenario.Name);
                json.WriteNumber("size", r.Case.Size);
                json.WriteNumber("batch", r.Case.Batch);
                json.WriteNumber("stages", r.Case.Scenario.Stages);
                json.WriteString("ports", r.Case.Ports.Name());
                json.WriteBoolean("fuse", r.Case.Runtime.Fuse);
                if (r.Case.Runtime.Threads is { } threads)
                {
                    json.WriteNumber("threads", threads);
                }
                else
                {
                    json.WriteNull("threads");
                }

                json.WriteBoolean("polled", r.Case.Runtime.Polled);

                if (r.Ran)
                {
                    json.WriteString("status", "ok");
                    json.WriteNumber("packets", r.Packets);
                    json.WriteNumber("seconds", Math.Round(r.Elapsed.TotalSeconds, 4));
                    json.WriteNumber("mpps", Math.Round(r.Mpps, 4));
                    json.WriteNumber("gbps", Math.Round(r.Gbps, 4));
                    json.WriteNumber("nsPerPacket", Math.Round(r.NsPerPacket, 3));
                    json.WriteNumber("allocatedBytesPerPacket", Math.Round(r.AllocatedPerPacket, 4));
                    json.WriteString("allocationScope", Scope(r));
                    json.WriteNumber("gc0", r.Gen0);
                    json.WriteNumber("gc1", r.Gen1);
                    json.WriteNumber("gc2", r.Gen2);
                    json.WriteNumber("rounds", r.Rounds);
                    if (r.Note is { } note)
                    {
                        json.WriteString("note", note);
                    }
                }
                else
                {
                    json.WriteString("status", r.Failure is null ? "unavailable" : "failed");
                    json.WriteString("note", r.Unavailable ?? r.Failure);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <summary>A markdown table with the same columns as <see cref="Table"/>.</summary>
    public static string Markdown(IReadOnlyList<BenchResult> results)
    {
        var text = new StringBuilder();
        text.Append("| scenario | size | batch | Mpps | Gbit/s | ns/packet | alloc B/packet | GC 0/1/2 | note |\n");
        text.Append("|---|---:|---:|---:|---:|---:|---:|---|---|\n");
        foreach (var row in Rows(results))
        {
            text.Append("| ").Append(string.Join(" | ", row)).Append(" |\n");
        }

        return text.ToString();
    }

    /// <summary>The cells of <see cref="Table"/>, row by row.</summary>
    private static IEnumerable<string[]> Rows(IReadOnlyList<BenchResult> results)
    {
        foreach (var r in results)
        {
            yield return r.Ran
                ? [r.Case.Scenario.Name, Int(r.Case.Size), Int(r.Case.Batch), F(r.Mpps, 2), F(r.Gbps, 2), F(r.NsPerPacket, 1), Allocated(r.AllocatedPerPacket), Invariant($"{r.Gen0}/{r.Gen1}/{r.Gen2}"), Note(r)]
                : [r.Case.Scenario.Name, Int(r.Case.Size), Int(r.Case.Batch), "-", "-", "-", "-", "-", r.Problem!];
        }
    }

    /// <summary>0 exactly when nothing was allocated, else three decimals.</summary>
    public static string Allocated(double bytesPerPacket) => bytesPerPacket == 0 ? "0" : F(bytesPerPacket, 3);

    private static string Note(BenchResult r)
    {
        var notes = new List<string>(5);
        if (r.Case.Ports != BenchPorts.Actor)
        {
            notes.Add("ports: " + r.Case.Ports.Name());
        }

        notes.AddRange(r.Case.Runtime.Notes());

        if (r.ProcessWideAllocations)
        {
            notes.Add("alloc: all threads");
        }

        if (r.Rounds > 1)
        {
            notes.Add(Invariant($"median of {r.Rounds}"));
        }

        if (r.Note is { } note)
        {
            notes.Add(note);
        }

        return string.Join("; ", notes);
    }

    private static string Scope(BenchResult r) => r.ProcessWideAllocations ? "process" : "thread";

    private static string Quote(string text) => "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string F(double value, int decimals) => value.ToString("F" + Int(decimals), CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
