using Pipeline.Cli.Commands;

namespace Pipeline.Cli.Tests.Commands;

public sealed class ValidateCommandTests : IDisposable
{
    private readonly CliFixture _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void A_valid_file_says_ok_with_its_counts()
    {
        var file = _cli.Write("small.yaml", Pipelines.Small);

        var code = ValidateCommand.Execute(file, _cli.Context());

        Assert.Equal(0, code);
        Assert.Equal($"{file}: ok (2 ports, 2 stages, 4 pipes)\n", _cli.Out);
        Assert.Empty(_cli.Error);
    }

    [Fact]
    public void Every_error_is_one_line_on_stderr_and_the_exit_code_is_2()
    {
        var file = _cli.Write("broken.yaml", Pipelines.Broken);

        var code = ValidateCommand.Execute(file, _cli.Context());

        Assert.Equal(2, code);
        Assert.Empty(_cli.Out);
        Assert.Equal(
            $"""
            {file}:5:3: stage 'a' has no input: nothing connects to it
            {file}:5:14: unknown stage type 'no-such-stage' (known types: test-pass, test-tag, test-window)
            {file}:6:3: stage 'b' is missing required key 'vid'
            {file}:8:17: no port or stage named 'nowhere'

            """,
            _cli.Error);
    }

    [Fact]
    public void A_runtime_section_is_checked_with_the_rest_of_the_file()
    {
        var ok = _cli.Write("fused.yaml", Pipelines.Small.Replace("name: small\n", "name: small\nruntime: { fuse: true, threads: 1 }\n", StringComparison.Ordinal));
        var bad = _cli.Write("bad.yaml", Pipelines.Small.Replace("name: small\n", "name: small\nruntime: { fuse: on, threads: 0, pool: 1 }\n", StringComparison.Ordinal));

        Assert.Equal(0, ValidateCommand.Execute(ok, _cli.Context()));
        Assert.Equal(2, ValidateCommand.Execute(bad, _cli.Context()));
        Assert.Equal(
            $"""
            {ok}: ok (2 ports, 2 stages, 4 pipes)

            """,
            _cli.Out);
        Assert.Equal(
            $"""
            {bad}:2:18: 'fuse' must be true or false, found 'on'
            {bad}:2:31: 'threads' must be an integer from 1 to 64, found '0'
            {bad}:2:34: unknown key 'pool' (expected one of: fuse, threads)

            """,
            _cli.Error);
    }

    [Fact]
    public void A_missing_file_is_an_error_at_1_1()
    {
        var file = Path.Combine(_cli.Directory, "absent.yaml");

        var code = ValidateCommand.Execute(file, _cli.Context());

        Assert.Equal(2, code);
        Assert.StartsWith($"{file}:1:1: cannot read the file: ", _cli.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Through_the_command_line_the_exit_codes_are_the_same()
    {
        var ok = _cli.Write("small.yaml", Pipelines.Small);
        var broken = _cli.Write("broken.yaml", Pipelines.Broken);

        Assert.Equal(0, await PipelineCli.InvokeAsync(["validate", ok], _cli.Context()));
        Assert.Equal(2, await PipelineCli.InvokeAsync(["validate", broken], _cli.Context()));
    }
}
