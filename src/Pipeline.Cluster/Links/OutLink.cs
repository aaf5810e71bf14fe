using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Netmap.Io.Ports;
using Netmap.Io.Rings;
using Pipeline.Cluster.Placement;
using Pipeline.Cluster.Wire;
using Pipeline.Metrics;
using Pipeline.Stages;
using Stages.Standard;

namespace Pipeline.Cluster.Links;

/// <summary>
/// The sending end of a pipe between nodes. The node's pipeline transmits into a netmap pipe (its link port);
/// this actor reads the other end, copies each packet into the batch of the target node its flow goes to (the
/// lb stage's symmetric hash, rendezvous-hashed over the target role's live nodes, so a flow keeps its node),
/// and sends the batch over Akka.Remote. Each target node has a credit window of batches: without credit the
/// link stops reading, the pipe fills, and the pipeline's own backpressure holds the sender.
/// </summary>
/// <remarks>
/// Accounting: a batch is the target's once acknowledged (<see cref="LinkAck"/>). When a target node leaves or
/// dies, what was sent to it and not acknowledged, and what waited for it here, is counted as <c>node-lost</c>
/// drops on the link port. With no target node left at all (after there was one), packets are dropped as
/// <c>node-lost</c> at once: the rest of the pipeline goes on. Until as many target nodes run as the pipeline
/// waits for (a spread stage's <c>instances</c>), the link sends nothing, so flows start where they stay.
/// Thread: the pipe end is touched only by this actor.
/// </remarks>
internal sealed class OutLink : UntypedActor, IWithTimers
{
    private const string PollTimer = "poll";

    private readonly LinkPlan _plan;
    private readonly PortHandle _handle;
    private readonly NodeCounters _counters;
    private readonly LinkLedger _ledger;
    private readonly LinkSettings _settings;
    private readonly LinkState _state;
    private readonly Func<long> _sourceIn;
    private readonly List<Target> _targets = [];
    private bool _armed;
    private bool _pollQueued;
    private long _lastProgress;
    private bool _closed;

    private readonly Action _wake;

    // sourceIn: packets this node's ports have read (written into every batch); wake: tells the pipeline's port on the
    // other end of the pipe to look now (the pipe raises no notification for it): a full ring has room again.
    public OutLink(LinkPlan plan, PortHandle handle, NodeCounters counters, LinkLedger ledger, LinkSettings settings, LinkState state, Func<long> sourceIn, Action wake)
    {
        _wake = wake;
        _plan = plan;
        _handle = handle;
        _counters = counters;
        _ledger = ledger;
        _settings = settings;
        _state = state;
        _sourceIn = sourceIn;
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart() => Self.Tell(LinkPoll.Instance);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case LinkPoll:
                _pollQueued = false;
                Work();
                break;
            case LinkAck ack:
                OnAck(ack);
                Work();
                break;
            case TargetReady ready:
                OnReady(ready);
                Work();
                break;
            case TargetReachability reachability:
                if (Find(reachability.Node) is { } target)
                {
                    target.Reachable = reachability.Reachable;
                }

                Work();
                break;
            case TargetRemoved removed:
                OnRemoved(removed.Node);
                Work();
                break;
            case CloseLink:
                Close();
                Sender.Tell(new LinkClosed(_plan.Edge));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Work()
    {
        if (_closed)
        {
            return;
        }

        _handle.RxSync();
        var ring = _handle.RxRing;
        Target? only = null;
        var reachable = 0;
        foreach (var target in _targets)
        {
            if (target.Reachable)
            {
                reachable++;
                only = target;
            }
        }

        _armed |= reachable >= _plan.PeerNodesNeeded;
        var read = 0;
        if (!_armed)
        {
            // The pipeline's start: the target role's nodes are members but do not all run yet.
        }
        else if (reachable > 0)
        {
            read = Read(ring, reachable == 1 ? only : null);
        }
        else if (_targets.Count == 0)
        {
            // The target role is gone entirely: the pipeline goes on without it.
            read = DropAll(ring, DropReason.NodeLost);
        }

        foreach (var target in _targets)
        {
            if (target.Writer.Count > 0 && target.Credits > 0 && target.Reachable)
            {
                Send(target);
            }
        }

        Publish(ring);
        if (read > 0)
        {
            _lastProgress = Stopwatch.GetTimestamp();
        }

        if (read > 0 || Stopwatch.GetElapsedTime(_lastProgress) < _settings.HotPoll)
        {
            // Packets are flowing: look again right away (through the mailbox, so acknowledgements get in between);
            // the scheduler's timers are too coarse (10 ms ticks) for a pipe that refills in microseconds.
            if (!_pollQueued)
            {
                _pollQueued = true;
                Self.Tell(LinkPoll.Instance);
            }
        }
        else if (!Timers.IsTimerActive(PollTimer))
        {
            Timers.StartSingleTimer(PollTimer, LinkPoll.Instance, _settings.PollInterval); // idle: the pipe has no notification for us
        }
    }

    // Copies packets from the pipe into their targets' batches until the pipe is empty or a target without credit has
    // a full batch (the packets behind it wait in the pipe). Returns the packets taken.
    private int Read(Ring ring, Target? only)
    {
        var k = ring.Head;
        var read = 0;
        long tooBig = 0;
        while (k != ring.Tail)
        {
            var target = only ?? Pick(LoadBalance.Hash(ring.Packet(k).Data, LoadBalanceHash.FiveTuple));
            var length = PacketLength(ring, k, out var next);
            if (length > target.Writer.MaxPacket)
            {
                tooBig++;
                read++;
                k = next;
                continue;
            }

            if (!target.Writer.HasRoom(length))
            {
                if (target.Credits <= 0)
                {
                    break; // the target's window is full: backpressure
                }

                Send(target);
            }

            var copied = ring.CopyPacket(k, target.Writer.Reserve(length), out k, out _);
            target.Writer.Commit(copied);
            read++;
        }

        if (read > 0)
        {
            ring.Head = ring.Cur = k;
            _handle.RxSync(); // give the slots back to the pipeline's side at once
            _wake();
        }

        _counters.AddDrops(DropReason.TooBig, tooBig);
        return read;
    }

    // The whole packet's length over its MOREFRAG chain, and the slot after it.
    private static int PacketLength(Ring ring, uint k, out uint next)
    {
        var length = 0;
        while (true)
        {
            length += ring.Packet(k).Data.Length;
            var more = (ring[k].Flags & SlotFlags.MoreFrag) != 0;
            k = ring.Next(k);
            if (!more || k == ring.Tail)
            {
                next = k;
                return length;
            }
        }
    }

    private int DropAll(Ring ring, DropReason reason)
    {
        var packets = 0;
        for (var k = ring.Head; k != ring.Tail; k = ring.Next(k))
        {
            if ((ring[k].Flags & SlotFlags.MoreFrag) == 0)
            {
                packets++;
            }
        }

        if (packets > 0)
        {
            ring.Head = ring.Cur = ring.Tail;
            _handle.RxSync();
            _counters.AddDrops(reason, packets);
        }

        return packets;
    }

    private Target Pick(uint flowHash)
    {
        Target? best = null;
        uint bestScore = 0;
        foreach (var target in _targets)
        {
            if (!target.Reachable)
            {
                continue;
            }

            var score = Rendezvous.Score(flowHash, target.Salt);
            if (best is null || score > bestScore)
            {
                best = target;
                bestScore = score;
            }
        }

        return best!;
    }

    private void Send(Target target)
    {
        var packets = target.Writer.Count;
        var batch = target.Writer.Seal(_plan.Edge, _settings.SelfUid, ++target.Sequence, _sourceIn());
        target.InLink.Tell(batch, Self);
        target.Credits--;
        target.Unacked.Enqueue((target.Sequence, packets));
        target.Ledger.AddSent(packets);
    }

    private void OnAck(LinkAck ack)
    {
        foreach (var target in _targets)
        {
            if (!target.InLink.Equals(Sender))
            {
                continue;
            }

            while (target.Unacked.TryPeek(out var sent) && sent.Sequence <= ack.Sequence)
            {
                target.Unacked.Dequeue();
                target.Credits++;
                target.Ledger.AddAcked(sent.Packets);
            }

            return;
        }
    }

    private void OnReady(TargetReady ready)
    {
        if (Find(ready.Node) is { } known)
        {
            known.InLink = ready.InLink;
            return;
        }

        _targets.Add(new Target(ready.Node, ready.InLink, _settings, _ledger.For(ready.Node)));
        _targets.Sort(static (a, b) => a.Node.CompareTo(b.Node)); // the same order on every sender
    }

    private void OnRemoved(UniqueAddress node)
    {
        if (Find(node) is not { } target)
        {
            return;
        }

        long lost = target.Writer.Count;
        target.Writer.Discard();
        while (target.Unacked.TryDequeue(out var sent))
        {
            lost += sent.Packets;
        }

        _counters.AddDrops(DropReason.NodeLost, lost);
        target.Ledger.AddLost(lost);
        _targets.Remove(target);
    }

    // The node stops: what waits here is dropped (shutdown), and so is what the pipeline left in the pipe.
    // Batches in flight stay in flight: their target takes or counts them.
    private void Close()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        long dropped = 0;
        foreach (var target in _targets)
        {
            dropped += target.Writer.Count;
            target.Writer.Discard();
        }

        _handle.RxSync();
        var ring = _handle.RxRing;
        for (var k = ring.Head; k != ring.Tail; k = ring.Next(k))
        {
            if ((ring[k].Flags & SlotFlags.MoreFrag) == 0)
            {
                dropped++;
            }
        }

        ring.Head = ring.Cur = ring.Tail;
        _handle.RxSync();
        _counters.AddDrops(DropReason.Shutdown, dropped);
        Publish(ring);
        Timers.CancelAll();
    }

    private void Publish(Ring ring)
    {
        var held = 0;
        var unacked = 0;
        foreach (var target in _targets)
        {
            held += target.Writer.Count;
            unacked += target.Unacked.Count;
        }

        _state.Held = held;
        _state.Unacked = unacked;
        _state.PipeBusy = ring.Head != ring.Tail;
    }

    private Target? Find(UniqueAddress node)
    {
        foreach (var target in _targets)
        {
            if (target.Node.Equals(node))
            {
                return target;
            }
        }

        return null;
    }

    /// <summary>One node of the target role: its receiving link end, credit, the batch being filled, what is in flight.</summary>
    private sealed class Target(UniqueAddress node, IActorRef inLink, LinkSettings settings, PeerLedger ledger)
    {
        public UniqueAddress Node { get; } = node;

        public IActorRef InLink { get; set; } = inLink;

        public bool Reachable { get; set; } = true;

        public int Credits { get; set; } = settings.Window;

        public uint Salt { get; } = Rendezvous.Salt($"{node.Address}#{node.Uid}");

        public LinkBatchWriter Writer { get; } = new(settings.MaxMessageBytes, settings.MaxPackets);

        public Queue<(long Sequence, int Packets)> Unacked { get; } = new();

        public long Sequence { get; set; }

        public PeerLedger Ledger { get; } = ledger;
    }
}
