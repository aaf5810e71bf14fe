using Pipeline.Cli.Bench;
using Pipeline.Config;
using Stages;

namespace Pipeline.Cli.Tests.Bench;

public sealed class BenchScenarioTests
{
    [Theory]
    [InlineData("pipe", "pipe")]
    [InlineData("VALE", "vale")]
    [InlineData(" pipeline-3 ", "pipeline-3")]
    [InlineData("pipeline-16", "pipeline-16")]
    [InlineData("afpacket", "afpacket")]
    public void Names_are_read_case_insensitively(string text, string name)
    {
        Assert.True(BenchScenario.TryParse(text, out var scenario));
        Assert.Equal(name, scenario.Name);
    }

    [Theory]
    [InlineData("pipeline-0")]
    [InlineData("pipeline-17")]
    [InlineData("pipeline-")]
    [InlineData("pipeline-+3")]
    [InlineData("pipeline")]
    [InlineData("tap")]
    public void Other_names_are_not_scenarios(string text) => Assert.False(BenchScenario.TryParse(text, out _));

    [Theory]
    [InlineData(1, "counter")]
    [InlineData(2, "vlan-push vlan-pop")]
    [InlineData(3, "vlan-push vlan-pop counter")]
    [InlineData(8, "vlan-push vlan-pop vlan-push vlan-pop vlan-push vlan-pop vlan-push vlan-pop")]
    public void A_chain_is_push_pop_pairs_and_a_counter_when_odd(int stages, string types) =>
        Assert.Equal(types, string.Join(' ', BenchScenario.Pipeline(stages).StageTypes));

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 256)]
    [InlineData(16, 512)]
    public void The_generated_pipeline_is_valid_and_has_buffers_for_every_batch_in_flight(int stages, int batch)
    {
        var yaml = PipelineLoop.CreateYaml(BenchScenario.Pipeline(stages), batch);

        var definition = PipelineLoader.Parse(yaml, "bench.yaml", BuiltInStages.CreateRegistry());

        Assert.Equal(stages, definition.Stages.Count);
        Assert.Equal(stages + 1, definition.Edges.Count);
        Assert.Equal(["gen", "sink"], definition.Ports.Select(p => p.Name));
        Assert.Equal(batch, definition.Memory.BatchSize);
        var rings = 4 * 2 * 1024; // two pipes, four 1024-slot rings
        Assert.True(definition.Memory.Buffers >= rings + (definition.Edges.Count * definition.Memory.Window * batch));
        Assert.All(definition.Ports, p => Assert.Equal(PortThreading.Actor, p.Threading));
    }

    [Theory]
    [InlineData("dedicated", PortSyncMode.Sleep)]
    [InlineData("busy-poll", PortSyncMode.BusyPoll)]
    public void Ports_can_run_on_dedicated_threads(string ports, PortSyncMode sync)
    {
        Assert.True(BenchPortsText.TryParse(ports, out var mode));
        var yaml = PipelineLoop.CreateYaml(BenchScenario.Pipeline3, 256, mode);

        var definition = PipelineLoader.Parse(yaml, "bench.yaml", BuiltInStages.CreateRegistry());

        Assert.All(definition.Ports, p => Assert.Equal((PortThreading.Dedicated, sync), (p.Threading, p.Sync)));
    }

    [Theory]
    [InlineData("fuse", true, null, "runtime: { fuse: true }")]
    [InlineData("one thread", false, 1, "runtime: { threads: 1 }")]
    [InlineData("both", true, 4, "runtime: { fuse: true, threads: 4 }")]
    public void The_runtime_options_go_into_the_yaml_as_its_runtime_section(string row, bool fuse, int? threads, string line)
    {
        _ = row;
        var yaml = PipelineLoop.CreateYaml(BenchScenario.Pipeline3, 256, BenchPorts.Actor, new BenchRuntime(fuse, threads));

        var definition = PipelineLoader.Parse(yaml, "bench.yaml", BuiltInStages.CreateRegistry());

        Assert.Contains("\n" + line + "\n", yaml, StringComparison.Ordinal);
        Assert.Equal(new RuntimeDefinition { Fuse = fuse, Threads = threads }, definition.Runtime);
    }

    [Fact]
    public void Without_runtime_options_the_yaml_has_no_runtime_section()
    {
        var yaml = PipelineLoop.CreateYaml(BenchScenario.Pipeline3, 256, BenchPorts.Actor, BenchRuntime.Default);

        Assert.DoesNotContain("runtime:", yaml, StringComparison.Ordinal);
        Assert.Equal(new RuntimeDefinition(), PipelineLoader.Parse(yaml, "bench.yaml", BuiltInStages.CreateRegistry()).Runtime);
    }
}
