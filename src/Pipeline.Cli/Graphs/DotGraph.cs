using System.Text;
using Pipeline.Config;

namespace Pipeline.Cli.Graphs;

/// <summary>
/// A pipeline as a Graphviz digraph: ports are boxes (name and spec), stages ellipses (name and type),
/// <c>drop</c> an octagon; an edge is labelled with its gate unless that is <c>out</c>. Nodes and edges in
/// file order, so the text is stable.
/// </summary>
internal static class DotGraph
{
    /// <summary>The DOT text, lines ending in <c>\n</c>.</summary>
    public static string Write(PipelineDefinition definition)
    {
        var text = new StringBuilder();
        Line(text, $"digraph {Quote(definition.Name)} {{");
        Line(text, "  rankdir=LR;");
        foreach (var port in definition.Ports)
        {
            Line(text, $"  {Quote(port.Name)} [shape=box, label={Quote(port.Name + "\n" + port.Spec.Spec)}];");
        }

        foreach (var stage in definition.Stages)
        {
            Line(text, $"  {Quote(stage.Name)} [shape=ellipse, label={Quote(stage.Name + "\n" + stage.Descriptor.Name)}];");
        }

        if (definition.Edges.Any(e => e.ToKind == NodeKind.Drop))
        {
            Line(text, $"  {Quote(PipelineGraph.DropNode)} [shape=octagon, label={Quote(PipelineGraph.DropNode)}];");
        }

        foreach (var edge in definition.Edges)
        {
            var label = PipelineGraph.EdgeLabel(edge) is { } gate ? $" [label={Quote(gate)}]" : string.Empty;
            Line(text, $"  {Quote(edge.From)} -> {Quote(edge.To)}{label};");
        }

        Line(text, "}");
        return text.ToString();
    }

    // A DOT quoted ID: backslash and quote escaped, a line break as \n.
    private static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";

    private static void Line(StringBuilder text, string line) => text.Append(line).Append('\n');
}
