using System.CommandLine;
using System.Text;
using Pipeline.Cli.Console;
using Pipeline.Cli.Introspection;
using Pipeline.Stages;

namespace Pipeline.Cli.Commands;

/// <summary><c>pipeline stages</c>: every stage type the command knows, with its gates, summary and options.</summary>
internal static class StagesCommand
{
    /// <summary>The <c>stages</c> command.</summary>
    public static Command Create(CliContext context)
    {
        var command = new Command("stages", "Lists the stage types a pipeline can use, with their gates and options.");
        command.SetAction(_ => Execute(context));
        return command;
    }

    /// <summary>Writes the list (a table on a terminal, plain blocks otherwise), sorted by name; returns 0.</summary>
    public static int Execute(CliContext context)
    {
        var stages = context.Registry.All.OrderBy(d => d.Name, StringComparer.Ordinal).ToList();
        if (stages.Count == 0)
        {
            context.Out.WriteLine("no stages registered");
            return ExitCodes.Ok;
        }

        if (context.Ansi is not null)
        {
            var table = new ReportTable("stage", "gates", "summary", "options");
            foreach (var stage in stages)
            {
                var options = StageOptions.Describe(stage.OptionsType);
                table.Add(stage.Name, string.Join(", ", stage.Gates), stage.Summary, options.Count == 0 ? "none" : string.Join("\n", options.Select(Describe)));
            }

            table.WriteTo(context);
        }
        else
        {
            context.Out.Write(PlainText(stages));
        }

        return ExitCodes.Ok;
    }

    /// <summary>
    /// One block per stage: <c>name: summary</c>, its gates, then its options in aligned columns
    /// (<c>key  type  required</c> or <c>key  type  default VALUE</c>).
    /// </summary>
    public static string PlainText(IEnumerable<StageDescriptor> stages)
    {
        var text = new StringBuilder();
        var first = true;
        foreach (var stage in stages)
        {
            if (!first)
            {
                text.Append('\n');
            }

            first = false;
            text.Append(stage.Name);
            if (stage.Summary.Length > 0)
            {
                text.Append(": ").Append(stage.Summary);
            }

            text.Append('\n');
            text.Append("  gates: ").Append(string.Join(", ", stage.Gates)).Append('\n');
            var options = StageOptions.Describe(stage.OptionsType);
            if (options.Count == 0)
            {
                text.Append("  options: none\n");
                continue;
            }

            text.Append("  options:\n");
            var keyWidth = options.Max(o => o.Key.Length);
            var typeWidth = options.Max(o => o.Type.Length);
            foreach (var option in options)
            {
                var line = $"    {option.Key.PadRight(keyWidth)}  {option.Type.PadRight(typeWidth)}  {Value(option)}";
                text.Append(line.TrimEnd()).Append('\n');
            }
        }

        return text.ToString();
    }

    // "vid: ushort, required" / "pcp: byte = 3" for the table's options cell.
    private static string Describe(StageOption option) => option switch
    {
        { Required: true } => $"{option.Key}: {option.Type}, required",
        { Default: { } value } => $"{option.Key}: {option.Type} = {value}",
        _ => $"{option.Key}: {option.Type}",
    };

    private static string Value(StageOption option) => option switch
    {
        { Required: true } => "required",
        { Default: { } value } => "default " + value,
        _ => string.Empty,
    };
}
