using Pipeline.Cli.Commands;
using Spectre.Console.Testing;

namespace Pipeline.Cli.Tests.Commands;

public sealed class StagesCommandTests : IDisposable
{
    private readonly CliFixture _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void Plain_text_lists_every_stage_with_gates_summary_and_options_with_types_and_defaults()
    {
        var code = StagesCommand.Execute(_cli.Context());

        Assert.Equal(0, code);
        Assert.Equal(
            """
            test-pass: Passes packets on.
              gates: out
              options: none

            test-tag: Tags packets (a test stage).
              gates: out, untagged
              options:
                vid       ushort                        required
                priority  byte                          default 3
                mode      one of [push, replace-outer]  default push
                label     string?
                name      string                        default "tagger"
                ports     list of int                   default [1, 2]

            test-window
              gates: out
              options:
                size    int     required
                factor  double  default 1.5
                strict  bool    default false

            """,
            _cli.Out);
    }

    [Fact]
    public void On_a_terminal_it_is_a_table()
    {
        var console = new TestConsole().Width(200);

        var code = StagesCommand.Execute(_cli.Context(console));

        Assert.Equal(0, code);
        var output = console.Output;
        Assert.Contains("test-tag", output, StringComparison.Ordinal);
        Assert.Contains("out, untagged", output, StringComparison.Ordinal);
        Assert.Contains("vid: ushort, required", output, StringComparison.Ordinal);
        Assert.Contains("priority: byte = 3", output, StringComparison.Ordinal);
        Assert.Contains("strict: bool = false", output, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_registry_says_so()
    {
        var context = new CliContext { Registry = new Pipeline.Stages.StageRegistry(), Out = new StringWriter(), Error = TextWriter.Null };

        Assert.Equal(0, StagesCommand.Execute(context));
        Assert.Equal("no stages registered", context.Out.ToString()!.TrimEnd());
    }
}
