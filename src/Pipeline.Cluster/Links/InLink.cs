using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Netmap.Io.Ports;
using Netmap.Io.Rings;
using Pipeline.Cluster.Placement;
using Pipeline.Cluster.Wire;
using Pipeline.Metrics;
using Pipeline.Stages;

namespace Pipeline.Cluster.Links;

/// <summary>
/// The receiving end of a pipe between nodes. Batches from the sending nodes queue here and are written packet by
/// packet into a netmap pipe (the one copy out of the message, into ring buffers at the pipeline's headroom; long
/// packets become MOREFRAG chains); the node's pipeline reads the other end as an ordinary source port. A batch is
/// acknowledged once all of it is in the pipe, so a pipeline that does not read keeps the senders' windows full.
/// </summary>
/// <remarks>
/// Queue bound: each sender has at most its window of unacknowledged batches, so the queue holds at most
/// senders × window batches. Thread: the pipe end is touched only by this actor.
/// </remarks>
internal sealed class InLink : UntypedActor, IWithTimers
{
    private const string PollTimer = "poll";

    private readonly LinkPlan _plan;
    private readonly PortHandle _handle;
    private readonly NodeCounters _counters;
    private readonly LinkLedger _ledger;
    private readonly LinkSettings _settings;
    private readonly LinkState _state;
    private readonly Queue<Pending> _queue = new();
    private bool _closed;
    private bool _pollQueued;
    private long _lastProgress;

    private readonly Action _wake;

    // wake: tells the pipeline's port on the other end of the pipe to look now (the pipe raises no notification for it).
    public InLink(LinkPlan plan, PortHandle handle, NodeCounters counters, LinkLedger ledger, LinkSettings settings, LinkState state, Action wake)
    {
        _wake = wake;
        _plan = plan;
        _handle = handle;
        _counters = counters;
        _ledger = ledger;
        _settings = settings;
        _state = state;
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case LinkBatch batch:
                OnBatch(batch);
                break;
            case LinkPoll:
                _pollQueued = false;
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

    private void OnBatch(LinkBatch batch)
    {
        _ledger.For(new UniqueAddress(Sender.Path.Address, batch.SenderUid)).AddReceived(batch.Count, batch.OriginSourceIn);
        if (batch.Edge != _plan.Edge)
        {
            // A sender with another idea of the pipeline (the fingerprints should have kept it away): refuse, counted.
            _counters.AddDrops(DropReason.NoRoute, batch.Count);
            Sender.Tell(new LinkAck(batch.Edge, batch.Sequence));
            return;
        }

        if (_closed)
        {
            _counters.AddDrops(DropReason.Shutdown, batch.Count);
            Sender.Tell(new LinkAck(batch.Edge, batch.Sequence));
            return;
        }

        _queue.Enqueue(new Pending(batch, Sender));
        Work();
    }

    private void Work()
    {
        if (_closed)
        {
            return;
        }

        var ring = _handle.TxRing;
        var capacity = ring.BufferSize - _settings.Headroom;
        long tooBig = 0;
        var wrote = 0;
        var stuck = false;
        while (!stuck && _queue.TryPeek(out var pending))
        {
            while (pending.Left > 0)
            {
                var at = pending.At;
                var packet = pending.Batch.Next(ref at);
                var slots = (packet.Length + capacity - 1) / capacity;
                if (slots > Ring.MaxFragments || slots >= ring.NumSlots)
                {
                    tooBig++; // it could never fit in this node's buffers
                }
                else if (!ring.TryInject(packet))
                {
                    ring.TxSync(); // reclaim what the pipeline has read
                    if (!ring.TryInject(packet))
                    {
                        stuck = true; // the pipeline does not keep up: the rest waits, and so do the senders
                        break;
                    }
                }

                pending.At = at;
                pending.Left--;
                wrote++;
            }

            if (pending.Left == 0)
            {
                ring.TxSync(); // publish before acknowledging
                _queue.Dequeue();
                pending.Sender.Tell(new LinkAck(pending.Batch.Edge, pending.Batch.Sequence), Self);
            }
        }

        ring.TxSync();
        _counters.AddDrops(DropReason.TooBig, tooBig);
        Publish(ring);
        if (wrote > 0)
        {
            _lastProgress = Stopwatch.GetTimestamp();
            _wake(); // the pipeline reads now, not at its next poll
        }

        if (_queue.Count > 0 && Stopwatch.GetElapsedTime(_lastProgress) < _settings.HotPoll)
        {
            // The pipeline is taking packets: retry as soon as it made room (the scheduler's 10 ms ticks would stall the pipe).
            if (!_pollQueued)
            {
                _pollQueued = true;
                Self.Tell(LinkPoll.Instance);
            }
        }
        else if ((_queue.Count > 0 || ring.TxPending) && !Timers.IsTimerActive(PollTimer))
        {
            Timers.StartSingleTimer(PollTimer, LinkPoll.Instance, _settings.PollInterval);
        }
    }

    // The node stops (its pipeline has stopped reading): queued packets and those left unread in the pipe are
    // dropped (shutdown); queued batches are acknowledged, so their senders do not count them lost.
    private void Close()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        long dropped = 0;
        while (_queue.TryDequeue(out var pending))
        {
            dropped += pending.Left;
            pending.Sender.Tell(new LinkAck(pending.Batch.Edge, pending.Batch.Sequence), Self);
        }

        var ring = _handle.TxRing;
        ring.TxSync();
        for (var k = ring.Next(ring.Tail); k != ring.Head; k = ring.Next(k))
        {
            if ((ring[k].Flags & SlotFlags.MoreFrag) == 0)
            {
                dropped++; // written into the pipe, never read by the pipeline
            }
        }

        _counters.AddDrops(DropReason.Shutdown, dropped);
        _state.Held = 0;
        _state.PipeBusy = false;
        Timers.CancelAll();
    }

    private void Publish(Ring ring)
    {
        var held = 0;
        foreach (var pending in _queue)
        {
            held += pending.Left;
        }

        _state.Held = held;
        _state.PipeBusy = ring.TxPending;
    }

    /// <summary>A batch being written into the pipe: where its next packet starts and how many are left.</summary>
    private sealed class Pending(LinkBatch batch, IActorRef sender)
    {
        public LinkBatch Batch { get; } = batch;

        public IActorRef Sender { get; } = sender;

        public int At { get; set; } = LinkBatch.HeaderSize;

        public int Left { get; set; } = batch.Count;
    }
}
