using System.Globalization;
using System.Text;
using Pipeline.Config;

namespace Pipeline.Cli.Graphs;

/// <summary>
/// A pipeline as a Mermaid flowchart: ports are rectangles (name and spec), stages stadiums (name and
/// type), <c>drop</c> a hexagon; an edge is labelled with its gate unless that is <c>out</c>. Node ids are
/// generated (<c>port0</c>, <c>stage0</c>, <c>drop</c>) because a pipeline name may be a Mermaid keyword.
/// </summary>
internal static class MermaidGraph
{
    /// <summary>The Mermaid text, lines ending in <c>\n</c>.</summary>
    public static string Write(PipelineDefinition definition)
    {
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        var text = new StringBuilder();
        Line(text, "---");
        Line(text, $"title: {Label(definition.Name)}");
        Line(text, "---");
        Line(text, "flowchart LR");
        for (var i = 0; i < definition.Ports.Count; i++)
        {
            var port = definition.Ports[i];
            var id = ids[port.Name] = Id("port", i);
            Line(text, $"  {id}[\"{Label(port.Name)}<br/>{Label(port.Spec.Spec)}\"]");
        }

        for (var i = 0; i < definition.Stages.Count; i++)
        {
            var stage = definition.Stages[i];
            var id = ids[stage.Name] = Id("stage", i);
            Line(text, $"  {id}([\"{Label(stage.Name)}<br/>{Label(stage.Descriptor.Name)}\"])");
        }

        if (definition.Edges.Any(e => e.ToKind == NodeKind.Drop))
        {
            Line(text, $"  {PipelineGraph.DropNode}{{{{\"{PipelineGraph.DropNode}\"}}}}");
        }

        foreach (var edge in definition.Edges)
        {
            var to = edge.ToKind == NodeKind.Drop ? PipelineGraph.DropNode : ids[edge.To];
            var arrow = PipelineGraph.EdgeLabel(edge) is { } gate ? $"-->|\"{Label(gate)}\"|" : "-->";
            Line(text, $"  {ids[edge.From]} {arrow} {to}");
        }

        return text.ToString();
    }

    private static string Id(string kind, int index) => kind + index.ToString(CultureInfo.InvariantCulture);

    // Mermaid's entity codes for what would end or break a quoted label.
    private static string Label(string value) =>
        value.Replace("#", "#35;", StringComparison.Ordinal)
            .Replace("\"", "#quot;", StringComparison.Ordinal)
            .Replace("<", "#lt;", StringComparison.Ordinal)
            .Replace(">", "#gt;", StringComparison.Ordinal);

    private static void Line(StringBuilder text, string line) => text.Append(line).Append('\n');
}
