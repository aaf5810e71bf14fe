using Pipeline.Cli.Bench;

namespace Pipeline.Cli.Commands;

/// <summary>The arguments of <c>pipeline bench</c>.</summary>
/// <param name="Scenarios">What to run, in order (empty: <see cref="BenchScenario.Defaults"/>).</param>
/// <param name="Sizes">Frame sizes for every scenario; null for each scenario's own (64 and 1500, VALE 60 and 1500).</param>
/// <param name="Batches">Batches for every scenario; null for each scenario's own (32, pipelines 256).</param>
/// <param name="Timing">Warm-up and measured window per case.</param>
/// <param name="Rounds">Runs per case, round-robin; the median is reported.</param>
/// <param name="Format">How results are printed.</param>
/// <param name="Sweeps">Scaling sweeps to run instead of scenarios (empty: none).</param>
/// <param name="OutDir">Where sweeps write their files.</param>
/// <param name="CommandLine">The command as typed, for the sweep pages.</param>
/// <param name="Ports">How the pipeline scenarios' ports are driven; null for each scenario's default (see <see cref="BenchCase.WithPorts"/>).</param>
/// <param name="Runtime">The pipeline scenarios' <c>runtime:</c> section (<c>--fuse</c>, <c>--threads</c>); null for none.</param>
internal sealed record BenchSettings(
    IReadOnlyList<BenchScenario> Scenarios,
    IReadOnlyList<int>? Sizes,
    IReadOnlyList<int>? Batches,
    BenchTiming Timing,
    int Rounds = 1,
    BenchFormat Format = BenchFormat.Table,
    IReadOnlyList<SweepAxis>? Sweeps = null,
    string OutDir = BenchSettings.DefaultOutDir,
    string CommandLine = "pipeline bench",
    BenchPorts? Ports = null,
    BenchRuntime? Runtime = null)
{
    /// <summary>Where sweeps go unless <c>--out</c> says otherwise: the committed results, from the repository root.</summary>
    public const string DefaultOutDir = "bench/results";

    /// <summary>Every case the scenarios make: scenario by scenario, each size, each batch.</summary>
    public IReadOnlyList<BenchCase> Cases()
    {
        var cases = new List<BenchCase>();
        foreach (var scenario in Scenarios.Count > 0 ? Scenarios : BenchScenario.Defaults)
        {
            if (scenario.Unavailable is not null)
            {
                cases.Add(Pipelined(new BenchCase(scenario, (Sizes ?? scenario.DefaultSizes)[0], (Batches ?? [scenario.DefaultBatch])[0])));
                continue; // one line says why
            }

            foreach (var size in Sizes ?? scenario.DefaultSizes)
            {
                foreach (var batch in Batches ?? [scenario.DefaultBatch])
                {
                    cases.Add(Pipelined(new BenchCase(scenario, size, batch)));
                }
            }
        }

        return cases;
    }

    // A pipeline case with the ports and runtime asked for; the other scenarios as they are.
    private BenchCase Pipelined(BenchCase benchCase) => benchCase.WithPorts(Ports).WithRuntime(Runtime ?? BenchRuntime.Default);
}
