using Pipeline.Config;
using Pipeline.Plugins;
using Pipeline.Runtime;
using Pipeline.Stages;
using Spectre.Console;

namespace Pipeline.Cli;

/// <summary>
/// What every command works with: the stage types a pipeline can name, the plugin loader, and where output
/// goes. Tests build one over string writers and a registry of test stages.
/// </summary>
internal sealed class CliContext
{
    /// <summary>The host's stage types; a pipeline's plugins go into a copy (the loader clones it).</summary>
    public required StageRegistry Registry { get; init; }

    /// <summary>Loads the assemblies a file lists under <c>plugins:</c>. <b>Default:</b> a new <see cref="PluginLoader"/>.</summary>
    public IPluginResolver Plugins { get; init; } = new PluginLoader();

    /// <summary>Standard output for plain text (validate, graph, the plain tables and progress lines).</summary>
    public required TextWriter Out { get; init; }

    /// <summary>Standard error: configuration errors and failures.</summary>
    public required TextWriter Error { get; init; }

    /// <summary>
    /// A terminal to draw Spectre tables and the live view on; null when standard output is redirected, and
    /// then tables are plain aligned text on <see cref="Out"/> and progress is one line per second.
    /// </summary>
    public IAnsiConsole? Ansi { get; init; }

    /// <summary>
    /// How <c>run</c> starts pipelines (<c>--checked</c> is added to it); null for the defaults. Tests set a
    /// shared <see cref="PipelineRuntimeOptions.Domain"/> to feed a pipeline through pipes.
    /// </summary>
    public PipelineRuntimeOptions? RuntimeOptions { get; init; }

    /// <summary>The process's console: Spectre when standard output is a terminal, plain text otherwise.</summary>
    public static CliContext ForProcess(StageRegistry registry) => new()
    {
        Registry = registry,
        Out = global::System.Console.Out,
        Error = global::System.Console.Error,
        Ansi = global::System.Console.IsOutputRedirected ? null : AnsiConsole.Console,
    };
}
