using Pipeline.Config;

namespace Pipeline.Cli.Graphs;

/// <summary>What the DOT and Mermaid writers agree on.</summary>
internal static class PipelineGraph
{
    /// <summary>The built-in sink's node (no port or stage may take the name).</summary>
    public const string DropNode = "drop";

    /// <summary>The edge's gate, or null for the default gate <c>out</c>, which is left unlabelled.</summary>
    public static string? EdgeLabel(EdgeDefinition edge) => edge.Gate == "out" ? null : edge.Gate;

    /// <summary>The graph in <paramref name="format"/>.</summary>
    public static string Write(PipelineDefinition definition, GraphFormat format) => format switch
    {
        GraphFormat.Mermaid => MermaidGraph.Write(definition),
        _ => DotGraph.Write(definition),
    };
}
