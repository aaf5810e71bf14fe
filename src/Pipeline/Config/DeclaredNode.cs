using Pipeline.Stages;

namespace Pipeline.Config;

/// <summary>
/// A port or stage name declared in the file, kept even when its spec or type is bad so that pipes naming
/// it do not add "no port or stage named" errors on top.
/// </summary>
internal sealed class DeclaredNode(string name, NodeKind kind, SourceSpan where)
{
    public string Name { get; } = name;

    public NodeKind Kind { get; } = kind;

    /// <summary>The name's key in <c>ports:</c> or <c>stages:</c>.</summary>
    public SourceSpan Where { get; } = where;

    /// <summary>The stage's type; null for ports and for stages whose type is unknown (their gates are not checked).</summary>
    public StageDescriptor? Descriptor { get; set; }

    /// <summary>The stage's output gates; null for ports and when they are unknown (a bad type or options): not checked.</summary>
    public IReadOnlyList<string>? Gates { get; set; }

    /// <summary>A pipe sends packets to it (stages must have an input).</summary>
    public bool HasInput { get; set; }

    /// <summary>A pipe names it (ports must be used).</summary>
    public bool IsUsed { get; set; }
}
