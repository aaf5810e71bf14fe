using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;

namespace Pipeline.Benchmarks.Configurations;

/// <summary>
/// The config every benchmark here runs with: BenchmarkDotNet's defaults (columns, exporters, the CSV report
/// the scripts parse), the memory diagnoser, and the <see cref="MppsColumn"/>.
/// </summary>
/// <remarks>
/// The job is a default job (a class's own job attribute replaces it): one launch, 3 warmup and 10 measured
/// iterations, so a whole area runs in minutes on a shared 2-vCPU machine. Time is only reported, never gated
/// (allocations are, see bench/expected-allocations.json). BenchmarkDotNet's <c>--job</c> is ignored while a
/// config has a default job; change the run with <c>--launchCount</c>, <c>--warmupCount</c> and
/// <c>--iterationCount</c> instead (e.g. <c>--warmupCount 1 --iterationCount 3</c> for a quick look).
/// </remarks>
public sealed class BenchConfig : ManualConfig
{
    public BenchConfig()
    {
        Add(DefaultConfig.Instance);
        AddJob(Job.Default
            .WithLaunchCount(1)
            .WithWarmupCount(3)
            .WithIterationCount(10)
            .WithId("Pipe")
            .AsDefault());
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(MppsColumn.Default);
    }
}
