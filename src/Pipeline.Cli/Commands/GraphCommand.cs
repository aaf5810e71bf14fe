using System.CommandLine;
using Pipeline.Cli.Graphs;

namespace Pipeline.Cli.Commands;

/// <summary><c>pipeline graph FILE [--format dot|mermaid]</c>: the pipeline's graph on standard output.</summary>
internal static class GraphCommand
{
    /// <summary>The <c>graph</c> command.</summary>
    public static Command Create(CliContext context)
    {
        var file = PipelineFile.Argument();
        var format = new Option<string>("--format", "-f")
        {
            Description = "The graph language.",
            DefaultValueFactory = _ => "dot",
        };
        format.AcceptOnlyFromAmong("dot", "mermaid");
        var command = new Command("graph", "Writes the pipeline as a graph: ports, stages, and pipes labelled with their gates.") { file, format };
        command.SetAction(parse => Execute(
            parse.GetRequiredValue(file),
            parse.GetValue(format) == "mermaid" ? GraphFormat.Mermaid : GraphFormat.Dot,
            context));
        return command;
    }

    /// <summary>Writes the graph and returns 0, or prints the file's errors and returns 2.</summary>
    public static int Execute(string file, GraphFormat format, CliContext context)
    {
        if (!PipelineFile.TryLoad(file, context, out var definition))
        {
            return ExitCodes.Invalid;
        }

        context.Out.Write(PipelineGraph.Write(definition, format));
        return ExitCodes.Ok;
    }
}
