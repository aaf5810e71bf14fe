using System.Diagnostics.CodeAnalysis;
using Pipeline.Stages;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
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
        string? yaml;
        try
        {
            yaml = ReadText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            definition = null;
            errors = [new ConfigError(new SourceSpan(path, 1, 1), $"cannot read the file: {ex.Message}")];
            return false;
        }

        if (yaml is null)
        {
            definition = null;
            errors = [new ConfigError(new SourceSpan(path, 1, 1), $"the file is larger than {MaxFileChars / (1024 * 1024)} MiB: not a pipeline file")];
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

    /// <summary>The most characters a pipeline file may have (a file of 60 000 stages is about 9 MiB).</summary>
    public const int MaxFileChars = 64 * 1024 * 1024;

    /// <summary>The deepest nesting of mappings and sequences a pipeline file may have (YamlDotNet builds its nodes recursively).</summary>
    public const int MaxDepth = 256;

    // The file's text, or null when it is longer than MaxFileChars (read in blocks: a device such as /dev/zero has no length).
    private static string? ReadText(string path)
    {
        using var reader = new StreamReader(path);
        var text = new System.Text.StringBuilder();
        var block = new char[64 * 1024];
        int read;
        while ((read = reader.ReadBlock(block, 0, block.Length)) > 0)
        {
            if (text.Length + read > MaxFileChars)
            {
                return null;
            }

            text.Append(block, 0, read);
        }

        return text.ToString();
    }

    // The one document's root node, or null after reporting why there is none.
    private static YamlNode? LoadDocument(string yaml, ConfigDiagnostics diagnostics)
    {
        // YamlDotNet's scanner recurses into '[' and '{', its node builder into every collection: nesting deep enough
        // to overflow the stack ends the process, so it is refused before either runs. First the text's flow brackets,
        // then the events alone (no recursion), which also report a syntax error.
        if (FlowTooDeep(yaml) is var (line, column))
        {
            diagnostics.Add(new SourceSpan(diagnostics.File, line, column), $"nesting deeper than {MaxDepth} levels: not a pipeline file");
            return null;
        }

        var scanner = new Parser(new StringReader(yaml));
        try
        {
            var depth = 0;
            while (scanner.MoveNext())
            {
                if (scanner.Current is MappingStart or SequenceStart && ++depth > MaxDepth)
                {
                    diagnostics.Add(diagnostics.At(scanner.Current.Start), $"nesting deeper than {MaxDepth} levels: not a pipeline file");
                    return null;
                }

                if (scanner.Current is MappingEnd or SequenceEnd)
                {
                    depth--;
                }
            }
        }
        catch (Exception ex) when (ex is YamlException or InvalidOperationException)
        {
            ReportSyntax(ex, scanner, yaml, diagnostics);
            return null;
        }

        var parser = new Parser(new StringReader(yaml));
        var stream = new YamlStream();
        try
        {
            stream.Load(parser);
        }
        catch (Exception ex) when (ex is YamlException or InvalidOperationException)
        {
            ReportSyntax(ex, parser, yaml, diagnostics);
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

    private static void ReportSyntax(Exception error, Parser parser, string yaml, ConfigDiagnostics diagnostics)
    {
        if (error is YamlException ex)
        {
            diagnostics.Add(ErrorPosition(ex, parser, yaml, diagnostics), SyntaxMessage(ex));
            return;
        }

        // YamlDotNet 18.1 throws an InvalidOperationException (not a YamlException) when a '[' or '{' is still open at the end.
        var at = parser.Current is { } current ? diagnostics.At(current.Start) : new SourceSpan(diagnostics.File, 1, 1);
        diagnostics.Add(at, "invalid YAML: cannot parse past this point (is a '[' or '{' left open?)");
    }

    // The line and column of the first '[' or '{' nested deeper than MaxDepth, or null. Quoted text and comments are
    // skipped (a quote starts a string only where a scalar can start); anything it misjudges is left to the parser.
    private static (int Line, int Column)? FlowTooDeep(string yaml)
    {
        var depth = 0;
        var line = 1;
        var column = 0;
        var previous = '\n';
        for (var i = 0; i < yaml.Length; i++)
        {
            var c = yaml[i];
            column++;
            switch (c)
            {
                case '\n':
                    line++;
                    column = 0;
                    break;
                case '#' when char.IsWhiteSpace(previous):
                    while (i + 1 < yaml.Length && yaml[i + 1] != '\n')
                    {
                        i++;
                    }

                    break;
                case '"' or '\'' when char.IsWhiteSpace(previous) || previous is '[' or '{' or ',' or ':':
                    for (i++; i < yaml.Length && yaml[i] != c; i++)
                    {
                        if (yaml[i] == '\n')
                        {
                            line++;
                            column = 0;
                        }
                        else if (c == '"' && yaml[i] == '\\')
                        {
                            i++;
                        }

                        column++;
                    }

                    break;
                case '[' or '{':
                    if (++depth > MaxDepth)
                    {
                        return (line, column);
                    }

                    break;
                case ']' or '}':
                    depth = Math.Max(0, depth - 1);
                    break;
            }

            previous = i < yaml.Length ? yaml[i] : c;
        }

        return null;
    }

    // Where YamlDotNet says the error is; some errors (a tab as indentation, an alias to no anchor) carry no position,
    // and then the end of the last event read is the nearest one known.
    // and then the text is searched for what it names (the tab, the alias), or the end of the last event read is the
    // nearest position known.
    private static SourceSpan ErrorPosition(YamlException ex, Parser parser, string yaml, ConfigDiagnostics diagnostics)
    {
        if (ex.Start.Line > 1 || ex.Start.Column > 1)
        {
            return diagnostics.At(ex.Start);
        }

        var after = parser.Current is { } current ? (int)current.End.Index : 0;
        var found = ex.Message.Contains("tab", StringComparison.Ordinal)
            ? yaml.IndexOf("\n\t", after, StringComparison.Ordinal) is >= 0 and var tab ? tab + 1 : -1
            : ex.Message.StartsWith("The anchor '", StringComparison.Ordinal) && ex.Message.IndexOf('\'', 12) is > 12 and var quote
                ? yaml.IndexOf("*" + ex.Message[12..quote], StringComparison.Ordinal)
                : -1;
        if (found >= 0)
        {
            var line = 1 + yaml.AsSpan(0, found).Count('\n');
            return new SourceSpan(diagnostics.File, line, found - (yaml.LastIndexOf('\n', Math.Max(0, found - 1)) + 1) + 1);
        }

        return parser.Current is { } last && last.End.Line > 1 ? diagnostics.At(last.End) : diagnostics.At(ex.Start);
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
