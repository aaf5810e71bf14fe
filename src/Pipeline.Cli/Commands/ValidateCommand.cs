using System.CommandLine;
using System.Globalization;
using Pipeline.Config;

namespace Pipeline.Cli.Commands;

/// <summary><c>pipeline validate FILE</c>: loads the file and says <c>ok</c>, or lists every error and exits 2.</summary>
internal static class ValidateCommand
{
    /// <summary>The <c>validate</c> command.</summary>
    public static Command Create(CliContext context)
    {
        var file = PipelineFile.Argument();
        var command = new Command("validate", "Checks a pipeline file: exit 0, or every error as FILE:LINE:COL: message and exit 2.") { file };
        command.SetAction(parse => Execute(parse.GetRequiredValue(file), context));
        return command;
    }

    /// <summary>Prints <c>FILE: ok (N ports, M stages, K pipes)</c> and returns 0, or prints the errors and returns 2.</summary>
    public static int Execute(string file, CliContext context)
    {
        if (!PipelineFile.TryLoad(file, context, out var definition))
        {
            return ExitCodes.Invalid;
        }

        context.Out.WriteLine($"{file}: ok ({Summary(definition)})");
        return ExitCodes.Ok;
    }

    /// <summary><c>2 ports, 1 stage, 3 pipes</c>: a pipe is one gate-to-input connection (a <c>pipes:</c> line <c>a -> b -> c</c> makes two).</summary>
    public static string Summary(PipelineDefinition definition) =>
        $"{Count(definition.Ports.Count, "port")}, {Count(definition.Stages.Count, "stage")}, {Count(definition.Edges.Count, "pipe")}";

    private static string Count(int n, string noun) =>
        string.Create(CultureInfo.InvariantCulture, $"{n} {noun}{(n == 1 ? string.Empty : "s")}");
}
