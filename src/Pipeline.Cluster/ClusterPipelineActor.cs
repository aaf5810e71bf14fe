using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Netmap.Io;
using Netmap.Io.Memory;
using Netmap.Io.Ports;
using Netmap.Io.Rings;
using Pipeline.Cluster.Counters;
using Pipeline.Cluster.Links;
using Pipeline.Cluster.Placement;
using Pipeline.Cluster.Wire;
using Pipeline.Metrics;
using Pipeline.Runtime;
using static Akka.Cluster.ClusterEvent;

namespace Pipeline.Cluster;

/// <summary>
/// This node's coordinator (one per actor system, at <c>/user/pipeline-cluster</c>): it follows the cluster's
/// membership, starts the node's part of the pipeline once every role has its nodes, creates the link actors of
/// the cross-node pipes, tells the sending links which nodes they can reach, and a few times a second sends its
/// report (state, counters, ledger) to every other node and builds the cluster-wide view from theirs.
/// </summary>
internal sealed class ClusterPipelineActor : UntypedActor, IWithTimers
{
    private const string TickTimer = "tick";

    private readonly ClusterPipeline _owner;
    private readonly ClusterPlan _plan;
    private readonly RolePlan _rolePlan;
    private readonly ClusterPipelineOptions _options;
    private readonly Akka.Cluster.Cluster _cluster;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<UniqueAddress, Peer> _peers = [];
    private readonly LinkLedger _ledger = new();
    private readonly List<LinkEntry> _links = [];
    private readonly FinishDetector _finish = new();
    private readonly HashSet<string> _warned = new(StringComparer.Ordinal);
    private long _sequence;
    private bool _selfUp;
    private bool _stopping;
    private PipelineRuntime? _runtime;
    private NetmapDomain? _domain;
    private bool _ownsDomain;
    private IReadOnlyList<RoleWait> _waiting = [];

    public ClusterPipelineActor(ClusterPipeline owner, ClusterPlan plan, RolePlan rolePlan, ClusterPipelineOptions options)
    {
        _owner = owner;
        _plan = plan;
        _rolePlan = rolePlan;
        _options = options;
        _cluster = Akka.Cluster.Cluster.Get(Context.System);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private UniqueAddress SelfNode => _cluster.SelfUniqueAddress;

    protected override SupervisorStrategy SupervisorStrategy() =>
        // A link that throws keeps its state (targets, credits, in-flight batches): the message is skipped, the error logged.
        new OneForOneStrategy(ex =>
        {
            _log.Error(ex, "cluster pipeline link failed; it goes on with its next message");
            return Directive.Resume;
        });

    protected override void PreStart()
    {
        _cluster.Subscribe(Self, SubscriptionInitialStateMode.InitialStateAsEvents, typeof(IMemberEvent), typeof(IReachabilityEvent));
        var seeds = _options.Seeds.Select(s => ParseSeed(s, _options.SystemName)).ToList();
        if (seeds.Count == 0)
        {
            _cluster.Join(_cluster.SelfAddress); // the first node: a new cluster
        }
        else
        {
            _cluster.JoinSeedNodes(seeds);
        }

        Timers.StartPeriodicTimer(TickTimer, ReportTick.Instance, _options.ReportInterval);
        Publish();
    }

    protected override void PostStop()
    {
        _cluster.Unsubscribe(Self);
        foreach (var link in _links)
        {
            link.Handle.Dispose();
        }

        _links.Clear();
        base.PostStop();
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case MemberUp up:
                OnMember(up.Member, present: true);
                break;
            case MemberWeaklyUp weaklyUp:
                OnMember(weaklyUp.Member, present: true);
                break;
            case MemberLeft or MemberExited:
                break; // still a member until removed; a stopping node says so in its report
            case MemberRemoved removed:
                OnRemoved(removed.Member, removed.PreviousStatus);
                break;
            case UnreachableMember unreachable:
                SetReachable(unreachable.Member.UniqueAddress, false);
                break;
            case ReachableMember reachable:
                SetReachable(reachable.Member.UniqueAddress, true);
                break;
            case IMemberEvent:
                break;
            case NodeReport report:
                OnReport(report);
                break;
            case ReportTick:
                Tick();
                break;
            case BeginStop:
                _stopping = true;
                SendReport(BuildReport());
                Sender.Tell(StepDone.Instance);
                break;
            case SendFinalReport:
                Tick(); // sends the report and refreshes this node's view with its final counters
                Sender.Tell(StepDone.Instance);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnMember(Member member, bool present)
    {
        var node = member.UniqueAddress;
        if (node.Equals(SelfNode))
        {
            _selfUp = present;
        }
        else
        {
            var peer = PeerOf(node);
            peer.Member = member;
            peer.Present = present;
            if (_runtime is not null)
            {
                Context.ActorSelection(CoordinatorPath(node.Address)).Tell(BuildReport()); // it learns of us now, not at the next tick
            }
        }

        CheckStart();
    }

    private void OnRemoved(Member member, MemberStatus previous)
    {
        var node = member.UniqueAddress;
        if (node.Equals(SelfNode))
        {
            _selfUp = false;
            return;
        }

        var peer = PeerOf(node);
        peer.Present = false;
        peer.Removed = previous == MemberStatus.Down ? ClusterNodeStatus.Lost : ClusterNodeStatus.Left;
        foreach (var link in _links)
        {
            if (link.Plan.Outgoing)
            {
                link.Actor.Tell(new TargetRemoved(node));
            }
        }

        CheckStart();
    }

    private void SetReachable(UniqueAddress node, bool reachable)
    {
        if (node.Equals(SelfNode))
        {
            return;
        }

        var peer = PeerOf(node);
        peer.Reachable = reachable;
        TellReachability(node, peer);
        CheckStart();
    }

    private void TellReachability(UniqueAddress node, Peer peer)
    {
        foreach (var link in _links)
        {
            if (link.Plan.Outgoing)
            {
                link.Actor.Tell(new TargetReachability(node, peer.Reachable && !(peer.Report?.Stopping ?? false)));
            }
        }
    }

    private void OnReport(NodeReport report)
    {
        var node = new UniqueAddress(Address.Parse(report.Address), report.Uid);
        if (node.Equals(SelfNode))
        {
            return;
        }

        var peer = PeerOf(node);
        if (peer.Report is { } previous && previous.Sequence >= report.Sequence)
        {
            return; // an older report overtaken by a newer one
        }

        var wasStopping = peer.Report?.Stopping ?? false;
        peer.Report = report;
        if (report.Fingerprint != _plan.Fingerprint)
        {
            if (_warned.Add(report.Address))
            {
                _log.Warning("node {0} runs another pipeline (fingerprint {1}, ours {2}): it gets no packets from this node", report.Address, report.Fingerprint, _plan.Fingerprint);
            }

            return;
        }

        Route(node, peer, report);
        if (report.Stopping != wasStopping)
        {
            TellReachability(node, peer);
        }
    }

    // Tells the sending links whose pipes go to the peer's role where its receiving ends are.
    private void Route(UniqueAddress node, Peer peer, NodeReport report)
    {
        if (_runtime is null || peer.Removed is not null || !report.Started)
        {
            return;
        }

        foreach (var link in _links)
        {
            if (!link.Plan.Outgoing || link.Plan.PeerRole != report.Role)
            {
                continue;
            }

            foreach (var endpoint in report.InLinks)
            {
                if (endpoint.Edge == link.Plan.Edge)
                {
                    link.Actor.Tell(new TargetReady(node, endpoint.Actor));
                }
            }
        }

        if (report.Stopping || !peer.Reachable)
        {
            TellReachability(node, peer);
        }
    }

    private void CheckStart()
    {
        if (_runtime is not null || _owner.Status is ClusterPipelineStatus.Failed or ClusterPipelineStatus.Stopping or ClusterPipelineStatus.Stopped)
        {
            Publish();
            return;
        }

        var present = new Dictionary<string, int>(StringComparer.Ordinal);
        if (_selfUp)
        {
            present[_options.Role] = 1;
        }

        foreach (var peer in _peers.Values)
        {
            if (peer.Present && peer.Reachable && peer.Member is { } member)
            {
                foreach (var role in member.Roles)
                {
                    present[role] = present.GetValueOrDefault(role) + 1;
                }
            }
        }

        var waiting = new List<RoleWait>();
        foreach (var role in _plan.Roles)
        {
            var needed = _plan.NodesNeeded[role];
            var have = present.GetValueOrDefault(role);
            if (have < needed)
            {
                waiting.Add(new RoleWait(role, have, needed));
            }
        }

        _waiting = waiting;
        if (_selfUp && waiting.Count == 0)
        {
            StartLocal();
        }

        Publish();
    }

    private void StartLocal()
    {
        var memory = _rolePlan.Definition.Memory;
        try
        {
            _ownsDomain = _options.Domain is null;
            _domain = _options.Domain ?? new NetmapDomain(new ArenaOptions
            {
                BufferCount = memory.Buffers,
                BufferSize = memory.BufferSize,
                Checked = _options.Checked,
            });
            _runtime = PipelineRuntime.Start(Context.System, _rolePlan.Definition, new PipelineRuntimeOptions { Domain = _domain, Checked = _options.Checked, Time = _options.Time });
            var register = new RegisterOptions
            {
                Offsets = new OffsetOptions { MaxOffset = (ulong)_domain.DefaultArena.BufferSize, InitialOffset = (ulong)memory.Headroom },
            };
            var settings = new LinkSettings(_options.LinkWindow, _options.MaxMessageBytes, _options.LinkPollInterval, SelfNode.Uid, memory.Headroom, Math.Max(1, _options.LinkSlots / 2), _options.LinkHotPoll);
            var runtime = _runtime;
            var sources = _rolePlan.Sources.Select(runtime.CountersOf).ToArray();
            Func<long> sourceIn = () => SumIn(sources);
            foreach (var plan in _rolePlan.Links)
            {
                var handle = _domain.Open(plan.LinkSpec, register);
                var counters = runtime.CountersOf(plan.PortName);
                var state = new LinkState();
                var props = plan.Outgoing
                    ? Props.Create(() => new OutLink(plan, handle, counters, _ledger, settings, state, sourceIn, () => runtime.Wake(plan.PortName)))
                    : Props.Create(() => new InLink(plan, handle, counters, _ledger, settings, state, () => runtime.Wake(plan.PortName)));
                var actor = Context.ActorOf(props, $"link-e{plan.Edge}");
                _links.Add(new LinkEntry(plan, actor, state, handle));
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _log.Error(ex, "this node's part of pipeline '{0}' cannot start", _plan.Definition.Name);
            foreach (var link in _links)
            {
                Context.Stop(link.Actor);
                link.Handle.Dispose();
            }

            _links.Clear();
            _owner.SetFailed(ex, _runtime, _ownsDomain ? _domain : null);
            _runtime = null;
            return;
        }

        _owner.SetStarted(_runtime, _links.Select(l => (l.Actor, l.State, l.Plan.Outgoing)).ToList());
        SendReport(BuildReport());
        foreach (var (node, peer) in _peers)
        {
            if (peer.Report is { } report && report.Fingerprint == _plan.Fingerprint)
            {
                Route(node, peer, report); // the nodes that already run get our links at once
            }
        }
    }

    private static long SumIn(NodeCounters[] sources)
    {
        long total = 0;
        foreach (var counters in sources)
        {
            total += counters.InPackets;
        }

        return total;
    }

    private void Tick()
    {
        var own = BuildReport();
        SendReport(own);
        var entries = new List<ClusterViewBuilder.Entry>
        {
            new(own, _runtime is null ? ClusterNodeStatus.Waiting : ClusterNodeStatus.Running),
        };
        var live = new List<NodeReport> { own };
        foreach (var (_, peer) in _peers.OrderBy(p => p.Key.Address.ToString(), StringComparer.Ordinal))
        {
            if (peer.Report is not { } report || report.Fingerprint != _plan.Fingerprint)
            {
                continue;
            }

            var status = peer.Removed ?? (!peer.Reachable ? ClusterNodeStatus.Unreachable : report.Started ? ClusterNodeStatus.Running : ClusterNodeStatus.Waiting);
            entries.Add(new(report, status));
            if (status is ClusterNodeStatus.Running or ClusterNodeStatus.Waiting)
            {
                live.Add(report);
            }
        }

        var view = ClusterViewBuilder.Build(entries);
        var finished = _runtime is not null && _finish.Update(live);
        _owner.SetView(view, finished);
    }

    private NodeReport BuildReport()
    {
        var rows = new List<ClusterCounterRow>();
        var hasSources = _rolePlan.Sources.Count > 0;
        var sourcesFinished = true;
        var idle = true;
        long sourceIn = 0;
        long sinkOut = 0;
        var inLinks = new List<InLinkEndpoint>();
        if (_runtime is { } runtime)
        {
            foreach (var counters in runtime.Counters)
            {
                var snapshot = counters.Snapshot();
                var kind = counters.Role == NodeRole.Stage ? ClusterRowKind.Stage
                    : _rolePlan.Ports.Contains(counters.Name) ? ClusterRowKind.Port : ClusterRowKind.Link;
                rows.Add(new ClusterCounterRow(snapshot.Name, kind, snapshot.InPackets, snapshot.InBytes, snapshot.OutPackets, snapshot.OutBytes, snapshot.Drops, snapshot.Faults));
                if (kind == ClusterRowKind.Port)
                {
                    sourceIn += snapshot.InPackets;
                    sinkOut += snapshot.OutPackets;
                }
            }

            foreach (var source in _rolePlan.Sources)
            {
                sourcesFinished &= runtime.IsSourceFinished(source);
            }

            idle = runtime.Pool.Outstanding == 0;
            foreach (var link in _links)
            {
                idle &= link.State.Idle;
                if (!link.Plan.Outgoing)
                {
                    inLinks.Add(new InLinkEndpoint(link.Plan.Edge, link.Actor));
                }
            }
        }

        return new NodeReport(
            SelfNode.Address.ToString(),
            SelfNode.Uid,
            _options.Role,
            _plan.Fingerprint,
            ++_sequence,
            _runtime is not null,
            hasSources,
            sourcesFinished,
            idle,
            _stopping,
            sourceIn,
            sinkOut,
            inLinks,
            rows,
            _ledger.Rows());
    }

    private void SendReport(NodeReport report)
    {
        foreach (var (node, peer) in _peers)
        {
            if (peer.Present)
            {
                Context.ActorSelection(CoordinatorPath(node.Address)).Tell(report);
            }
        }
    }

    private void Publish() => _owner.SetWaiting(_waiting, _selfUp);

    private Peer PeerOf(UniqueAddress node)
    {
        if (!_peers.TryGetValue(node, out var peer))
        {
            peer = new Peer();
            _peers.Add(node, peer);
        }

        return peer;
    }

    private static ActorPath CoordinatorPath(Address address) => new RootActorPath(address) / "user" / ClusterPipeline.ActorName;

    /// <summary><c>HOST:PORT</c> as the Akka address of a seed node.</summary>
    internal static Address ParseSeed(string seed, string systemName)
    {
        var colon = seed.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(seed.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new ArgumentException($"seed '{seed}' is not HOST:PORT (a port from 1 to 65535)", nameof(seed));
        }

        return new Address("akka.tcp", systemName, seed[..colon].Trim('[', ']'), port);
    }

    /// <summary>What this node knows of another: its membership, reachability and last report.</summary>
    private sealed class Peer
    {
        public Member? Member { get; set; }

        public bool Present { get; set; }

        public bool Reachable { get; set; } = true;

        public ClusterNodeStatus? Removed { get; set; }

        public NodeReport? Report { get; set; }
    }

    private sealed record LinkEntry(LinkPlan Plan, IActorRef Actor, LinkState State, PortHandle Handle);
}
