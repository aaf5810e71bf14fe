namespace Stages.Tests;

/// <summary>What a stage allocates per batch once warmed up.</summary>
internal static class SteadyState
{
    private const int Warmup = 200;
    private const int Short = 1_000;
    private const int Long = 20_000;

    /// <summary>How many times <see cref="BytesPerBatch"/> calls its action (for tests that count what it did).</summary>
    public const int Calls = Warmup + Short + Long;

    /// <summary>
    /// Bytes <paramref name="oneBatch"/> allocates per call in steady state: after a warm-up, a short and a long run
    /// are measured and the difference divided by the extra calls. Any allocation per call (24 bytes at least) shows
    /// whole; a one-off in either run (the runtime's own, seen once as ~6 KB under CI's load) does not.
    /// </summary>
    public static long BytesPerBatch(Action oneBatch)
    {
        Run(oneBatch, Warmup);
        var small = Run(oneBatch, Short);
        var large = Run(oneBatch, Long);
        return Math.Max(0, (large - small) / (Long - Short));
    }

    private static long Run(Action oneBatch, int times)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var n = 0; n < times; n++)
        {
            oneBatch();
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
