using Pipeline.Config;
using Pipeline.Stages;

namespace Pipeline.Tests.Config;

/// <summary>
/// The top-level <c>runtime:</c> section (<c>fuse</c>, <c>threads</c>): its values reach the definition, and each bad
/// value is a <c>FILE:LINE:COL</c> error at the value (or at the key when the value is missing), reported with every
/// other error of the file.
/// </summary>
public sealed class RuntimeSectionConfigTests
{
    private const string File = "p.yaml";

    [Theory]
    [InlineData("both", "runtime: { fuse: true, threads: 1 }", true, 1)]
    [InlineData("fuse alone", "runtime: { fuse: true }", true, null)]
    [InlineData("fuse off", "runtime: { fuse: false, threads: 64 }", false, 64)]
    [InlineData("threads alone", "runtime: { threads: 2 }", false, 2)]
    [InlineData("an empty section", "runtime:", false, null)]
    [InlineData("an empty mapping", "runtime: {}", false, null)]
    [InlineData("no section", "", false, null)]
    public void The_runtime_section_reaches_the_definition(string row, string section, bool fuse, int? threads)
    {
        _ = row;
        var definition = PipelineLoader.Parse($"name: p\n{section}\nports: {{ a: {{ spec: \"null\" }} }}\npipes: [ \"a -> drop\" ]\n", File, new StageRegistry());

        Assert.Equal(new RuntimeDefinition { Fuse = fuse, Threads = threads }, definition.Runtime);
    }

    [Fact]
    public void A_block_section_reads_like_a_flow_one()
    {
        var definition = PipelineLoader.Parse("""
            name: p
            runtime:
              fuse: true
              threads: 1
            ports: { a: { spec: "null" } }
            pipes: [ "a -> drop" ]
            """, File, new StageRegistry());

        Assert.True(definition.Runtime.Fuse);
        Assert.Equal(1, definition.Runtime.Threads);
    }

    [Theory]
    [InlineData("fuse not a bool", "runtime: { fuse: yes }", "p.yaml:2:18: 'fuse' must be true or false, found 'yes'")]
    [InlineData("fuse a number", "runtime: { fuse: 1 }", "p.yaml:2:18: 'fuse' must be true or false, found '1'")]
    [InlineData("fuse a list", "runtime: { fuse: [true] }", "p.yaml:2:18: 'fuse' must be true or false, found a list")]
    [InlineData("fuse empty", "runtime: { fuse: }", "p.yaml:2:12: 'fuse' must be true or false, found nothing")]
    [InlineData("threads 0", "runtime: { threads: 0 }", "p.yaml:2:21: 'threads' must be an integer from 1 to 64, found '0'")]
    [InlineData("threads 65", "runtime: { threads: 65 }", "p.yaml:2:21: 'threads' must be an integer from 1 to 64, found '65'")]
    [InlineData("threads negative", "runtime: { threads: -1 }", "p.yaml:2:21: 'threads' must be an integer from 1 to 64, found '-1'")]
    [InlineData("threads not a number", "runtime: { threads: two }", "p.yaml:2:21: 'threads' must be an integer from 1 to 64, found 'two'")]
    [InlineData("threads a fraction", "runtime: { threads: 1.5 }", "p.yaml:2:21: 'threads' must be an integer from 1 to 64, found '1.5'")]
    [InlineData("threads empty", "runtime: { threads: }", "p.yaml:2:12: 'threads' must be an integer from 1 to 64, found nothing")]
    [InlineData("an unknown key", "runtime: { fuse: true, pool: 2 }", "p.yaml:2:24: unknown key 'pool' (expected one of: fuse, threads)")]
    [InlineData("a scalar section", "runtime: fast", "p.yaml:2:10: 'runtime' must be a mapping like { fuse: true, threads: 1 }, found 'fast'")]
    [InlineData("a list section", "runtime: [fuse]", "p.yaml:2:10: 'runtime' must be a mapping like { fuse: true, threads: 1 }, found a list")]
    public void A_bad_runtime_value_is_reported_where_it_is(string row, string section, string expected)
    {
        _ = row;

        Assert.Equal([expected], Errors($"name: p\n{section}\n"));
    }

    [Fact]
    public void Every_bad_key_of_the_section_is_reported_at_once_with_the_rest_of_the_file()
    {
        const string yaml = """
            name: p
            runtime:
              fuse: maybe
              threads: 100
              cores: 2
            memory: { window: 0 }
            """;

        Assert.Equal(
            [
                "p.yaml:3:9: 'fuse' must be true or false, found 'maybe'",
                "p.yaml:4:12: 'threads' must be an integer from 1 to 64, found '100'",
                "p.yaml:5:3: unknown key 'cores' (expected one of: fuse, threads)",
                "p.yaml:6:19: 'window' must be an integer from 1 to 1024, found '0'",
            ],
            Errors(yaml));
    }

    private static List<string> Errors(string yaml)
    {
        Assert.False(PipelineLoader.TryParse(yaml, File, new StageRegistry(), out var definition, out var errors, "/base"));
        Assert.Null(definition);
        return [.. errors.Select(e => e.ToString())];
    }
}
