using Pipeline.Stages;
using Stages.Ethernet;
using Stages.Standard;

namespace Stages.Tests;

public sealed class BuiltInStagesTests
{
    [Theory]
    [InlineData("vlan-push", typeof(VlanPush), typeof(VlanPushOptions), new[] { "out" })]
    [InlineData("vlan-pop", typeof(VlanPop), null, new[] { "out", "untagged" })]
    [InlineData("counter", typeof(Counter), null, new[] { "out" })]
    public void Registry_holds_each_stage_with_its_gates_and_options(string name, Type stageType, Type? optionsType, string[] gates)
    {
        var registry = BuiltInStages.CreateRegistry();

        Assert.True(registry.TryGet(name, out var descriptor));
        Assert.Equal(stageType, descriptor.StageType);
        Assert.Equal(optionsType, descriptor.OptionsType);
        Assert.Equal(gates, descriptor.Gates);
        Assert.NotEmpty(descriptor.Summary);
    }

    [Fact]
    public void Registry_holds_exactly_the_built_in_stages()
    {
        var names = BuiltInStages.CreateRegistry().All.Select(d => d.Name).Order(StringComparer.Ordinal);

        // The contract of issue 5: every stage it names, by its YAML type.
        Assert.Equal(
            [
                "checksum", "classify", "counter", "dedup", "drop", "eth-rewrite", "filter", "l2-switch", "lb", "mirror",
                "mpls-pop", "mpls-push", "rate-limit", "router", "sample", "tlem", "vlan-pop", "vlan-push", "vxlan-decap", "vxlan-encap",
            ],
            names);
    }

    [Fact]
    public void Register_adds_to_a_registry_that_already_has_stages()
    {
        var registry = new StageRegistry().Register<Counter>("tap");

        Assert.Same(registry, BuiltInStages.Register(registry));
        Assert.Equal(BuiltInStages.CreateRegistry().All.Count + 1, registry.All.Count);
        Assert.True(registry.TryGet("tap", out _));
    }
}
