namespace Pipeline.Cli.Bench;

/// <summary>
/// One scaling sweep: the values of one knob, the series measured at each (one line in the plot, one column
/// group in the table), and how a (series, value) pair becomes a case.
/// </summary>
/// <param name="Name">The name after <c>--sweep</c>, and in the file names (<c>sweep-NAME.*</c>).</param>
/// <param name="Title">The plot's and the page's title.</param>
/// <param name="XLabel">The knob, as the x axis reads.</param>
/// <param name="Values">The knob's values, in order.</param>
/// <param name="Series">The series' names.</param>
/// <param name="LogX">Plot x on a log2 scale (values that double).</param>
/// <param name="Fixed">What the other knobs are held at, in words.</param>
/// <param name="CaseFor">The case for a series at a value.</param>
internal sealed record SweepAxis(
    string Name,
    string Title,
    string XLabel,
    IReadOnlyList<int> Values,
    IReadOnlyList<string> Series,
    bool LogX,
    string Fixed,
    Func<string, int, BenchCase> CaseFor)
{
    /// <summary>The names <c>--sweep</c> takes.</summary>
    public const string Names = "batch, stages, size, all";

    private static readonly BenchScenario[] OneThreadAndPipeline = [BenchScenario.Pipe, BenchScenario.Vale, BenchScenario.Pipeline3];

    /// <summary>Mpps versus batch size, 1 to 512: pipe, vale and pipeline-3 at their default frame size.</summary>
    public static SweepAxis Batch { get; } = new(
        "batch",
        "Mpps versus batch size",
        "batch (packets per sync; pipeline: batch-size)",
        [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
        [.. OneThreadAndPipeline.Select(s => s.Name)],
        LogX: true,
        "64-byte frames (vale: 60)",
        static (series, batch) => new BenchCase(Scenario(series), Scenario(series).DefaultSizes[0], batch));

    /// <summary>Mpps versus the number of stages, 1 to 16: pipeline-N with 64-byte frames and batch-size 256.</summary>
    public static SweepAxis Stages { get; } = new(
        "stages",
        "Mpps versus number of stages",
        "stages in the chain (vlan-push/vlan-pop pairs, a counter when odd)",
        [.. Enumerable.Range(1, BenchScenario.MaxStages)],
        ["pipeline"],
        LogX: false,
        "64-byte frames, batch-size 256",
        static (_, stages) => new BenchCase(BenchScenario.Pipeline(stages), 64, BenchScenario.Pipeline3.DefaultBatch));

    /// <summary>Mpps (and Gbit/s) versus frame size, 64 to 9000 bytes: pipe, vale and pipeline-3 at their default batch.</summary>
    public static SweepAxis Size { get; } = new(
        "size",
        "Mpps versus frame size",
        "frame bytes (without FCS; above a buffer, several slots)",
        [64, 128, 256, 512, 1024, 1500, 2048, 4096, 9000],
        [.. OneThreadAndPipeline.Select(s => s.Name)],
        LogX: true,
        "batch 32 (pipeline: batch-size 256); 2048-byte buffers, so 4096 and 9000 take several slots. pipe and the pipeline move slots and write only the headers (zero-copy: their Gbit/s grows with the size for free); vale copies every byte",
        static (series, size) => new BenchCase(Scenario(series), size, Scenario(series).DefaultBatch));

    /// <summary>Every sweep, in the order <c>all</c> runs them.</summary>
    public static IReadOnlyList<SweepAxis> All { get; } = [Batch, Stages, Size];

    /// <summary>Reads a <c>--sweep</c> value: one sweep, or <c>all</c>.</summary>
    public static bool TryParse(string text, out IReadOnlyList<SweepAxis> axes)
    {
        axes = text.Trim().ToLowerInvariant() switch
        {
            "batch" => [Batch],
            "stages" => [Stages],
            "size" => [Size],
            "all" => All,
            _ => [],
        };
        return axes.Count > 0;
    }

    private static BenchScenario Scenario(string name) =>
        BenchScenario.TryParse(name, out var scenario) ? scenario : throw new ArgumentException($"no scenario '{name}'", nameof(name));
}
