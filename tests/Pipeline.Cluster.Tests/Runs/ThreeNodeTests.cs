using Pipeline.Cluster.Tests.Support;
using Pipeline.Stages;
using Xunit.Abstractions;

namespace Pipeline.Cluster.Tests.Runs;

public sealed class ThreeNodeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_stage_spread_over_two_worker_nodes_gets_whole_flows_and_every_packet_arrives_once_in_order()
    {
        await using var cluster = new ClusterFixture();
        var session = Guid.NewGuid().ToString("N");
        var sent = FlowCapture.Write(cluster.PathOf("in.pcap"), flows: 64, perFlow: 120);
        var definition = cluster.Load($$"""
            name: spread
            nodes: [edge, workers]
            memory: { buffers: 8192, batch-size: 64 }
            ports:
              in:  { spec: "pcap:{{cluster.PathOf("in.pcap")}}" }
              out: { spec: "pcap-out:{{cluster.PathOf("out.pcap")}}" }
            stages:
              work: { type: record-flows, session: {{session}}, node: workers, instances: 2 }
            pipes:
              - in -> work -> out
            """);

        var edge = await cluster.StartAsync(definition, "edge");
        var first = await cluster.StartAsync(definition, "workers", seed: edge);
        await ClusterFixture.WaitUntilAsync(() => first.Pipeline.Status == ClusterPipelineStatus.Waiting, "the first worker is a member");
        Assert.Equal([new RoleWait("workers", 1, 2)], first.Pipeline.WaitingFor); // instances: 2 waits for a second worker
        Assert.Null(edge.Pipeline.Runtime);
        var second = await cluster.StartAsync(definition, "workers", seed: edge);
        await Task.WhenAll(edge.Pipeline.Started, first.Pipeline.Started, second.Pipeline.Started).WaitAsync(ClusterFixture.Patience);
        await edge.Pipeline.WaitForInputEndAsync(new CancellationTokenSource(ClusterFixture.Patience).Token);

        var view = edge.Pipeline.View;
        Assert.Equal(3, view.Nodes.Count);
        Assert.Equal(sent.Count, view.SourceIn);
        Assert.Equal(sent.Count, view.SinkOut);
        Assert.Equal(0, view.TotalDrops);
        var onFirst = view[first.Pipeline.NodeName].Rows.Single(r => r.Name == "work").InPackets;
        var onSecond = view[second.Pipeline.NodeName].Rows.Single(r => r.Name == "work").InPackets;
        Assert.Equal(sent.Count, onFirst + onSecond);
        Assert.True(onFirst > 0 && onSecond > 0, $"both instances work: {onFirst} and {onSecond} packets");

        var flows = FlowRecorder.Sessions[session];
        Assert.Equal(64, flows.Count);
        Assert.All(flows, flow => Assert.Single(flow.Value)); // every flow on one instance only
        Assert.Equal(2, flows.SelectMany(f => f.Value.Keys).Distinct().Count());

        await cluster.StopAllAsync();
        FlowCapture.AssertExactlyOnceInOrder(sent, FlowCapture.Read(cluster.PathOf("out.pcap")));
    }

    [Fact]
    public async Task When_a_worker_dies_mid_run_the_others_go_on_its_in_flight_packets_count_as_node_lost_and_a_new_worker_rejoins()
    {
        await using var cluster = new ClusterFixture();
        await using var clock = new InputClock();
        var session = Guid.NewGuid().ToString("N");
        // 64 flows, 9600 packets over 14 s of recorded time, played on the edge's clock: the test moves it, so the
        // input lasts until a worker has been killed, downed and replaced, however long a loaded machine takes for that.
        var sent = FlowCapture.Write(cluster.PathOf("in.pcap"), flows: 64, perFlow: 150, spacing: TimeSpan.FromMilliseconds(1.5));
        var definition = cluster.Load($$"""
            name: survive
            nodes: [edge, workers]
            memory: { buffers: 8192, batch-size: 32 }
            ports:
              in:  { spec: "pcap:{{cluster.PathOf("in.pcap")}}", pace: recorded }
              out: { spec: "pcap-out:{{cluster.PathOf("out.pcap")}}" }
            stages:
              work: { type: record-flows, session: {{session}}, node: workers, instances: 2 }
            pipes:
              - in -> work -> out
            """);

        var edge = await cluster.StartAsync(definition, "edge", time: clock.Time);
        var survivor = await cluster.StartAsync(definition, "workers", seed: edge);
        var victim = await cluster.StartAsync(definition, "workers", seed: edge);
        await Task.WhenAll(edge.Pipeline.Started, survivor.Pipeline.Started, victim.Pipeline.Started).WaitAsync(ClusterFixture.Patience);
        var victimName = victim.Pipeline.NodeName;
        clock.Play();
        await ClusterFixture.WaitUntilAsync(() => Work(edge, victimName) > 200, "the victim has worked");

        await cluster.KillAsync(victim);
        var atKill = edge.Pipeline.View.SinkOut;
        await ClusterFixture.WaitUntilAsync(() => edge.Pipeline.View.SinkOut > atKill + 200, "packets still arrive through the survivor");
        clock.Pause(); // the rest of the input waits for the new worker
        await ClusterFixture.WaitUntilAsync(() => edge.Pipeline.View[victimName].Status == Counters.ClusterNodeStatus.Lost, "the dead worker is downed");

        var comeback = await cluster.StartAsync(definition, "workers", seed: edge);
        await comeback.Pipeline.Started.WaitAsync(ClusterFixture.Patience);
        clock.Play();
        await ClusterFixture.WaitUntilAsync(() => Work(edge, comeback.Pipeline.NodeName) > 0 || edge.Pipeline.InputFinished, "the new worker gets flows");
        Assert.True(Work(edge, comeback.Pipeline.NodeName) > 0, "the input ended before the new worker got a packet");
        clock.FastForward();
        await edge.Pipeline.WaitForInputEndAsync(new CancellationTokenSource(ClusterFixture.Patience).Token);

        var view = edge.Pipeline.View;
        output.WriteLine($"in {view.SourceIn}, out {view.SinkOut}, node-lost {view.Drops.GetValueOrDefault(DropReason.NodeLost)} (inside the dead node {view[victimName].LostInside})");
        Assert.Equal(sent.Count, view.SourceIn);
        Assert.True(view.Balanced, $"in {view.SourceIn} != out {view.SinkOut} + drops {view.TotalDrops}");
        Assert.Equal(view.TotalDrops, view.Drops.GetValueOrDefault(DropReason.NodeLost)); // nothing else was dropped
        Assert.True(view[victimName].LostInside >= 0);
        var received = FlowCapture.Read(cluster.PathOf("out.pcap"));
        Assert.Equal(view.SinkOut, received.Count);
        Assert.Equal(received.Count, received.Select(f => FlowCapture.Id(f)).Distinct().Count()); // none twice
    }

    private static long Work(Hosting.ClusterNode observer, string node) =>
        observer.Pipeline.View.Nodes.FirstOrDefault(n => n.Node == node)?.Rows.FirstOrDefault(r => r.Name == "work")?.InPackets ?? 0;
}
