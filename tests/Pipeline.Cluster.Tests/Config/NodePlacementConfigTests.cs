using Pipeline.Config;
using Stages;

namespace Pipeline.Cluster.Tests.Config;

public sealed class NodePlacementConfigTests
{
    private const string Valid = """
        name: two
        nodes: [edge, workers]
        ports:
          in:  { spec: "netmap:pipe{1" }
          out: { spec: "netmap:pipe{2", node: edge }
        stages:
          tag:  { type: vlan-push, vid: 5, node: workers, instances: 3 }
          each: { type: counter, node: workers, instances: per-node }
          last: { type: counter }
        pipes:
          - in -> tag -> each -> last -> out
        """;

    [Fact]
    public void Nodes_node_and_instances_are_read_into_the_definition()
    {
        var definition = PipelineLoader.Parse(Valid, "two.yaml", BuiltInStages.CreateRegistry());

        Assert.Equal(["edge", "workers"], definition.Nodes);
        Assert.Null(definition.Ports[0].Node); // the first role, by default
        Assert.Equal("edge", definition.Ports[1].Node);
        var tag = definition.Stages[0];
        Assert.Equal(("workers", 3), (tag.Node, tag.Instances));
        Assert.Equal(("workers", 1), (definition.Stages[1].Node, definition.Stages[1].Instances));
        Assert.Equal((null, 1), (definition.Stages[2].Node, definition.Stages[2].Instances));
        Assert.Equal((ushort)5, ((global::Stages.Ethernet.VlanPushOptions)tag.Options!).Vid); // node and instances are not the stage's options
    }

    [Fact]
    public void A_pipeline_without_nodes_runs_in_one_process()
    {
        var definition = PipelineLoader.Parse(Valid.Replace("nodes: [edge, workers]\n", "", StringComparison.Ordinal).Replace(", node: edge", "", StringComparison.Ordinal)
            .Replace(", node: workers, instances: 3", "", StringComparison.Ordinal).Replace(", node: workers, instances: per-node", "", StringComparison.Ordinal), "one.yaml", BuiltInStages.CreateRegistry());

        Assert.Empty(definition.Nodes);
    }

    [Theory]
    [InlineData("nodes: []", "one.yaml:2:8: 'nodes' must be a non-empty list of node roles like [edge, workers], found a list")]
    [InlineData("nodes: edge", "one.yaml:2:8: 'nodes' must be a non-empty list of node roles like [edge, workers], found 'edge'")]
    [InlineData("nodes: [edge, edge]", "one.yaml:2:15: node role 'edge' is listed twice")]
    [InlineData("nodes: [edge, 'a b']", "one.yaml:2:15: a node role must be a name of letters, digits, '_' and '-', found 'a b'")]
    public void A_bad_nodes_section_is_an_error_at_its_place(string nodes, string error)
    {
        var yaml = $$"""
            name: one
            {{nodes}}
            ports:
              in: { spec: "netmap:pipe{1" }
            pipes:
              - in -> drop
            """;

        var ex = Assert.Throws<ConfigException>(() => PipelineLoader.Parse(yaml, "one.yaml", BuiltInStages.CreateRegistry()));

        Assert.Equal([error], ex.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Every_bad_node_and_instances_value_is_reported_at_once_with_its_position()
    {
        const string Yaml = """
            name: bad
            nodes: [edge, workers]
            ports:
              in:  { spec: "netmap:pipe{1", node: core }
              out: { spec: "netmap:pipe{2", node: }
            stages:
              a: { type: counter, instances: 0 }
              b: { type: counter, instances: many, node: workers }
              c: { type: counter, node: [edge] }
            pipes:
              - in -> a -> b -> c -> out
            """;

        var ex = Assert.Throws<ConfigException>(() => PipelineLoader.Parse(Yaml, "bad.yaml", BuiltInStages.CreateRegistry()));

        Assert.Equal(
            [
                "bad.yaml:4:39: unknown node role 'core' (the 'nodes:' section lists: edge, workers)",
                "bad.yaml:5:33: 'node' must be a node role, found nothing",
                "bad.yaml:7:34: 'instances' must be an integer from 1 to 1024 or 'per-node', found '0'",
                "bad.yaml:8:34: 'instances' must be an integer from 1 to 1024 or 'per-node', found 'many'",
                "bad.yaml:9:29: 'node' must be a node role, found a list",
            ],
            ex.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Node_and_instances_without_a_nodes_section_are_errors()
    {
        const string Yaml = """
            name: lonely
            ports:
              in: { spec: "netmap:pipe{1", node: edge }
            stages:
              a: { type: counter, instances: 2 }
            pipes:
              - in -> a -> drop
            """;

        var ex = Assert.Throws<ConfigException>(() => PipelineLoader.Parse(Yaml, "lonely.yaml", BuiltInStages.CreateRegistry()));

        Assert.Equal(
            [
                "lonely.yaml:3:32: 'node' needs a top-level 'nodes:' list of the node roles",
                "lonely.yaml:5:23: 'instances' needs a top-level 'nodes:' list of the node roles: instances of a stage run on the nodes of its role",
            ],
            ex.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Instances_on_a_port_is_an_unknown_key()
    {
        const string Yaml = """
            name: p
            nodes: [edge]
            ports:
              in: { spec: "netmap:pipe{1", instances: 2 }
            pipes:
              - in -> drop
            """;

        var ex = Assert.Throws<ConfigException>(() => PipelineLoader.Parse(Yaml, "p.yaml", BuiltInStages.CreateRegistry()));

        var error = Assert.Single(ex.Errors);
        Assert.StartsWith("p.yaml:4:32: unknown key 'instances' (expected one of: spec, ", error.ToString(), StringComparison.Ordinal);
        Assert.Contains(", node", error.ToString(), StringComparison.Ordinal); // node is a port key; instances is not
    }
}
