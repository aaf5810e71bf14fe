using Pipeline.Cluster.Counters;
using Pipeline.Cluster.Tests.Support;

namespace Pipeline.Cluster.Tests.Runs;

public sealed class TwoNodeTests
{
    [Fact]
    public async Task A_pipeline_split_over_two_nodes_delivers_every_packet_once_and_each_flow_in_order()
    {
        await using var cluster = new ClusterFixture();
        var sent = FlowCapture.Write(cluster.PathOf("in.pcap"), flows: 40, perFlow: 250);
        var definition = cluster.Load($$"""
            name: split
            nodes: [edge, worker]
            memory: { buffers: 8192, batch-size: 64 }
            ports:
              in:  { spec: "pcap:{{cluster.PathOf("in.pcap")}}" }
              out: { spec: "pcap-out:{{cluster.PathOf("out.pcap")}}" }
            stages:
              tag: { type: vlan-push, vid: 7, node: worker }
            pipes:
              - in -> tag -> out
            """);

        var edge = await cluster.StartAsync(definition, "edge");
        await ClusterFixture.WaitUntilAsync(() => edge.Pipeline.Status == ClusterPipelineStatus.Waiting, "the first node is a member");
        Assert.Equal([new RoleWait("worker", 0, 1)], edge.Pipeline.WaitingFor);
        var worker = await cluster.StartAsync(definition, "worker", seed: edge);
        await edge.Pipeline.Started.WaitAsync(ClusterFixture.Patience);
        await worker.Pipeline.Started.WaitAsync(ClusterFixture.Patience);
        await edge.Pipeline.WaitForInputEndAsync(new CancellationTokenSource(ClusterFixture.Patience).Token);

        var view = edge.Pipeline.View;
        Assert.Equal(sent.Count, view.SourceIn);
        Assert.Equal(sent.Count, view.SinkOut);
        Assert.Equal(0, view.TotalDrops);
        var tag = Assert.Single(view[worker.Pipeline.NodeName].Rows, r => r.Name == "tag");
        Assert.Equal(sent.Count, tag.InPackets); // the stage ran on the worker, not on the edge
        Assert.DoesNotContain(view[edge.Pipeline.NodeName].Rows, r => r.Name == "tag");
        Assert.Contains(view[edge.Pipeline.NodeName].Rows, r => r is { Name: "in.out->tag", Kind: ClusterRowKind.Link });

        await cluster.StopAllAsync();
        var received = FlowCapture.Read(cluster.PathOf("out.pcap"));
        FlowCapture.AssertExactlyOnceInOrder(sent, received, shift: 4);
        for (var i = 0; i < received.Count; i++)
        {
            Assert.Equal([0x81, 0x00, 0x00, 0x07], received[i][12..16]); // the worker's tag
        }
    }
}
