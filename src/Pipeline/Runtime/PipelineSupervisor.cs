using Akka.Actor;
using Pipeline.Runtime.Messages;

namespace Pipeline.Runtime;

/// <summary>
/// Parent of a pipeline's node actors: creates them, wires them, starts them (and the threads of
/// <c>thread: dedicated</c> ports, which get a <see cref="PortRef"/> instead of an actor), restarts a stage that
/// throws (its state lives on in <see cref="NodeState"/>), and runs the shutdown.
/// </summary>
internal sealed class PipelineSupervisor : UntypedActor
{
    private readonly IReadOnlyList<NodeState> _nodes;
    private readonly Dictionary<string, IActorRef> _children = new(StringComparer.Ordinal);
    private IActorRef? _shutdownRequester;
    private int _shutdownPending;

    public PipelineSupervisor(IReadOnlyList<NodeState> nodes)
    {
        _nodes = nodes;
    }

    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(maxNrOfRetries: -1, withinTimeRange: Timeout.InfiniteTimeSpan, localOnlyDecider: static _ => Directive.Restart);

    protected override void PreStart()
    {
        // What a pipe into each node sends to: its actor, or, for a port with a thread of its own, a PortRef
        // whose tell puts the message straight into the thread's inbox (no actor hop on the data path).
        var targets = new Dictionary<string, IActorRef>(StringComparer.Ordinal);
        var islands = _nodes.Count > 0 && _nodes[0].Settings.FuseStages ? Islands() : [];
        foreach (var island in islands)
        {
            // One actor for the island's stages, named after its first one.
            var child = Context.ActorOf(WithDispatcher(Props.Create(() => new StageActor(island))), ActorName(island[0].Name));
            _children[island[0].Name] = child;
            foreach (var stage in island)
            {
                stage.Self = child;
                targets[stage.Name] = child;
            }
        }

        foreach (var node in _nodes)
        {
            if (targets.ContainsKey(node.Name))
            {
                continue; // in an island
            }

            if (node is PortNode { SyncThread: { } thread })
            {
                var portRef = new PortRef(thread, Self.Path / ActorName(node.Name), ((ActorCell)Context).SystemImpl.Provider);
                node.Self = portRef;
                targets[node.Name] = portRef;
                continue;
            }

            var props = node switch
            {
                StageNode stage => Props.Create(() => new StageActor(stage)),
                PortNode port => Props.Create(() => new PortActor(port)),
                _ => throw new InvalidOperationException($"unknown node kind {node.GetType().Name}"),
            };
            var child = Context.ActorOf(WithDispatcher(props), ActorName(node.Name));
            node.Self = child;
            _children[node.Name] = child;
            targets[node.Name] = child;
        }

        // Wire: every gate learns its downstream actor, every node its upstream per input edge.
        foreach (var node in _nodes)
        {
            foreach (var gate in node.Outputs)
            {
                if (gate.Edge >= 0 && !gate.ToDrop)
                {
                    var target = targets[gate.TargetName];
                    var downstream = FindNode(gate.TargetName);
                    gate.Target = target;
                    // Both ends in one island: the pipe is a queue inside the actor, its credits go back directly.
                    gate.Local = node is StageNode && downstream is StageNode stage && ReferenceEquals(node.Self, target) ? stage : null;
                    downstream.SetUpstream(gate.Edge, node.Self, gate.Local is null ? null : gate);
                }
            }
        }

        foreach (var child in _children.Values)
        {
            child.Tell(Start.Instance);
        }

        foreach (var node in _nodes)
        {
            if (node is PortNode { SyncThread: { } thread })
            {
                thread.Start();
            }
        }
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case StopSources:
                foreach (var child in _children.Values)
                {
                    child.Tell(StopSources.Instance);
                }

                break;
            case Shutdown:
                _shutdownRequester = Sender;
                _shutdownPending = _children.Count;
                foreach (var child in _children.Values)
                {
                    child.Tell(Shutdown.Instance);
                }

                if (_shutdownPending == 0)
                {
                    _shutdownRequester.Tell(new ShutdownDone("pipeline"));
                }

                break;
            case ShutdownDone when _shutdownRequester is not null:
                if (--_shutdownPending == 0)
                {
                    _shutdownRequester.Tell(new ShutdownDone("pipeline"));
                }

                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>
    /// The stages to fuse, island by island: stages joined by pipes (not through a port) are one island, in
    /// topological order (upstream first; a cycle's stages in definition order). Stages alone stay unfused.
    /// </summary>
    private List<StageNode[]> Islands()
    {
        var stages = new List<StageNode>();
        foreach (var node in _nodes)
        {
            if (node is StageNode stage)
            {
                stages.Add(stage);
            }
        }

        // Union-find over stage-to-stage pipes.
        var parent = new int[stages.Count];
        for (var i = 0; i < parent.Length; i++)
        {
            parent[i] = i;
        }

        for (var i = 0; i < stages.Count; i++)
        {
            foreach (var gate in stages[i].Outputs)
            {
                var j = gate.Edge >= 0 && !gate.ToDrop ? stages.FindIndex(s => s.Name == gate.TargetName) : -1;
                if (j >= 0)
                {
                    parent[Root(parent, i)] = Root(parent, j);
                }
            }
        }

        var islands = new List<StageNode[]>();
        for (var i = 0; i < stages.Count; i++)
        {
            if (Root(parent, i) != i)
            {
                continue;
            }

            var members = new List<StageNode>();
            for (var k = 0; k < stages.Count; k++)
            {
                if (Root(parent, k) == i)
                {
                    members.Add(stages[k]);
                }
            }

            if (members.Count > 1)
            {
                islands.Add(TopologicalOrder(members));
            }
        }

        return islands;

        static int Root(int[] parent, int i)
        {
            while (parent[i] != i)
            {
                i = parent[i] = parent[parent[i]];
            }

            return i;
        }
    }

    /// <summary>Kahn's order over the pipes inside <paramref name="members"/>; what a cycle leaves follows in definition order.</summary>
    private static StageNode[] TopologicalOrder(List<StageNode> members)
    {
        var incoming = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var member in members)
        {
            incoming[member.Name] = 0;
        }

        foreach (var member in members)
        {
            foreach (var gate in member.Outputs)
            {
                if (gate.Edge >= 0 && !gate.ToDrop && incoming.TryGetValue(gate.TargetName, out var n))
                {
                    incoming[gate.TargetName] = n + 1;
                }
            }
        }

        var order = new List<StageNode>(members.Count);
        var ready = new Queue<StageNode>(members.FindAll(m => incoming[m.Name] == 0));
        while (ready.TryDequeue(out var next))
        {
            order.Add(next);
            foreach (var gate in next.Outputs)
            {
                if (gate.Edge >= 0 && !gate.ToDrop && incoming.TryGetValue(gate.TargetName, out var n) && n > 0)
                {
                    incoming[gate.TargetName] = n - 1;
                    if (n == 1)
                    {
                        ready.Enqueue(members.Find(m => m.Name == gate.TargetName)!);
                    }
                }
            }
        }

        foreach (var member in members)
        {
            if (!order.Contains(member))
            {
                order.Add(member);
            }
        }

        return [.. order];
    }

    // A node actor's props on the pipeline's own dispatcher (runtime: threads), if it has one. The supervisor itself
    // stays on the system's: it only starts, wires and stops the nodes.
    private Props WithDispatcher(Props props) =>
        _nodes.Count > 0 && _nodes[0].Settings.Dispatcher is { } id ? props.WithDispatcher(id) : props;

    private NodeState FindNode(string name)
    {
        foreach (var node in _nodes)
        {
            if (node.Name == name)
            {
                return node;
            }
        }

        throw new InvalidOperationException($"no node '{name}'");
    }

    private static string ActorName(string node) => Uri.EscapeDataString(node);
}
