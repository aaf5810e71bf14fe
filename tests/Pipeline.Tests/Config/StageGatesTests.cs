using Pipeline.Config;
using Pipeline.Runtime;
using Pipeline.Stages;

namespace Pipeline.Tests.Config;

/// <summary>Stages whose gates their options name (<see cref="IStageGates"/>): the loader checks pipes against them.</summary>
public sealed class StageGatesTests
{
    private const string File = "g.yaml";

    [Fact]
    public void The_gates_come_from_the_options_and_pipes_may_name_them()
    {
        var definition = PipelineLoader.Parse(Yaml("[east, west]", "s.east -> a", "s.west -> drop"), File, Registry());

        var stage = Assert.Single(definition.Stages);
        Assert.True(stage.Descriptor.GatesFromOptions);
        Assert.Equal(["east", "west"], stage.Gates);
        Assert.Equal(["east", "west"], stage.Descriptor.GatesFor(stage.Options));
        Assert.Equal(["<named>"], stage.Descriptor.Gates);
        Assert.Equal(["east", "west"], definition.Edges.Where(e => e.From == "s").Select(e => e.Gate));
    }

    [Fact]
    public void A_stage_with_attribute_gates_keeps_them()
    {
        Assert.True(Registry().TryGet("two", out var descriptor));

        Assert.False(descriptor.GatesFromOptions);
        Assert.Equal(["out", "other"], descriptor.GatesFor(null));
    }

    [Theory]
    [InlineData("[east, west]", "s.north -> a", "g.yaml:8:5: stage 's' has no gate 'north' (gates: east, west)")]
    [InlineData("[east, west]", "s -> a", "g.yaml:8:5: stage 's' has no gate 'out': name one of its gates (east, west), as 's.east'")]
    [InlineData("[]", "s.out -> a", "g.yaml:5:3: stage 's' has no gates")]
    [InlineData("[east, east]", "s.east -> a", "g.yaml:5:3: stage 's' names gate 'east' twice")]
    [InlineData("[\"a.b\"]", "s.east -> a", "g.yaml:5:3: stage 's' has an invalid gate name 'a.b': use letters, digits, '_' and '-'")]
    public void Bad_gates_and_pipes_to_missing_gates_are_reported(string gates, string pipe, string error)
    {
        Assert.False(PipelineLoader.TryParse(Yaml(gates, pipe), File, Registry(), out _, out var errors));

        Assert.Equal(error, Assert.Single(errors).ToString());
    }

    [Fact]
    public void Gates_that_include_out_keep_it_as_the_default()
    {
        var definition = PipelineLoader.Parse(Yaml("[out, spare]", "s -> a"), File, Registry());

        Assert.Equal("out", Assert.Single(definition.Edges, e => e.From == "s").Gate);
    }

    private static StageRegistry Registry() => new StageRegistry().Register<NamedGatesStage>().Register<TwoGatesStage>();

    private static string Yaml(string gates, params string[] pipes) => $$"""
        name: g
        ports:
          a: { spec: "null" }
        stages:
          s: { type: named, gates: {{gates}} }
        pipes:
          - a -> s
        {{string.Concat(pipes.Select(p => $"  - {p}\n"))}}
        """;
}

[Stage("named", Gates = ["<named>"])]
public sealed class NamedGatesStage(NamedGatesOptions options) : IPacketStage
{
    public NamedGatesOptions Options { get; } = options;

    public void OnBatch(PacketBatch batch, StageContext context)
    {
    }
}

// No checks of its own: the loader's are the ones under test.
public sealed record NamedGatesOptions : IStageGates
{
    public string[] Gates { get; init; } = [];

    IReadOnlyList<string> IStageGates.Gates => Gates;
}

[Stage("two", Gates = ["out", "other"])]
public sealed class TwoGatesStage : IPacketStage
{
    public void OnBatch(PacketBatch batch, StageContext context)
    {
    }
}
