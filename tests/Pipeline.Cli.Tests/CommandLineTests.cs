namespace Pipeline.Cli.Tests;

public sealed class CommandLineTests : IDisposable
{
    private readonly CliFixture _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Help_names_the_command_pipeline_and_lists_the_subcommands()
    {
        Assert.Equal(0, await PipelineCli.InvokeAsync(["--help"], _cli.Context()));

        Assert.Contains("pipeline [command] [options]", _cli.Out, StringComparison.Ordinal);
        foreach (var command in new[] { "run <FILE>", "validate <FILE>", "graph <FILE>", "stages" })
        {
            Assert.Contains(command, _cli.Out, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Version_prints_a_version()
    {
        Assert.Equal(0, await PipelineCli.InvokeAsync(["--version"], _cli.Context()));
        Assert.Matches(@"^\d+\.\d+\.\d+", _cli.Out);
    }

    [Theory]
    [InlineData]
    [InlineData("frobnicate")]
    [InlineData("validate")]
    [InlineData("stages", "--bogus")]
    public async Task Usage_errors_exit_2(params string[] args)
    {
        Assert.Equal(2, await PipelineCli.InvokeAsync(args, _cli.Context()));
        Assert.NotEmpty(_cli.Error);
    }
}
