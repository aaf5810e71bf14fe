using System.Collections.Concurrent;
using Pipeline.Runtime;
using Pipeline.Stages;

namespace Pipeline.Cluster.Tests.Support;

/// <summary>
/// A pass-through stage that records which of its instances saw which flow (the UDP source port): the test nodes run
/// in one process, so the instances on different nodes share the record.
/// </summary>
[Stage("record-flows", Summary = "Passes packets on, recording each flow's instance (tests)")]
public sealed class FlowRecorder : IPacketStage
{
    private static int s_instances;
    private readonly int _instance = Interlocked.Increment(ref s_instances);

    /// <summary>Flow (UDP source port) → the instances that saw it, per recording session (the options' key).</summary>
    public static ConcurrentDictionary<string, ConcurrentDictionary<int, ConcurrentDictionary<int, long>>> Sessions { get; } = new();

    private readonly ConcurrentDictionary<int, ConcurrentDictionary<int, long>> _flows;

    private readonly int _sleepMs;

    public FlowRecorder(FlowRecorderOptions options)
    {
        _flows = Sessions.GetOrAdd(options.Session, _ => new());
        _sleepMs = options.SleepMs;
    }

    public void OnBatch(PacketBatch batch, StageContext context)
    {
        if (_sleepMs > 0)
        {
            Thread.Sleep(_sleepMs); // a slow stage: the work a batch takes, not a timing assertion
        }

        var view = batch.Open();
        for (var i = 0; i < view.Count; i++)
        {
            var data = view[i].Data;
            var flow = (data[34] << 8) | data[35];
            _flows.GetOrAdd(flow, _ => new()).AddOrUpdate(_instance, 1, (_, n) => n + 1);
        }
    }
}

/// <summary>Options of <see cref="FlowRecorder"/>.</summary>
public sealed record FlowRecorderOptions
{
    /// <summary>A key that keeps one test's record apart from another's.</summary>
    public string Session { get; init; } = "default";

    /// <summary>Milliseconds to sleep per batch (a slow stage).</summary>
    public int SleepMs { get; init; }
}
