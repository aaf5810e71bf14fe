using Pipeline.Cluster.Tests.Support;

namespace Pipeline.Cluster.Tests.Runs;

public sealed class BackpressureTests
{
    [Fact]
    public async Task A_slow_remote_stage_holds_the_sender_back_with_bounded_packets_in_flight()
    {
        await using var cluster = new ClusterFixture();
        const int Batch = 32;
        const int Window = 2;
        const int LinkSlots = 128;
        const int MessageBytes = 8 * 1024;
        var sent = FlowCapture.Write(cluster.PathOf("in.pcap"), flows: 16, perFlow: 4000); // 64000 packets: far more than can be in flight
        var definition = cluster.Load($$"""
            name: slow
            nodes: [edge, worker]
            memory: { buffers: 4096, batch-size: {{Batch}}, window: {{Window}} }
            ports:
              in: { spec: "pcap:{{cluster.PathOf("in.pcap")}}" }
            stages:
              slow: { type: record-flows, session: slow, sleep-ms: 2, node: worker }
            pipes:
              - in -> slow -> drop
            """);
        ClusterPipelineOptions Tight(ClusterPipelineOptions o) => new()
        {
            Definition = o.Definition, Role = o.Role, Seeds = o.Seeds, SystemName = o.SystemName, ReportInterval = o.ReportInterval,
            FailureTimeout = o.FailureTimeout, DownAfter = o.DownAfter, ExtraHocon = o.ExtraHocon,
            Domain = o.Domain, Checked = o.Checked, LinkWindow = Window, LinkSlots = LinkSlots, MaxMessageBytes = MessageBytes,
        };

        var edge = await cluster.StartAsync(definition, "edge", tweak: Tight);
        var worker = await cluster.StartAsync(definition, "worker", seed: edge, tweak: Tight);
        var runtime = await edge.Pipeline.Started.WaitAsync(ClusterFixture.Patience);
        var workerRuntime = await worker.Pipeline.Started.WaitAsync(ClusterFixture.Patience);

        // Packets that can be between the edge's port and the slow stage: the edge's pipe window, its link pipe, the
        // batches on the wire (window x what a message holds), the worker's link pipe, and its pipe window.
        var perMessage = MessageBytes / (64 + 2);
        var bound = (Window * Batch) + LinkSlots + (Window * perMessage) + LinkSlots + (Window * Batch) + Batch;
        var slow = workerRuntime.CountersOf("slow");
        var read = runtime.CountersOf("in");
        var samples = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        while (DateTime.UtcNow < deadline || samples < 20)
        {
            var inFlight = read.InPackets - slow.InPackets;
            Assert.True(inFlight <= bound, $"{inFlight} packets between the sender and the slow stage (bound {bound})");
            samples++;
            await Task.Delay(50);
        }

        Assert.True(slow.InPackets > 0, "the slow stage got packets");
        Assert.True(read.InPackets < sent.Count / 2, $"the sender read {read.InPackets} of {sent.Count} packets: it was not held back");
        await cluster.StopAllAsync(); // and every buffer is back in each node's arena
    }
}
