using Akka.Actor;
using Netmap.Io.Rings;
using Pipeline.Runtime.Messages;
using Pipeline.Stages;

namespace Pipeline.Runtime;

/// <summary>
/// Owns one port and its rings. As a source it drains the RX rings into batches, swapping a fresh buffer
/// into every slot it takes (no copy), and sends them down its pipe while the pipe has credit: without
/// credit it stops reading and the packets wait in the RX ring. As a sink it places each batch's buffers
/// into TX slots (the slots' old buffers go back to the arena) and syncs; a full TX ring holds the batch,
/// and its credit, until the port makes room.
/// </summary>
/// <remarks>
/// Ownership: a buffer taken from an RX slot moves from the port's arena owner to the batch pool's; a
/// buffer placed in a TX slot moves back. Thread: the port's rings are touched only by this actor.
/// </remarks>
internal sealed partial class PortActor : UntypedActor, IWithTimers
{
    private readonly PortNode _node;
    private readonly uint[] _fresh;
    private readonly uint[] _old;

    public PortActor(PortNode node)
    {
        _node = node;
        _fresh = new uint[node.Pool.Capacity];
        _old = new uint[node.Pool.Capacity];
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private bool IsSource => _node.Outputs.Length > 0 && (_node.Outputs[0].IsPipe || _node.Outputs[0].ToDrop);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Deliver deliver:
                deliver.Batch.Claim(Self, _node.Name);
                _node.TxQueue.Enqueue(deliver);
                Work();
                break;
            case Credit credit:
                _node.AddCredit(credit);
                Work();
                break;
            case Poll:
                Work();
                break;
            case Start:
                Work();
                break;
            case StopSources:
                _node.Reading = false;
                break;
            case Shutdown:
                DropQueued();
                Sender.Tell(new ShutdownDone(_node.Name));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Work()
    {
        var more = false;
        if (_node.TxQueue.Count > 0)
        {
            FlushTx();
        }

        if (IsSource && _node.Reading && !_node.Finished)
        {
            more = ReadRx();
        }

        if (more)
        {
            Self.Tell(Poll.Instance); // a full batch: there may be more right away
        }
        else if (!Timers.IsTimerActive(PollTimer)
            && (_node.TxQueue.Count > 0 || (IsSource && _node.Reading && !_node.Finished && (_node.AllOutputsHaveCredit || _node.Definition.Overflow == Config.PortOverflow.Drop))))
        {
            // Nothing to do now: look again later (the rings have no notification to wake us).
            Timers.StartSingleTimer(PollTimer, Poll.Instance, _node.Settings.PollInterval);
        }
    }

    /// <summary>Frees the batches still queued for TX (what was already placed in the ring stays there).</summary>
    private void DropQueued()
    {
        while (_node.TxQueue.TryDequeue(out var deliver))
        {
            var batch = deliver.Batch;
            var placed = _node.TxPosition;
            _node.TxPosition = 0;
            var (packets, _) = BatchStats.Measure(batch.Slots[placed..]);
            _node.Counters.AddDrops(DropReason.Shutdown, packets);
            _node.Pool.Arena.FreeSlots(batch.Slots[placed..], _node.Pool.Owner);
            batch.SetCount(0);
            _node.Pool.Return(batch);
            _node.ReturnCredit(deliver.Edge, Self);
        }
    }

    private const string PollTimer = "poll";

    private static SlotFlags KeepFlags(SlotFlags flags) => flags & ~SlotFlags.BufChanged;
}
