using System.Diagnostics.CodeAnalysis;
using Pipeline.Stages;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Pipeline.Config;

/// <summary>
/// Reads a pipeline YAML file into a validated <see cref="PipelineDefinition"/>. It does not stop at the
/// first problem: every error in the file is reported as <c>FILE:LINE:COL: message</c>, in file order,
/// before anything starts.
/// </summary>
public static class PipelineLoader
{
    /// <summary>Reads and validates the file at <paramref name="path"/>; plugins resolve relative to its directory.</summary>
    /// <exception cref="ConfigException">Every error in the file, or one saying the file cannot be read.</exception>
    public static PipelineDefinition Load(string path, StageRegistry registry, IPluginResolver? plugins = null) =>
        TryLoad(path, registry, out var definition, out var errors, plugins) ? definition : throw new ConfigException(errors);

    /// <summary>
    /// Validates <paramref name="yaml"/>; errors name <paramref name="fileName"/>. Plugins resolve relative to
    /// <paramref name="baseDirectory"/>, by default the directory of <paramref name="fileName"/>.
    /// </summary>
    /// <exception cref="ConfigException">Every error in the text, in file order.</exception>
    public static PipelineDefinition Parse(
        string yaml, string fileName, StageRegistry registry, string? baseDirectory = null, IPluginResolver? plugins = null) =>
        TryParse(yaml, fileName, registry, out var definition, out var errors, baseDirectory, plugins) ? definition : throw new ConfigException(errors);

    /// <summary>Like <see cref="Load"/>, but returns the errors (in file order) instead of throwing them.</summary>
    public static bool TryLoad(
        string path,
        StageRegistry registry,
        [NotNullWhen(true)] out PipelineDefinition? definition,
        out IReadOnlyList<ConfigError> errors,
        IPluginResolver? plugins = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        string yaml;
        try
        {
            yaml = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            definition = null;
            errors = [new ConfigError(new SourceSpan(path, 1, 1), $"cannot read the file: {ex.Message}")];
            return false;
        }

        return TryParse(yaml, path, registry, out definition, out errors, DirectoryOf(path), plugins);
    }

    /// <summary>Like <see cref="Parse"/>, but returns the errors (in file order) instead of throwing them.</summary>
    public static bool TryParse(
        string yaml,
        string fileName,
        StageRegistry registry,
        [NotNullWhen(true)] out PipelineDefinition? definition,
        out IReadOnlyList<ConfigError> errors,
        string? baseDirectory = null,
        IPluginResolver? plugins = null)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(registry);
        var diagnostics = new ConfigDiagnostics(fileName, yaml);
        definition = null;
        if (LoadDocument(yaml, diagnostics) is { } root)
        {
            var reader = new PipelineReader(diagnostics, registry, baseDirectory ?? DirectoryOf(fileName), plugins);
            definition = reader.Read(root);
        }

        errors = diagnostics.Sorted();
        if (errors.Count > 0)
        {
            definition = null;
        }

        return definition is not null;
    }

    // The one document's root node, or null after reporting why there is none.
    private static YamlNode? LoadDocument(string yaml, ConfigDiagnostics diagnostics)
    {
        var parser = new Parser(new StringReader(yaml));
        var stream = new YamlStream();
        try
        {
            stream.Load(parser);
        }
        catch (YamlException ex)
        {
            diagnostics.Add(diagnostics.At(ex.Start), SyntaxMessage(ex));
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet 18.1 throws this (not a YamlException) when a '[' or '{' is still open at the end.
            var at = parser.Current is { } current ? diagnostics.At(current.Start) : new SourceSpan(diagnostics.File, 1, 1);
            diagnostics.Add(at, "invalid YAML: cannot parse past this point (is a '[' or '{' left open?)");
            return null;
        }

        if (stream.Documents.Count == 0)
        {
            diagnostics.Add(new SourceSpan(diagnostics.File, 1, 1), "the file is empty: expected a mapping with 'name', 'ports', 'stages' and 'pipes'");
            return null;
        }

        for (var i = 1; i < stream.Documents.Count; i++)
        {
            diagnostics.Add(stream.Documents[i].RootNode, "a pipeline file holds one YAML document: this is another one");
        }

        return stream.Documents[0].RootNode;
    }

    private static string SyntaxMessage(YamlException ex)
    {
        const string Duplicate = "Duplicate key ";
        return ex.Message.StartsWith(Duplicate, StringComparison.Ordinal)
            ? $"duplicate key '{ex.Message[Duplicate.Length..]}'"
            : $"invalid YAML: {ex.Message}";
    }

    private static string DirectoryOf(string path)
    {
        var directory = Path.GetDirectoryName(path);
        return string.IsNullOrEmpty(directory) ? Environment.CurrentDirectory : Path.GetFullPath(directory);
    }
}
