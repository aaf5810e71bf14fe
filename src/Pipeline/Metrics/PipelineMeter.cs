using System.Diagnostics;
using System.Diagnostics.Metrics;
using Pipeline.Stages;

namespace Pipeline.Metrics;

/// <summary>
/// Publishes a pipeline's counters through System.Diagnostics.Metrics (meter <c>Pipeline</c>), so
/// dotnet-counters, OpenTelemetry and other standard tooling can read them:
/// <c>pipeline.packets</c> and <c>pipeline.bytes</c> (tags: pipeline, node, direction in|out) and
/// <c>pipeline.drops</c> (tags: pipeline, node, reason).
/// </summary>
public sealed class PipelineMeter : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Pipeline";

    private readonly Meter _meter;

    /// <summary>Starts publishing <paramref name="counters"/> for pipeline <paramref name="pipeline"/>.</summary>
    public PipelineMeter(string pipeline, IReadOnlyList<NodeCounters> counters)
    {
        _meter = new Meter(MeterName);
        _meter.CreateObservableCounter("pipeline.packets", () => Measure(pipeline, counters, static c => c.InPackets, static c => c.OutPackets), "packets");
        _meter.CreateObservableCounter("pipeline.bytes", () => Measure(pipeline, counters, static c => c.InBytes, static c => c.OutBytes), "bytes");
        _meter.CreateObservableCounter("pipeline.drops", () => Drops(pipeline, counters), "packets");
    }

    /// <summary>Stops publishing.</summary>
    public void Dispose() => _meter.Dispose();

    private static List<Measurement<long>> Measure(string pipeline, IReadOnlyList<NodeCounters> counters, Func<NodeCounters, long> @in, Func<NodeCounters, long> @out)
    {
        var list = new List<Measurement<long>>(counters.Count * 2);
        foreach (var c in counters)
        {
            list.Add(new Measurement<long>(@in(c), new TagList { { "pipeline", pipeline }, { "node", c.Name }, { "direction", "in" } }));
            list.Add(new Measurement<long>(@out(c), new TagList { { "pipeline", pipeline }, { "node", c.Name }, { "direction", "out" } }));
        }

        return list;
    }

    private static List<Measurement<long>> Drops(string pipeline, IReadOnlyList<NodeCounters> counters)
    {
        var list = new List<Measurement<long>>();
        foreach (var c in counters)
        {
            for (var r = 0; r < DropReasons.Count; r++)
            {
                var reason = (DropReason)r;
                var n = c.Drops(reason);
                if (n != 0)
                {
                    list.Add(new Measurement<long>(n, new TagList { { "pipeline", pipeline }, { "node", c.Name }, { "reason", DropReasons.Name(reason) } }));
                }
            }
        }

        return list;
    }
}
