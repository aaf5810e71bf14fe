using System.Diagnostics;

namespace Pipeline.Cli.Bench;

/// <summary>
/// Runs one case: sets its scenario up, warms it up, measures packets, time, allocations and collections
/// over a fixed window, checks that nothing was lost, and tears it down (every buffer back in the arena).
/// </summary>
internal static class BenchRunner
{
    private const long MinChunk = 64;
    private const long MaxChunk = 1 << 24;
    private const int WarmupCalls = 50;

    // A chunk is the unit between two clock reads: long enough that reading the clock costs nothing, short
    // enough that the window ends close to its planned length.
    private static readonly TimeSpan ChunkTarget = TimeSpan.FromMilliseconds(10);

    /// <summary>Measures <paramref name="benchCase"/>, or says why it cannot run here.</summary>
    /// <exception cref="BenchFailedException">The scenario lost or damaged a packet, or stalled.</exception>
    public static BenchResult Run(BenchCase benchCase, BenchTiming timing, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(benchCase);
        if (benchCase.Scenario.Unavailable is { } why)
        {
            return new BenchResult(benchCase) { Unavailable = why };
        }

        using var loop = Create(benchCase);
        var result = Measure(loop, benchCase, timing, stop);
        loop.Complete();
        return loop.Note is { } note ? result with { Note = note } : result;
    }

    /// <summary>Runs <paramref name="cases"/> <paramref name="rounds"/> times, round-robin, and keeps each case's median run (by Mpps).</summary>
    public static IReadOnlyList<BenchResult> RunRounds(IReadOnlyList<BenchCase> cases, int rounds, BenchTiming timing, Action<BenchResult>? progress, CancellationToken stop)
    {
        var runs = new List<BenchResult>[cases.Count];
        for (var c = 0; c < cases.Count; c++)
        {
            runs[c] = [];
        }

        for (var round = 0; round < rounds && !stop.IsCancellationRequested; round++)
        {
            for (var c = 0; c < cases.Count && !stop.IsCancellationRequested; c++)
            {
                if (round > 0 && cases[c].Scenario.Unavailable is not null)
                {
                    continue; // said once is enough
                }

                BenchResult result;
                try
                {
                    result = Run(cases[c], timing, stop);
                }
                catch (Exception ex) when (ex is BenchFailedException or Netmap.Io.NetmapException or Netmap.Io.Memory.ArenaException)
                {
                    result = new BenchResult(cases[c]) { Failure = ex.Message };
                }

                runs[c].Add(result);
                progress?.Invoke(result);
            }
        }

        var medians = new List<BenchResult>(cases.Count);
        foreach (var list in runs)
        {
            if (list.Find(static r => r.Failure is not null) is { } failed)
            {
                medians.Add(failed); // one failed round fails the case
            }
            else if (list.Count > 0)
            {
                list.Sort(static (a, b) => a.Mpps.CompareTo(b.Mpps));
                medians.Add(list[list.Count / 2] with { Rounds = list.Count });
            }
        }

        return medians;
    }

    /// <summary>The scenario's setup for <paramref name="benchCase"/>.</summary>
    internal static IBenchLoop Create(BenchCase benchCase) => benchCase.Scenario.Kind switch
    {
        ScenarioKind.Pipe => new PipeLoop(benchCase.Size, benchCase.Batch),
        ScenarioKind.Vale => new ValeLoop(benchCase.Size, benchCase.Batch),
        ScenarioKind.Pipeline => new PipelineLoop(benchCase.Scenario, benchCase.Size, benchCase.Batch, benchCase.Ports, benchCase.Runtime),
        ScenarioKind.AfPacket => new AfPacketLoop(benchCase.Size, benchCase.Batch, benchCase.Ports),
        _ => throw new InvalidOperationException($"{benchCase.Scenario.Name} cannot run here"),
    };

    /// <summary>Warms <paramref name="loop"/> up, then measures it for <see cref="BenchTiming.Duration"/>.</summary>
    internal static BenchResult Measure(IBenchLoop loop, BenchCase benchCase, BenchTiming timing, CancellationToken stop)
    {
        // Warm-up: tiered JIT compiles the loop, pools fill; the chunk grows until one takes about 10 ms. At
        // least WarmupCalls calls, so the loop is called often enough to be recompiled at tier 1 (30 calls).
        var chunk = MinChunk;
        var warmupEnd = Stopwatch.GetTimestamp() + Ticks(timing.Warmup);
        var calls = 0;
        do
        {
            calls++;
            var t0 = Stopwatch.GetTimestamp();
            loop.Run(chunk);
            var took = Stopwatch.GetElapsedTime(t0);
            if (took < ChunkTarget / 2 && chunk < MaxChunk)
            {
                chunk *= 2;
            }
            else if (took > ChunkTarget * 4 && chunk > MinChunk)
            {
                chunk /= 2;
            }
        }
        while ((Stopwatch.GetTimestamp() < warmupEnd || calls < WarmupCalls) && !stop.IsCancellationRequested);

        var processWide = loop.ProcessWide;
        var gen0 = GC.CollectionCount(0);
        var gen1 = GC.CollectionCount(1);
        var gen2 = GC.CollectionCount(2);
        var allocated = processWide ? GC.GetTotalAllocatedBytes(precise: true) : GC.GetAllocatedBytesForCurrentThread();
        var start = Stopwatch.GetTimestamp();
        var end = start + Ticks(timing.Duration);
        long packets = 0;
        long now;
        do
        {
            packets += loop.Run(chunk);
            now = Stopwatch.GetTimestamp();
        }
        while (now < end && !stop.IsCancellationRequested);

        var elapsed = Stopwatch.GetElapsedTime(start, now);
        allocated = (processWide ? GC.GetTotalAllocatedBytes(precise: true) : GC.GetAllocatedBytesForCurrentThread()) - allocated;
        return new BenchResult(benchCase)
        {
            Packets = packets,
            Elapsed = elapsed,
            AllocatedBytes = allocated,
            ProcessWideAllocations = processWide,
            Gen0 = GC.CollectionCount(0) - gen0,
            Gen1 = GC.CollectionCount(1) - gen1,
            Gen2 = GC.CollectionCount(2) - gen2,
        };
    }

    private static long Ticks(TimeSpan time) => (long)(time.TotalSeconds * Stopwatch.Frequency);
}
