using System.Diagnostics.Metrics;
using Pipeline.Metrics;

namespace Pipeline.Tests.Runtime;

public sealed class MetricsTests : PipelineTestBase
{
    [Fact]
    public async Task Counters_are_published_through_System_Diagnostics_Metrics()
    {
        var definition = Define(
            [("wan", "netmap:m}0"), ("lan", "netmap:m{1")],
            [("split", "parity", null)],
            "wan -> split -> lan");
        var runtime = Start(definition);
        var tx = OpenEnd("netmap:m{0");
        var rx = OpenEnd("netmap:m}1");
        var packets = Enumerable.Range(0, 10).Select(i => { var p = Packet(100, i); p[0] = i == 3 ? (byte)0xFF : (byte)2; return p; }).ToList();
        SendAll(tx, packets, TimeSpan.FromSeconds(20));
        Receive(rx, 9, TimeSpan.FromSeconds(20));

        var seen = new List<(string Instrument, long Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PipelineMeter.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var dict = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                dict[tag.Key] = tag.Value;
            }

            lock (seen)
            {
                seen.Add((instrument.Name, value, dict));
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();

        Assert.Contains(seen, m => m.Instrument == "pipeline.packets" && (string?)m.Tags["node"] == "split" && (string?)m.Tags["direction"] == "in" && m.Value == 10);
        Assert.Contains(seen, m => m.Instrument == "pipeline.packets" && (string?)m.Tags["node"] == "lan" && (string?)m.Tags["direction"] == "out" && m.Value == 9);
        Assert.Contains(seen, m => m.Instrument == "pipeline.drops" && (string?)m.Tags["node"] == "split" && (string?)m.Tags["reason"] == "filtered" && m.Value == 1);
        Assert.Contains(seen, m => m.Instrument == "pipeline.bytes" && (string?)m.Tags["node"] == "wan" && m.Value == 1000);
        await runtime.StopAsync(TimeSpan.FromSeconds(20));
        CloseAndAudit();
    }
}
