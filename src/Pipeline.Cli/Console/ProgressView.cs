using Pipeline.Config;
using Pipeline.Metrics;

namespace Pipeline.Cli.Console;

/// <summary>Receives the counters of a running pipeline about four times a second.</summary>
/// <param name="elapsed">Time since the pipeline started.</param>
/// <param name="counters">Every port and stage, ports first, in file order.</param>
internal delegate void ProgressReport(TimeSpan elapsed, IReadOnlyList<NodeCountersSnapshot> counters);

/// <summary>
/// How <c>pipeline run</c> shows progress: a live Spectre table on an interactive terminal
/// (<see cref="LiveView"/>), one plain line per second otherwise (<see cref="ProgressLines"/>), or nothing
/// with <c>--quiet</c>.
/// </summary>
internal abstract class ProgressView
{
    /// <summary>The view that suits the context's output.</summary>
    public static ProgressView For(CliContext context, PipelineDefinition definition, bool quiet)
    {
        if (quiet)
        {
            return new QuietView();
        }

        if (context.Ansi is { Profile.Capabilities: { Interactive: true, Ansi: true } } ansi)
        {
            return new LiveView(ansi, definition);
        }

        return new ProgressLines(context.Out, definition);
    }

    /// <summary>Runs <paramref name="body"/>, which reports the counters to the view until it returns.</summary>
    public abstract Task<T> ShowAsync<T>(Func<ProgressReport, Task<T>> body);

    private sealed class QuietView : ProgressView
    {
        public override Task<T> ShowAsync<T>(Func<ProgressReport, Task<T>> body) => body((_, _) => { });
    }
}
