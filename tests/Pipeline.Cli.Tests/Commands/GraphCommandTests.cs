using Pipeline.Cli.Commands;
using Pipeline.Cli.Graphs;

namespace Pipeline.Cli.Tests.Commands;

public sealed class GraphCommandTests : IDisposable
{
    private readonly CliFixture _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void Dot_has_boxes_for_ports_ellipses_for_stages_and_gate_labels_in_file_order()
    {
        var file = _cli.Write("small.yaml", Pipelines.Small);

        var code = GraphCommand.Execute(file, GraphFormat.Dot, _cli.Context());

        Assert.Equal(0, code);
        Assert.Equal(
            """
            digraph "small" {
              rankdir=LR;
              "wan" [shape=box, label="wan\nnetmap:x}0"];
              "lan" [shape=box, label="lan\nnetmap:x{1"];
              "tag" [shape=ellipse, label="tag\ntest-tag"];
              "pass" [shape=ellipse, label="pass\ntest-pass"];
              "drop" [shape=octagon, label="drop"];
              "wan" -> "tag";
              "tag" -> "pass";
              "pass" -> "lan";
              "tag" -> "drop" [label="untagged"];
            }

            """,
            _cli.Out);
    }

    [Fact]
    public void Mermaid_uses_generated_ids_and_labels_the_same_way()
    {
        var file = _cli.Write("small.yaml", Pipelines.Small);

        var code = GraphCommand.Execute(file, GraphFormat.Mermaid, _cli.Context());

        Assert.Equal(0, code);
        Assert.Equal(
            """
            ---
            title: small
            ---
            flowchart LR
              port0["wan<br/>netmap:x}0"]
              port1["lan<br/>netmap:x{1"]
              stage0(["tag<br/>test-tag"])
              stage1(["pass<br/>test-pass"])
              drop{{"drop"}}
              port0 --> stage0
              stage0 --> stage1
              stage1 --> port1
              stage0 -->|"untagged"| drop

            """,
            _cli.Out);
    }

    [Fact]
    public async Task The_format_option_picks_the_language_and_rejects_others()
    {
        var file = _cli.Write("small.yaml", Pipelines.Small);

        Assert.Equal(0, await PipelineCli.InvokeAsync(["graph", file, "--format", "mermaid"], _cli.Context()));
        Assert.StartsWith("---\ntitle: small\n", _cli.Out, StringComparison.Ordinal);
        Assert.Equal(2, await PipelineCli.InvokeAsync(["graph", file, "--format", "png"], _cli.Context()));
    }

    [Fact]
    public void An_invalid_file_prints_its_errors_and_no_graph()
    {
        var file = _cli.Write("broken.yaml", Pipelines.Broken);

        Assert.Equal(2, GraphCommand.Execute(file, GraphFormat.Dot, _cli.Context()));
        Assert.Empty(_cli.Out);
        Assert.Contains("unknown stage type", _cli.Error, StringComparison.Ordinal);
    }
}
