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
        foreach (var node in _nodes)
        {
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
            var child = Context.ActorOf(props, ActorName(node.Name));
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
                    gate.Target = target;
                    FindNode(gate.TargetName).SetUpstream(gate.Edge, node.Self);
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
