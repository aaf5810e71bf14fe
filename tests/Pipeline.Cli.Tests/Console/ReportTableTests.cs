using Pipeline.Cli.Console;
using Spectre.Console.Testing;

namespace Pipeline.Cli.Tests.Console;

public sealed class ReportTableTests
{
    [Fact]
    public void Plain_text_aligns_columns_right_aligns_numbers_and_leaves_no_trailing_spaces()
    {
        var table = new ReportTable("node", "packets>", "drops")
            .Add("wan", "1234", "0")
            .Add("a-long-name", "5", "filtered=3, shutdown=1");

        Assert.Equal(
            """
            node         packets  drops
            wan             1234  0
            a-long-name        5  filtered=3, shutdown=1

            """,
            table.ToPlainText());
    }

    [Fact]
    public void On_a_terminal_it_is_a_spectre_table_with_the_same_cells()
    {
        var console = new TestConsole().Width(80);
        var context = new CliContext { Registry = new Pipeline.Stages.StageRegistry(), Out = TextWriter.Null, Error = TextWriter.Null, Ansi = console };

        new ReportTable("node", "packets>").Add("wan", "1234").WriteTo(context);

        Assert.Contains("│ wan  │    1234 │", console.Output, StringComparison.Ordinal);
    }
}
