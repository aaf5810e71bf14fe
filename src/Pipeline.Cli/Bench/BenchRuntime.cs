using System.Globalization;
using System.Text;

namespace Pipeline.Cli.Bench;

/// <summary>
/// The <c>runtime:</c> section of a pipeline scenario's YAML (<c>pipeline bench --fuse</c> and <c>--threads N</c>):
/// stages fused into one actor, and the actors on a pool of N threads of the pipeline's own.
/// </summary>
/// <param name="Fuse"><c>fuse: true</c>: stages joined by pipes run in one actor.</param>
/// <param name="Threads"><c>threads: N</c>; null for Akka's default dispatcher.</param>
/// <param name="Polled">
/// <c>--polled</c>: the actors run on the measuring thread (<see cref="Pipeline.Runtime.PipelineRuntimeOptions.Polled"/>),
/// which polls the pipeline after each burst: generator, pipeline and sink on one core, as testpmd runs on one lcore.
/// Not a YAML key: the application that owns the thread chooses it.
/// </param>
internal sealed record BenchRuntime(bool Fuse = false, int? Threads = null, bool Polled = false)
{
    /// <summary>No <c>runtime:</c> section: the runtime's defaults.</summary>
    public static BenchRuntime Default { get; } = new();

    /// <summary>True when the YAML has no <c>runtime:</c> section.</summary>
    public bool IsDefault => !Fuse && Threads is null && !Polled;

    /// <summary>The section as one YAML line (with its newline), empty for the default.</summary>
    public string Yaml()
    {
        if (!Fuse && Threads is null)
        {
            return string.Empty;
        }

        var keys = new List<string>(2);
        if (Fuse)
        {
            keys.Add("fuse: true");
        }

        if (Threads is { } threads)
        {
            keys.Add(string.Create(CultureInfo.InvariantCulture, $"threads: {threads}"));
        }

        return new StringBuilder("runtime: { ").AppendJoin(", ", keys).Append(" }\n").ToString();
    }

    /// <summary>What the report's note says: <c>fuse</c>, <c>threads: 1</c>, or both; nothing for the default.</summary>
    public IEnumerable<string> Notes()
    {
        if (Fuse)
        {
            yield return "fuse";
        }

        if (Threads is { } threads)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"threads: {threads}");
        }

        if (Polled)
        {
            yield return "polled";
        }
    }

    /// <summary>The part of a sweep's file names: <c>fuse</c>, <c>threads1</c>, <c>fuse-threads1</c>; empty for the default.</summary>
    public string FileSuffix() => string.Join('-', Notes()).Replace(": ", string.Empty, StringComparison.Ordinal);
}
