using Netmap.Io;
using Netmap.Io.Memory;
using Pipeline.Cluster.Hosting;
using Pipeline.Config;
using Pipeline.Stages;
using Stages;

namespace Pipeline.Cluster.Tests.Support;

/// <summary>
/// Starts cluster nodes on 127.0.0.1 (free ports picked by the OS) in this process, each in its own host and actor
/// system talking over Akka.Remote, with failure detection tuned for tests; stops every node at the end.
/// </summary>
internal sealed class ClusterFixture : IAsyncDisposable
{
    /// <summary>Generous upper bound for anything a test waits for.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    // Fast gossip and failure detection (a dead node is downed in about five seconds); a terminated actor system
    // does not leave the cluster (KillAsync is a crash), while a disposed node does (its host runs coordinated shutdown).
    private const string TestHocon = """
        akka.coordinated-shutdown.run-by-actor-system-terminate = off
        akka.cluster.gossip-interval = 200ms
        akka.cluster.leader-actions-interval = 200ms
        akka.cluster.unreachable-nodes-reaper-interval = 250ms
        akka.cluster.periodic-tasks-initial-delay = 100ms
        akka.cluster.failure-detector.heartbeat-interval = 250ms
        akka.cluster.failure-detector.threshold = 8.0
        """;

    private readonly List<(ClusterNode Node, NetmapDomain Domain)> _nodes = [];

    public ClusterFixture()
    {
        Directory = Path.Combine(Path.GetTempPath(), "pipeline-cluster-tests", Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(Directory);
        Registry = BuiltInStages.CreateRegistry().Register<FlowRecorder>();
    }

    /// <summary>A fresh directory for the test's captures.</summary>
    public string Directory { get; }

    public StageRegistry Registry { get; }

    public string PathOf(string name) => Path.Combine(Directory, name);

    public PipelineDefinition Load(string yaml) => PipelineLoader.Parse(yaml, "cluster.yaml", Registry, Directory);

    /// <summary>
    /// Starts a node of <paramref name="role"/>; with no seed it starts the cluster. The node runs in checked mode
    /// in a checked domain of its own, audited when it stops: every buffer back, every port closed. With
    /// <paramref name="time"/>, its pipeline runs on that clock (a paced capture goes as fast as the test moves it).
    /// </summary>
    public async Task<ClusterNode> StartAsync(PipelineDefinition definition, string role, ClusterNode? seed = null, Func<ClusterPipelineOptions, ClusterPipelineOptions>? tweak = null, TimeProvider? time = null)
    {
        var options = new ClusterPipelineOptions
        {
            Definition = definition,
            Role = role,
            Seeds = seed is null ? [] : [seed.Pipeline.SelfAddress],
            SystemName = "pipeline-test",
            ReportInterval = TimeSpan.FromMilliseconds(100),
            FailureTimeout = TimeSpan.FromSeconds(3), // generous: the whole test suite shares two cores
            DownAfter = TimeSpan.FromSeconds(1),
            DrainTimeout = TimeSpan.FromSeconds(5),
            ExtraHocon = TestHocon,
            Checked = true,
            Domain = new NetmapDomain(new ArenaOptions { BufferCount = definition.Memory.Buffers, BufferSize = definition.Memory.BufferSize, Checked = true }),
            Time = time ?? TimeProvider.System,
        };
        options = tweak?.Invoke(options) ?? options;
        var node = await ClusterNode.StartAsync(options);
        _nodes.Add((node, options.Domain!));
        return node;
    }

    /// <summary>Waits until <paramref name="condition"/> holds, failing with <paramref name="what"/> after <see cref="Patience"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(20);
        }
    }

    /// <summary>Kills a node as a crash would (no drain, no leave).</summary>
    public async Task KillAsync(ClusterNode node)
    {
        var entry = _nodes.Single(n => n.Node == node);
        _nodes.Remove(entry);
        await node.KillAsync();
        entry.Domain.Dispose(); // what the dead node held goes with its memory, unaudited
    }

    /// <summary>Stops every node (in parallel: each drains while the others still run), then audits their memory.</summary>
    public async Task StopAllAsync()
    {
        var nodes = _nodes.ToArray();
        _nodes.Clear();
        await Task.WhenAll(nodes.Select(n => n.Node.DisposeAsync().AsTask()));
        foreach (var (node, domain) in nodes)
        {
            Assert.True(domain.OpenHandles == 0, $"{node.Pipeline.NodeName} left {domain.OpenHandles} port handles open");
            domain.DefaultArena.AssertNoLeaks();
            domain.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAllAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // a file still open by a failed test's node: the temp directory keeps it
        }
    }
}
