namespace Pipeline.Tests.Runtime;

public sealed class ValeFlowTests : PipelineTestBase
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Pipeline_branches_attached_to_one_VALE_switch_exchange_frames()
    {
        // Two branches of one pipeline on switch vale7: frames sent into port p1 are flooded (broadcast)
        // to p2 and p3; the branch reading p2 forwards them to a pipe the test reads.
        var definition = Define(
            [("in", "netmap:vf}0"), ("p1", "vale7:p1"), ("p2", "vale7:p2"), ("p3", "vale7:p3"), ("lan", "netmap:vf{1")],
            [("a", "pass", null), ("b", "pass", null)],
            "in -> a -> p1",
            "p2 -> b -> lan",
            "p3 -> drop");
        var runtime = Start(definition);
        var tx = OpenEnd("netmap:vf{0");
        var rx = OpenEnd("netmap:vf}1");
        var frames = Enumerable.Range(0, 50).Select(i =>
        {
            var frame = Packet(80, i);
            frame.AsSpan(0, 6).Fill(0xFF); // broadcast destination
            frame[6] = 0x02; // a unicast source MAC
            return frame;
        }).ToList();

        SendAll(tx, frames, Timeout);
        var received = Receive(rx, frames.Count, Timeout);
        var vale = Assert.Single(Domain.ListVale(), s => s.Name == "vale7");
        Assert.Equal(3, vale.Ports.Count);
        var deadline = DateTime.UtcNow + Timeout;
        while (runtime.CountersOf("p3").InPackets < 50 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(2); // p3's branch reads on its own: let it take the flooded copies before the stop
        }

        await runtime.StopAsync(Timeout);

        Assert.Equal(frames, received.Select(r => r.Data));
        Assert.Equal(50, runtime.CountersOf("p1").OutPackets);
        Assert.Equal(50, runtime.CountersOf("p2").InPackets);
        Assert.Equal(50, runtime.CountersOf("p3").InPackets); // flooded there too, and discarded
        Assert.Empty(Domain.ListVale()); // the switch went with its last port
        CloseAndAudit();
    }
}
