using System.CommandLine;
using System.Diagnostics.CodeAnalysis;
using Pipeline.Config;

namespace Pipeline.Cli.Commands;

/// <summary>The <c>FILE</c> argument and loading it the way every command does.</summary>
internal static class PipelineFile
{
    /// <summary>A new <c>FILE</c> argument (each command needs its own instance).</summary>
    public static Argument<string> Argument() => new("FILE") { Description = "The pipeline YAML file." };

    /// <summary>
    /// Loads <paramref name="file"/> with the context's stages and plugin loader; on failure every error is
    /// written to standard error as <c>FILE:LINE:COL: message</c>, one per line, in file order.
    /// </summary>
    public static bool TryLoad(string file, CliContext context, [NotNullWhen(true)] out PipelineDefinition? definition)
    {
        if (PipelineLoader.TryLoad(file, context.Registry, out definition, out var errors, context.Plugins))
        {
            return true;
        }

        foreach (var error in errors)
        {
            context.Error.WriteLine(error.ToString());
        }

        return false;
    }
}
