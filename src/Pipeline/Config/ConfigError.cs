namespace Pipeline.Config;

/// <summary>One problem in a pipeline file, printed as <c>FILE:LINE:COL: message</c>.</summary>
public sealed record ConfigError(SourceSpan Where, string Message)
{
    /// <summary><c>FILE:LINE:COL: message</c>.</summary>
    public override string ToString() => $"{Where}: {Message}";
}
