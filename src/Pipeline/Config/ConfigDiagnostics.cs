using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Pipeline.Config;

/// <summary>The errors found in one file so far, and where YAML nodes (and characters inside scalars) are in it.</summary>
internal sealed class ConfigDiagnostics
{
    private readonly string _text;
    private readonly List<ConfigError> _errors = [];

    public ConfigDiagnostics(string file, string text)
    {
        File = file;
        _text = text;
    }

    public string File { get; }

    public int Count => _errors.Count;

    /// <summary>Every error, by line and column; errors at the same place keep the order they were found in.</summary>
    public IReadOnlyList<ConfigError> Sorted() =>
        [.. _errors.OrderBy(e => e.Where.Line).ThenBy(e => e.Where.Column)];

    public SourceSpan At(Mark mark) => new(File, (int)Math.Max(mark.Line, 1), (int)Math.Max(mark.Column, 1));

    public SourceSpan At(YamlNode node) => At(node.Start);

    /// <summary>
    /// Where character <paramref name="index"/> of the scalar's value is. Exact when the value stands verbatim
    /// on one line of the file (plain, or quoted without escapes); otherwise the scalar's start.
    /// </summary>
    public SourceSpan At(YamlScalarNode scalar, int index)
    {
        var value = scalar.Value ?? string.Empty;
        var quote = scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted ? 1 : 0;
        var start = scalar.Start.Index + quote;
        var verbatim = index >= 0 && index <= value.Length
            && start + value.Length <= _text.Length
            && value.AsSpan().IndexOfAny('\r', '\n') < 0
            && string.CompareOrdinal(_text, (int)start, value, 0, value.Length) == 0;
        var where = At(scalar);
        return verbatim ? where with { Column = where.Column + quote + index } : where;
    }

    public void Add(SourceSpan where, string message) => _errors.Add(new ConfigError(where, message));

    public void Add(YamlNode node, string message) => Add(At(node), message);

    /// <summary>How a node reads in a message: <c>'abc'</c>, <c>nothing</c>, <c>a list</c>, <c>a mapping</c>.</summary>
    public static string Describe(YamlNode node) => node switch
    {
        YamlScalarNode s when IsEmpty(s) => "nothing",
        YamlScalarNode s => $"'{s.Value}'",
        YamlSequenceNode => "a list",
        YamlMappingNode => "a mapping",
        _ => "an alias",
    };

    /// <summary>A key with no value (<c>key:</c>), which YAML reads as null.</summary>
    public static bool IsEmpty(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any } s && string.IsNullOrEmpty(s.Value);
}
