using Pipeline.Stages;
using Spectre.Console;

namespace Pipeline.Cli.Tests;

/// <summary>A temp directory for pipeline files, a registry of test stages, and a context that captures output.</summary>
public sealed class CliFixture : IDisposable
{
    private readonly StringWriter _out = new() { NewLine = "\n" };
    private readonly StringWriter _error = new() { NewLine = "\n" };

    public CliFixture()
    {
        Directory = Path.Combine(Path.GetTempPath(), "pipeline-cli-tests-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(Directory);
        Registry = new StageRegistry().Register<TagStage>().Register<PassStage>().Register<WindowStage>();
    }

    public string Directory { get; }

    public StageRegistry Registry { get; }

    public string Out => _out.ToString();

    public string Error => _error.ToString();

    /// <summary>A context writing plain text (as when output is redirected), or to <paramref name="ansi"/>.</summary>
    internal CliContext Context(IAnsiConsole? ansi = null, Runtime.PipelineRuntimeOptions? runtime = null) => new()
    {
        Registry = Registry,
        Out = _out,
        Error = _error,
        Ansi = ansi,
        RuntimeOptions = runtime,
    };

    /// <summary>Writes <paramref name="yaml"/> to a file in the temp directory; returns its path.</summary>
    public string Write(string name, string yaml)
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllText(path, yaml.ReplaceLineEndings("\n"));
        return path;
    }

    public void Dispose()
    {
        _out.Dispose();
        _error.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
