using System.Collections.Concurrent;
using Pipeline.Config;
using Pipeline.Runtime;
using Pipeline.Stages;

namespace Pipeline.Tests.Runtime;

/// <summary>
/// The <c>runtime:</c> section at run time: <c>threads: N</c> puts the pipeline's actors on a pool of N threads of
/// its own, named after it, that end after the pipeline stops; <c>fuse: true</c> runs the stages in one actor; the
/// options override the file. Whatever runs them, every packet arrives and the counts add up.
/// </summary>
public sealed class RuntimeThreadsTests : PipelineTestBase
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public RuntimeThreadsTests()
    {
        Registry.Register<ThreadLogStage>();
    }

    [Theory]
    [InlineData("threads: 1", "{ threads: 1 }", false, 1, false)]
    [InlineData("threads: 1 and fuse", "{ threads: 1, fuse: true }", true, 1, false)]
    [InlineData("fuse alone", "{ fuse: true }", true, null, false)]
    [InlineData("threads: 2", "{ threads: 2 }", false, 2, false)]
    [InlineData("threads: 1 with dedicated ports", "{ threads: 1 }", false, 1, true)]
    public async Task The_stages_run_where_the_runtime_section_says_and_every_packet_arrives(string row, string section, bool fuse, int? threads, bool dedicatedPorts)
    {
        _ = row;
        var key = Guid.NewGuid().ToString("N");
        var ports = dedicatedPorts ? ", thread: dedicated" : string.Empty;
        var runtime = Start(PipelineLoader.Parse($$"""
            name: rt
            runtime: {{section}}
            ports:
              wan: { spec: "netmap:rt}0"{{ports}} }
              lan: { spec: "netmap:rt{1"{{ports}} }
            stages:
              a: { type: thread-log, key: {{key}} }
              b: { type: thread-log, key: {{key}} }
              c: { type: thread-log, key: {{key}} }
            pipes:
              - wan -> a -> b -> c -> lan
            """, "rt.yaml", Registry));
        var tx = OpenEnd("netmap:rt{0");
        var rx = OpenEnd("netmap:rt}1");
        var packets = Enumerable.Range(0, 3000).Select(i => Packet(60 + (i % 200), i)).ToList();

        SendAll(tx, packets, Timeout);
        var received = Receive(rx, packets.Count, Timeout);
        await runtime.StopAsync(Timeout);

        Assert.Equal(packets, received.Select(r => r.Data));
        foreach (var stage in new[] { "a", "b", "c" })
        {
            var counters = runtime.CountersOf(stage);
            Assert.Equal(packets.Count, counters.InPackets);
            Assert.Equal(counters.InPackets, counters.OutPackets + counters.TotalDrops);
        }

        Assert.Equal(packets.Count, runtime.CountersOf("lan").OutPackets);
        var log = ThreadLogStage.Log[key];
        Assert.Equal(["a", "b", "c"], log.Keys.Order(StringComparer.Ordinal));
        var scopes = log.Values.SelectMany(s => s.Scopes.Keys).Distinct().Count();
        Assert.Equal(fuse ? 1 : 3, scopes); // fused: one actor ran all three
        var used = log.Values.SelectMany(s => s.Threads.Values).Distinct().ToList();
        if (threads is { } n)
        {
            Assert.Equal("pipeline-rt", runtime.DispatcherId);
            Assert.All(used, t => Assert.False(t.Pooled)); // not the .NET thread pool's
            Assert.All(used, t => Assert.Matches($"^pipeline-rt_[1-{n}]$", t.Name));
            Assert.InRange(used.Count, 1, n);
            if (n == 1)
            {
                // Every stage's every batch on the one thread.
                Assert.All(log.Values, s => Assert.Equal(new[] { used[0].Id }, s.Threads.Values.Select(t => t.Id)));
            }
        }
        else
        {
            Assert.Null(runtime.DispatcherId);
        }

        Assert.Equal(dedicatedPorts ? 2 : 0, runtime.SyncThreads.Count); // ports with thread: dedicated keep theirs
        CloseAndAudit();
    }

    [Fact]
    public async Task The_pools_threads_end_after_the_pipeline_stops_and_do_not_pile_up_over_many_runs()
    {
        var key = Guid.NewGuid().ToString("N");
        var definition = PipelineLoader.Parse($$"""
            name: cycle
            runtime: { threads: 2 }
            ports:
              wan: { spec: "netmap:cy}0" }
              lan: { spec: "netmap:cy{1" }
            stages:
              a: { type: thread-log, key: {{key}} }
              b: { type: thread-log, key: {{key}} }
            pipes:
              - wan -> a -> b -> lan
            """, "cycle.yaml", Registry);
        var packets = Enumerable.Range(0, 64).Select(i => Packet(64, i)).ToList();

        for (var run = 0; run < 20; run++)
        {
            var runtime = Start(definition);
            var tx = OpenEnd("netmap:cy{0");
            var rx = OpenEnd("netmap:cy}1");
            SendAll(tx, packets, Timeout);
            Assert.Equal(packets.Count, Receive(rx, packets.Count, Timeout).Count);
            await runtime.StopAsync(Timeout);
            Assert.Equal("pipeline-cycle", runtime.DispatcherId); // the same dispatcher, lent again
            CloseAndAudit();
        }

        Assert.Equal(["pipeline-cycle"], PipelineDispatchers.Get(Sys).Registered);
        var used = ThreadLogStage.Log[key].Values.SelectMany(s => s.Threads).ToList();
        Assert.NotEmpty(used);
        Assert.All(used, t => Assert.StartsWith("pipeline-cycle_", t.Value.Name, StringComparison.Ordinal));

        // With no actor left on it, Akka shuts the dispatcher's pool down after its shutdown timeout (0.1 s).
        var deadline = DateTime.UtcNow + Timeout;
        while (used.Any(t => t.Key.IsAlive) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.All(used, t => Assert.False(t.Key.IsAlive, $"{t.Value.Name} outlived its pipeline"));
    }

    [Fact]
    public async Task Two_pipelines_of_one_name_running_at_once_get_pools_of_their_own()
    {
        var key = Guid.NewGuid().ToString("N");
        PipelineDefinition Definition(string pipe) => PipelineLoader.Parse($$"""
            name: twin
            runtime: { threads: 1 }
            ports:
              wan: { spec: "netmap:{{pipe + "}0"}}" }
              lan: { spec: "netmap:{{pipe + "{1"}}" }
            stages:
              a: { type: thread-log, key: {{key}}{{pipe}} }
            pipes:
              - wan -> a -> lan
            """, "twin.yaml", Registry);
        var packets = Enumerable.Range(0, 64).Select(i => Packet(64, i)).ToList();

        var first = Start(Definition("tw1"));
        var second = Start(Definition("tw2"));
        foreach (var pipe in new[] { "tw1", "tw2" })
        {
            SendAll(OpenEnd($"netmap:{pipe}{{0"), packets, Timeout);
            Assert.Equal(packets.Count, Receive(OpenEnd($"netmap:{pipe}}}1"), packets.Count, Timeout).Count);
        }

        await first.StopAsync(Timeout);
        var third = Start(Definition("tw3"));
        await second.StopAsync(Timeout);
        await third.StopAsync(Timeout);

        Assert.Equal("pipeline-twin", first.DispatcherId);
        Assert.Equal("pipeline-twin-2", second.DispatcherId);
        Assert.Equal("pipeline-twin", third.DispatcherId); // the first one's, given back at its stop
        var firstThread = Assert.Single(ThreadLogStage.Log[key + "tw1"]["a"].Threads.Values);
        var secondThread = Assert.Single(ThreadLogStage.Log[key + "tw2"]["a"].Threads.Values);
        Assert.Equal("pipeline-twin_1", firstThread.Name);
        Assert.Equal("pipeline-twin-2_1", secondThread.Name);
        CloseAndAudit();
    }

    [Fact]
    public async Task Options_set_in_code_win_over_the_runtime_section()
    {
        var key = Guid.NewGuid().ToString("N");
        var definition = PipelineLoader.Parse($$"""
            name: over
            runtime: { threads: 1, fuse: true }
            ports:
              wan: { spec: "netmap:ov}0" }
              lan: { spec: "netmap:ov{1" }
            stages:
              a: { type: thread-log, key: {{key}} }
              b: { type: thread-log, key: {{key}} }
            pipes:
              - wan -> a -> b -> lan
            """, "over.yaml", Registry);
        var packets = Enumerable.Range(0, 64).Select(i => Packet(64, i)).ToList();

        var runtime = PipelineRuntime.Start(Sys, definition, new PipelineRuntimeOptions { Domain = Domain, Checked = true, Threads = 0, FuseStages = false });
        SendAll(OpenEnd("netmap:ov{0"), packets, Timeout);
        Assert.Equal(packets.Count, Receive(OpenEnd("netmap:ov}1"), packets.Count, Timeout).Count);
        await runtime.StopAsync(Timeout);

        Assert.Null(runtime.DispatcherId); // threads: 0, the default dispatcher
        var log = ThreadLogStage.Log[key];
        Assert.Equal(2, log.Values.SelectMany(s => s.Scopes.Keys).Distinct().Count()); // not fused: an actor each
        CloseAndAudit();
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(65)]
    public void Threads_out_of_range_in_the_options_are_refused_before_anything_opens(int threads)
    {
        var definition = Define([("wan", "netmap:bad}0"), ("lan", "netmap:bad{1")], [("a", "pass", null)], "wan -> a -> lan");

        Assert.Throws<ArgumentOutOfRangeException>(() =>
            PipelineRuntime.Start(Sys, definition, new PipelineRuntimeOptions { Domain = Domain, Checked = true, Registry = Registry, Threads = threads }));
        CloseAndAudit();
    }
}

public sealed record ThreadLogOptions
{
    public string Key { get; init; } = "";
}

/// <summary>Passes every packet on, recording the threads and the actors (ownership scopes) that ran it, per test key and stage.</summary>
[Stage("thread-log")]
public sealed class ThreadLogStage(ThreadLogOptions options) : IPacketStage
{
    public static ConcurrentDictionary<string, ConcurrentDictionary<string, Runs>> Log { get; } = new();

    public void OnBatch(PacketBatch batch, StageContext context)
    {
        var runs = Log.GetOrAdd(options.Key, static _ => new()).GetOrAdd(context.StageName, static _ => new());
        var thread = Thread.CurrentThread;
        runs.Threads[thread] = new ThreadSeen(thread.ManagedThreadId, thread.Name, thread.IsThreadPoolThread);
        runs.Scopes[OwnershipScope.Current!] = 0;
    }

    /// <summary>A thread as it was while it ran the stage (a thread that has ended no longer says whether it was pooled).</summary>
    public sealed record ThreadSeen(int Id, string? Name, bool Pooled);

    /// <summary>The threads and the actors a stage ran on.</summary>
    public sealed class Runs
    {
        public ConcurrentDictionary<Thread, ThreadSeen> Threads { get; } = new();

        public ConcurrentDictionary<object, byte> Scopes { get; } = new();
    }
}
