using Akka.Actor;
using Netmap.Io;
using Pipeline.Cluster.Counters;
using Pipeline.Cluster.Links;
using Pipeline.Cluster.Placement;
using Pipeline.Config;
using Pipeline.Runtime;

namespace Pipeline.Cluster;

/// <summary>
/// One node's part of a pipeline that runs across several nodes on Akka.Cluster. <see cref="Start"/> joins the
/// cluster; once every role of the file's <c>nodes:</c> has its nodes (<see cref="WaitingFor"/> says which are
/// missing), the node runs the ports and stages placed on its role, and every pipe to another role becomes a
/// cross-node link: batches serialised over Akka.Remote, with credits, spread over the target role's nodes by flow.
/// <see cref="View"/> is the cluster-wide table; <see cref="InputFinished"/> tells when the whole cluster is done.
/// </summary>
/// <example>
/// <code>
/// var options = new ClusterPipelineOptions { Definition = definition, Role = "edge", Port = 4053 };
/// await using var node = await ClusterNode.StartAsync(options, cancellation);
/// await node.Pipeline.Started;                       // every role is present
/// await node.Pipeline.WaitForInputEndAsync(cancellation);
/// foreach (var n in node.Pipeline.View.Nodes) Console.WriteLine($"{n.Node}: {n.SourceIn} in, {n.SinkOut} out");
/// </code>
/// </example>
public sealed class ClusterPipeline : IAsyncDisposable
{
    /// <summary>The coordinator's actor name: <c>/user/pipeline-cluster</c> on every node.</summary>
    public const string ActorName = "pipeline-cluster";

    private readonly TaskCompletionSource<PipelineRuntime> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ClusterPipelineOptions _options;
    private readonly RolePlan _rolePlan;
    private IActorRef _coordinator = ActorRefs.Nobody;
    private volatile PipelineRuntime? _runtime;
    private volatile ClusterView _view = ClusterView.Empty;
    private volatile IReadOnlyList<RoleWait> _waiting = [];
    private volatile IReadOnlyList<(IActorRef Actor, LinkState State, bool Outgoing)> _links = [];
    private NetmapDomain? _ownedDomain;
    private int _status = (int)ClusterPipelineStatus.Joining;
    private volatile bool _finished;
    private int _stopped;

    private ClusterPipeline(ActorSystem system, ClusterPlan plan, RolePlan rolePlan, ClusterPipelineOptions options)
    {
        System = system;
        Plan = plan;
        _rolePlan = rolePlan;
        _options = options;
        var self = Akka.Cluster.Cluster.Get(system).SelfAddress;
        SelfAddress = $"{self.Host}:{self.Port}";
        NodeName = $"{options.Role}@{SelfAddress}";
    }

    /// <summary>The actor system the node runs in.</summary>
    public ActorSystem System { get; }

    /// <summary>This node's role.</summary>
    public string Role => _options.Role;

    /// <summary>Where this node listens, <c>HOST:PORT</c> (what other nodes give as <c>--seed</c>).</summary>
    public string SelfAddress { get; }

    /// <summary>This node in tables: <c>role@host:port</c>.</summary>
    public string NodeName { get; }

    /// <summary>The pipeline this node's part belongs to.</summary>
    public PipelineDefinition Definition => Plan.Definition;

    /// <summary>What this node runs: its ports and stages and a port per cross-node pipe.</summary>
    public PipelineDefinition LocalDefinition => _rolePlan.Definition;

    /// <summary>Joining, waiting for the other roles, running, ...</summary>
    public ClusterPipelineStatus Status => (ClusterPipelineStatus)Volatile.Read(ref _status);

    /// <summary>The roles that do not have their nodes yet; empty once the pipeline runs.</summary>
    public IReadOnlyList<RoleWait> WaitingFor => _waiting;

    /// <summary>Completes with this node's running pipeline once every role is present, or with the error that kept it from starting.</summary>
    public Task<PipelineRuntime> Started => _started.Task;

    /// <summary>This node's running pipeline; null before it starts.</summary>
    public PipelineRuntime? Runtime => _runtime;

    /// <summary>The counters of every node, as this node last heard them (refreshed every <see cref="ClusterPipelineOptions.ReportInterval"/>).</summary>
    public ClusterView View => _view;

    /// <summary>
    /// True when the input of the whole cluster has ended: every node's source ports are finite and have ended,
    /// and every packet has arrived or was dropped (nothing in any node, nothing on the wire).
    /// </summary>
    public bool InputFinished => _finished;

    internal ClusterPlan Plan { get; }

    internal IActorRef Coordinator => _coordinator;

    /// <summary>Starts this node's coordinator in <paramref name="system"/> (an actor system configured by <see cref="ClusterConfig"/> with remoting).</summary>
    /// <exception cref="ArgumentException">The definition has no <c>nodes:</c>, or the role is not one of them.</exception>
    public static ClusterPipeline Start(ActorSystem system, ClusterPipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.LinkWindow, 1);
        var plan = new ClusterPlan(options.Definition, options.LinkSlots);
        var rolePlan = plan.ForRole(options.Role);
        var pipeline = new ClusterPipeline(system, plan, rolePlan, options);
        pipeline._coordinator = system.ActorOf(Props.Create(() => new ClusterPipelineActor(pipeline, plan, rolePlan, options)), ActorName);
        return pipeline;
    }

    /// <summary>Completes when <see cref="InputFinished"/> becomes true (never, with an endless source), or when cancelled.</summary>
    public async Task WaitForInputEndAsync(CancellationToken cancellation)
    {
        while (!InputFinished)
        {
            await Task.Delay(10, cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stops this node's part: tells the others to send it nothing new, stops its pipeline (sources stop, what is in
    /// flight inside gets <paramref name="drainTimeout"/> to arrive), lets its sending links empty, counts what is
    /// left as shutdown drops, sends its final counters to the others, and closes its ports. The node stays a
    /// member until its actor system leaves the cluster (the host's shutdown does that).
    /// </summary>
    public async Task StopAsync(TimeSpan drainTimeout)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        Volatile.Write(ref _status, (int)ClusterPipelineStatus.Stopping);
        var ask = TimeSpan.FromSeconds(10);
        await _coordinator.Ask<StepDone>(BeginStop.Instance, ask).ConfigureAwait(false);
        if (_runtime is { } runtime)
        {
            var deadline = DateTime.UtcNow + drainTimeout;
            await runtime.StopAsync(drainTimeout).ConfigureAwait(false);
            var links = _links;
            await Task.WhenAll(links.Where(l => !l.Outgoing).Select(l => l.Actor.Ask<LinkClosed>(CloseLink.Instance, ask))).ConfigureAwait(false);
            while (DateTime.UtcNow < deadline && links.Any(l => l.Outgoing && !l.State.Idle))
            {
                await Task.Delay(5).ConfigureAwait(false); // the sending links empty their pipes and get their acknowledgements
            }

            await Task.WhenAll(links.Where(l => l.Outgoing).Select(l => l.Actor.Ask<LinkClosed>(CloseLink.Instance, ask))).ConfigureAwait(false);
            await _coordinator.Ask<StepDone>(SendFinalReport.Instance, ask).ConfigureAwait(false);
        }

        await _coordinator.GracefulStop(ask).ConfigureAwait(false); // closes the link pipe ends
        _ownedDomain?.Dispose();
        Volatile.Write(ref _status, (int)ClusterPipelineStatus.Stopped);
    }

    /// <summary>Stops with <see cref="ClusterPipelineOptions.DrainTimeout"/>.</summary>
    public ValueTask DisposeAsync() => new(StopAsync(_options.DrainTimeout));

    /// <summary>After the actor system died under it (a crash, or a test's kill): release the memory, count nothing.</summary>
    internal void Abandon()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        _ownedDomain?.Dispose(); // closes every port handle the dead actors left open
        Volatile.Write(ref _status, (int)ClusterPipelineStatus.Stopped);
    }

    internal void SetWaiting(IReadOnlyList<RoleWait> waiting, bool member)
    {
        _waiting = waiting;
        if (member)
        {
            Interlocked.CompareExchange(ref _status, (int)ClusterPipelineStatus.Waiting, (int)ClusterPipelineStatus.Joining);
        }
    }

    internal void SetStarted(PipelineRuntime runtime, IReadOnlyList<(IActorRef Actor, LinkState State, bool Outgoing)> links)
    {
        _links = links;
        _runtime = runtime;
        _ownedDomain = _options.Domain is null ? runtime.Domain : null;
        _waiting = [];
        Interlocked.CompareExchange(ref _status, (int)ClusterPipelineStatus.Running, (int)ClusterPipelineStatus.Waiting);
        Interlocked.CompareExchange(ref _status, (int)ClusterPipelineStatus.Running, (int)ClusterPipelineStatus.Joining);
        _started.TrySetResult(runtime);
    }

    internal void SetFailed(Exception error, PipelineRuntime? runtime, NetmapDomain? ownedDomain)
    {
        Volatile.Write(ref _status, (int)ClusterPipelineStatus.Failed);
        _started.TrySetException(error);
        if (runtime is not null)
        {
            _ = runtime.StopAsync(TimeSpan.Zero).ContinueWith(_ => ownedDomain?.Dispose(), TaskScheduler.Default);
        }
        else
        {
            ownedDomain?.Dispose();
        }
    }

    internal void SetView(ClusterView view, bool finished)
    {
        _view = view;
        _finished = finished;
    }
}
