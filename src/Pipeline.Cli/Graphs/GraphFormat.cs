namespace Pipeline.Cli.Graphs;

/// <summary>The graph languages <c>pipeline graph</c> writes.</summary>
internal enum GraphFormat
{
    /// <summary>Graphviz DOT: <c>dot -Tsvg</c>.</summary>
    Dot,
    /// <summary>A Mermaid flowchart, as GitHub renders in Markdown.</summary>
    Mermaid,
}
