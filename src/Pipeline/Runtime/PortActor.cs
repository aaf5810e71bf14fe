using Akka.Actor;
using Pipeline.Runtime.Messages;
using Pipeline.Stages;

namespace Pipeline.Runtime;

/// <summary>
/// Drives a <c>thread: actor</c> port: runs its <see cref="PortPump"/> on every batch, credit and poll, and,
/// once it has had nothing to do, looks at the rings again every poll interval (the rings raise no
/// notification an actor could wait for). A <c>thread: dedicated</c> port has a <see cref="PortSyncThread"/> instead.
/// </summary>
/// <remarks>
/// The poll timer is periodic, started the first time the port has to wait and kept until the actor stops: a
/// one-shot timer per wait would allocate its registration and message every time (several hundred bytes, as
/// often as every batch), a periodic one allocates once. Akka's scheduler ticks every 10 ms by default, so the
/// interval is rounded up to that.
/// </remarks>
/// <remarks>Thread: the port's rings are touched only by this actor.</remarks>
internal sealed class PortActor : UntypedActor, IWithTimers
{
    private const string PollTimer = "poll";

    private readonly PortNode _node;
    private readonly PortPump _pump;

    public PortActor(PortNode node)
    {
        _node = node;
        _pump = new PortPump(node);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case PacketBatch batch:
                batch.Claim(Self, _node.Name);
                _node.TxQueue.Enqueue(batch);
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
                _pump.DropQueued(DropReason.Shutdown);
                Sender.Tell(new ShutdownDone(_node.Name));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    protected override void PreRestart(Exception reason, object message)
    {
        _pump.Abandon(); // the batch it was filling when it threw: freed, its packets counted as fault drops
        _node.Counters.AddFault();
        base.PreRestart(reason, message);
    }

    protected override void PostRestart(Exception reason)
    {
        base.PostRestart(reason);
        Self.Tell(Poll.Instance); // the timers went with the old instance: look at the rings again
    }

    private void Work()
    {
        var more = false;
        if (_node.TxQueue.Count > 0)
        {
            _pump.FlushTx();
        }

        if (_pump.WantsRx)
        {
            more = _pump.ReadRx();
        }

        if (more)
        {
            Self.Tell(Poll.Instance); // a full batch: there may be more right away
        }
        else if (!Timers.IsTimerActive(PollTimer)
            && (_node.TxQueue.Count > 0 || (_pump.WantsRx && (_node.AllOutputsHaveCredit || _node.Definition.Overflow == Config.PortOverflow.Drop))))
        {
            // Nothing to do now: look again later (the rings have no notification to wake us), and from then on
            // every interval (a periodic timer allocates once; a poll that finds nothing costs a ring look).
            Timers.StartPeriodicTimer(PollTimer, Poll.Instance, _node.Settings.PollInterval);
        }
    }
}
