using Pipeline.Cluster.Placement;
using Pipeline.Config;
using Stages;

namespace Pipeline.Cluster.Tests.Placement;

public sealed class ClusterPlanTests
{
    private static readonly PipelineDefinition Definition = PipelineLoader.Parse("""
        name: plan
        nodes: [edge, workers, store]
        ports:
          in:   { spec: "netmap:pipe{1" }
          keep: { spec: "netmap:pipe{2", node: store }
        stages:
          tag:   { type: vlan-push, vid: 5, node: workers, instances: 3 }
          split: { type: lb, gates: 2 }
        pipes:
          - in -> split
          - split.out0 -> tag -> keep
          - split.out1 -> drop
        """, "plan.yaml", BuiltInStages.CreateRegistry());

    [Fact]
    public void Each_role_runs_its_own_ports_and_stages_and_a_port_per_pipe_to_another_role()
    {
        var plan = new ClusterPlan(Definition, linkSlots: 256);

        var edge = plan.ForRole("edge");
        Assert.Equal(["in", "split.out0->tag"], edge.Definition.Ports.Select(p => p.Name));
        Assert.Equal(["split"], edge.Definition.Stages.Select(s => s.Name));
        Assert.Equal(["in -> split", "split.out0 -> split.out0->tag", "split.out1 -> drop"], edge.Definition.Edges.Select(e => $"{e.From}.{e.Gate} -> {e.To}".Replace(".out -> ", " -> ", StringComparison.Ordinal)));
        var send = Assert.Single(edge.Links);
        Assert.Equal((1, "workers", true, 3), (send.Edge, send.PeerRole, send.Outgoing, send.PeerNodesNeeded));
        Assert.Equal("netmap:pipeline.cluster{e1@conf:slots=256", send.RuntimeSpec);
        Assert.Equal("netmap:pipeline.cluster}e1@conf:slots=256", send.LinkSpec);
        Assert.Equal(["in"], edge.Sources);

        var workers = plan.ForRole("workers");
        Assert.Equal(["split.out0->tag", "tag.out->keep"], workers.Definition.Ports.Select(p => p.Name));
        Assert.Equal(["tag"], workers.Definition.Stages.Select(s => s.Name));
        Assert.Equal([(false, "edge"), (true, "store")], workers.Links.Select(l => (l.Outgoing, l.PeerRole)));
        Assert.Empty(workers.Ports); // only link ports: nothing enters or leaves the pipeline there
        Assert.Empty(workers.Sources);

        var store = plan.ForRole("store");
        Assert.Equal(["keep", "tag.out->keep"], store.Definition.Ports.Select(p => p.Name));
        Assert.Empty(store.Sources); // keep is a sink
    }

    [Fact]
    public void The_pipeline_waits_for_as_many_nodes_as_the_largest_instances_of_a_role()
    {
        var plan = new ClusterPlan(Definition, 256);

        Assert.Equal(1, plan.NodesNeeded["edge"]);
        Assert.Equal(3, plan.NodesNeeded["workers"]);
        Assert.Equal(1, plan.NodesNeeded["store"]);
    }

    [Fact]
    public void The_fingerprint_follows_the_shape_of_the_pipeline()
    {
        var same = new ClusterPlan(Definition, 256).Fingerprint;
        var moved = new ClusterPlan(Definition with { Stages = [Definition.Stages[0] with { Node = "store" }, Definition.Stages[1]] }, 256).Fingerprint;

        Assert.Equal(same, new ClusterPlan(Definition, 512).Fingerprint);
        Assert.NotEqual(same, moved);
        Assert.Equal(16, same.Length);
    }

    [Fact]
    public void An_unknown_role_and_a_pipeline_without_nodes_are_refused()
    {
        var plan = new ClusterPlan(Definition, 256);

        var role = Assert.Throws<ArgumentException>(() => plan.ForRole("core"));
        Assert.StartsWith("unknown role 'core': pipeline 'plan' has the roles edge, workers, store", role.Message, StringComparison.Ordinal);
        var single = Assert.Throws<ArgumentException>(() => new ClusterPlan(Definition with { Nodes = [] }, 256));
        Assert.StartsWith("pipeline 'plan' has no 'nodes:' section", single.Message, StringComparison.Ordinal);
    }
}
