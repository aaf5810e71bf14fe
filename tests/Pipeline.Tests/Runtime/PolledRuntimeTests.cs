using Netmap.Io.Ports;
using Pipeline.Config;
using Pipeline.Runtime;

namespace Pipeline.Tests.Runtime;

/// <summary>
/// <see cref="PipelineRuntimeOptions.Polled"/>: the pipeline's actors run only inside <see cref="PipelineRuntime.Poll"/>,
/// on the thread that calls it, so an application that feeds a port, polls and drains on one thread keeps every
/// packet on that thread; a stop needs no poll; every packet arrives or is counted, and every buffer comes back.
/// </summary>
public sealed class PolledRuntimeTests : PipelineTestBase
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public PolledRuntimeTests()
    {
        Registry.Register<ThreadLogStage>();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_polled_pipeline_moves_packets_only_in_poll_and_only_on_the_polling_thread(bool fuse)
    {
        var key = Guid.NewGuid().ToString("N");
        var runtime = StartPolled(Definition("po", key), fuse);
        var pollingThread = Environment.CurrentManagedThreadId; // this test polls from here (an await below may move it)
        var tx = OpenEnd("netmap:po{0");
        var rx = OpenEnd("netmap:po}1");
        Assert.True(runtime.IsPolled);

        // Nothing runs while nobody polls: the packets wait in the input ring.
        Assert.Equal(10, InjectSome(tx, Enumerable.Range(0, 10).Select(i => Packet(64, i)).ToList()));
        tx.TxSync();
        Thread.Sleep(100);
        rx.RxSync();
        Assert.True(rx.RxRing.IsEmpty);
        Assert.Equal(0, runtime.CountersOf("wan").InPackets);

        // Feed, poll and drain on this thread only.
        var packets = Enumerable.Range(10, 3000).Select(i => Packet(60 + (i % 200), i)).ToList();
        var received = new List<byte[]>();
        var next = 0;
        var deadline = DateTime.UtcNow + Timeout;
        while (received.Count < packets.Count + 10)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{received.Count} of {packets.Count + 10} packets arrived");
            next += InjectSome(tx, packets.Skip(next).Take(256).ToList());
            tx.TxSync();
            runtime.Poll();
            received.AddRange(Drain(rx));
        }

        await runtime.StopAsync(Timeout);

        Assert.Equal(Enumerable.Range(0, 10).Select(i => Packet(64, i)).Concat(packets), received);
        var log = ThreadLogStage.Log[key];
        Assert.Equal(["a", "b"], log.Keys.Order(StringComparer.Ordinal));
        Assert.All(log.Values, s => Assert.Equal(new[] { pollingThread }, s.Threads.Values.Select(t => t.Id).Distinct()));
        Assert.Equal(packets.Count + 10, runtime.CountersOf("lan").OutPackets);
        CloseAndAudit();
    }

    [Fact]
    public async Task A_polled_pipeline_stops_without_a_poll_and_accounts_for_what_was_waiting()
    {
        var key = Guid.NewGuid().ToString("N");
        var runtime = StartPolled(Definition("ps", key), fuse: false);
        var tx = OpenEnd("netmap:ps{0");
        var rx = OpenEnd("netmap:ps}1");
        var sent = InjectSome(tx, Enumerable.Range(0, 300).Select(i => Packet(80, i)).ToList());
        tx.TxSync();
        runtime.Poll(maxRuns: 3); // a little work done; the rest is still queued

        await runtime.StopAsync(Timeout).WaitAsync(Timeout);

        Assert.Equal(0, runtime.Poll()); // stopping handed the work to the thread pool
        var wan = runtime.CountersOf("wan");
        var lan = runtime.CountersOf("lan");
        var dropped = runtime.Counters.Sum(c => c.TotalDrops);
        Assert.InRange(wan.InPackets, 0, sent);
        Assert.Equal(wan.InPackets, lan.OutPackets + dropped); // what entered left or is counted
        rx.RxSync();
        CloseAndAudit();
    }

    [Fact]
    public async Task A_polled_pipeline_takes_no_threads_and_a_pipeline_with_threads_takes_no_poll()
    {
        var definition = Definition("pt", Guid.NewGuid().ToString("N"));
        var error = Assert.Throws<ArgumentException>(() =>
            PipelineRuntime.Start(Sys, definition, new PipelineRuntimeOptions { Domain = Domain, Registry = Registry, Polled = true, Threads = 1 }));
        Assert.Contains("Threads must be 0 or null", error.Message, StringComparison.Ordinal);

        var runtime = Start(definition);
        var notPolled = Assert.Throws<InvalidOperationException>(() => runtime.Poll());
        Assert.Contains("was not started with PipelineRuntimeOptions.Polled", notPolled.Message, StringComparison.Ordinal);
        await runtime.StopAsync(Timeout);
        CloseAndAudit();
    }

    private PipelineDefinition Definition(string pipe, string key) => PipelineLoader.Parse($$"""
        name: {{pipe}}
        ports:
          wan: { spec: "netmap:{{pipe}}}0" }
          lan: { spec: "netmap:{{pipe}}{1" }
        stages:
          a: { type: thread-log, key: {{key}} }
          b: { type: thread-log, key: {{key}} }
        pipes:
          - wan -> a -> b -> lan
        """, pipe + ".yaml", Registry);

    private PipelineRuntime StartPolled(PipelineDefinition definition, bool fuse) =>
        PipelineRuntime.Start(Sys, definition, new PipelineRuntimeOptions { Domain = Domain, Checked = true, Registry = Registry, Polled = true, FuseStages = fuse });

    private static int InjectSome(PortHandle tx, List<byte[]> packets)
    {
        var n = 0;
        foreach (var packet in packets)
        {
            if (tx.TxRing.Space == 0 || tx.Inject(packet) == 0)
            {
                break;
            }

            n++;
        }

        return n;
    }

    private static List<byte[]> Drain(PortHandle rx)
    {
        var got = new List<byte[]>();
        var scratch = new byte[65536];
        var ring = rx.RxRing;
        rx.RxSync();
        while (!ring.IsEmpty)
        {
            var len = ring.CopyPacket(ring.Head, scratch, out var next, out _);
            got.Add(scratch[..len]);
            ring.Head = ring.Cur = next;
        }

        rx.RxSync();
        return got;
    }
}
