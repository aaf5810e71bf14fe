namespace Pipeline.Config;

/// <summary>A place in a pipeline file: 1-based line and column, as YamlDotNet marks them.</summary>
public sealed record SourceSpan(string File, int Line, int Column)
{
    /// <summary>Where in-memory definitions point.</summary>
    public static SourceSpan None { get; } = new("<memory>", 0, 0);

    /// <summary><c>FILE:LINE:COL</c>.</summary>
    public override string ToString() => $"{File}:{Line}:{Column}";
}
