using System.CommandLine;
using System.CommandLine.Help;
using Pipeline.Cli.Commands;

namespace Pipeline.Cli;

/// <summary>The <c>pipeline</c> root command and its subcommands.</summary>
internal static class PipelineCli
{
    /// <summary>
    /// The root command with <c>run</c>, <c>validate</c>, <c>graph</c>, <c>stages</c>, <c>gen</c> and <c>bench</c>, <c>--help</c> and
    /// <c>--version</c>. It is a plain <see cref="Command"/> named <c>pipeline</c> rather than a
    /// <see cref="RootCommand"/>, which takes its name from the assembly (<c>Pipeline.Cli</c>) and would print that in usage.
    /// </summary>
    public static Command Create(CliContext context)
    {
        var root = new Command("pipeline", "Runs, checks and draws packet pipelines described in YAML.")
        {
            new HelpOption(),
            new VersionOption(),
            RunCommand.Create(context),
            ValidateCommand.Create(context),
            GraphCommand.Create(context),
            StagesCommand.Create(context),
            GenCommand.Create(context),
            BenchCommand.Create(context),
        };
        return root;
    }

    /// <summary>
    /// Parses <paramref name="args"/> and runs the command: its exit code, or <see cref="ExitCodes.Invalid"/>
    /// after printing the usage errors and help.
    /// </summary>
    public static async Task<int> InvokeAsync(string[] args, CliContext context, CancellationToken cancellation = default)
    {
        var parse = Create(context).Parse(args);
        var invocation = new InvocationConfiguration
        {
            Output = context.Out,
            Error = context.Error,
            // `run` handles SIGINT and SIGTERM itself, with a drain that may take longer than System.CommandLine's grace.
            ProcessTerminationTimeout = null,
        };
        var code = await parse.InvokeAsync(invocation, cancellation).ConfigureAwait(false);
        return parse.Errors.Count > 0 ? ExitCodes.Invalid : code;
    }
}
