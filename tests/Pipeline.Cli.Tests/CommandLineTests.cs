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

    // A value that does not convert reaches the option's own check too, which must not throw (it did, and the process
    // ended with an unhandled exception): the parser's one-line error and exit 2, for every checked option.
    [Theory]
    [InlineData("gen", "null", "--count", "abc")]
    [InlineData("gen", "null", "--count", "99999999999999999999")]
    [InlineData("gen", "null", "--size", "abc")]
    [InlineData("gen", "null", "--rate", "abc")]
    [InlineData("gen", "null", "--duration", "abc")]
    [InlineData("gen", "null", "--batch", "99999999999")]
    [InlineData("bench", "--rounds", "abc")]
    [InlineData("run", "x.yaml", "--duration", "abc")]
    public async Task A_value_that_does_not_convert_is_a_usage_error_naming_it(params string[] args)
    {
        Assert.Equal(2, await PipelineCli.InvokeAsync(args, _cli.Context()));
        Assert.Contains($"Cannot parse argument '{args[^1]}' for option '{args[^2]}'", _cli.Error, StringComparison.Ordinal);
    }
}
