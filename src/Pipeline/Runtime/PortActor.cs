using Akka.Actor;
using Akka.Event;
using Netmap.Io;
using Pipeline.Runtime.Messages;
using Pipeline.Stages;

namespace Pipeline.Runtime;

/// <summary>
/// Drives a <c>thread: actor</c> port: runs its <see cref="PortPump"/> on every batch, credit, wake and poll.
/// A port that raises notifications (a pipe end, a NIC with notify) wakes the actor through a
/// <see cref="PortWaker"/> as soon as packets or TX room appear, so a partial batch never waits for a timer;
/// a port that cannot (a file, a null or VALE port) is looked at again every poll interval once it has had
/// nothing to do. A <c>thread: dedicated</c> port has a <see cref="PortSyncThread"/> instead.
/// </summary>
/// <remarks>
/// The poll timer is periodic, started the first time the port has to wait and kept until the actor stops: a
/// one-shot timer per wait would allocate its registration and message every time (several hundred bytes, as
/// often as every batch), a periodic one allocates once. Akka's scheduler ticks every 10 ms by default, so the
/// interval is rounded up to that. A notifying port keeps the timer only as a safety net, at
/// <see cref="NotifySafetyNet"/> at least (issue 8: a 1 ms timer in place of the notification capped pipe
/// pipelines at ~0.1 Mpps).
/// </remarks>
/// <remarks>
/// Faults: an exception thrown by the port itself (a <see cref="NetmapException"/> from a sync) stops the port for
/// good, as on a dedicated thread (<see cref="PortNode.Fault"/>); any other restarts the actor.
/// Thread: the port's rings are touched only by this actor.
/// </remarks>
internal sealed class PortActor : UntypedActor, IWithTimers
{
    private const string PollTimer = "poll";

    /// <summary>The shortest poll interval of a port that notifies: its timer only catches a lost notification.</summary>
    internal static readonly TimeSpan NotifySafetyNet = TimeSpan.FromMilliseconds(100);

    private readonly PortNode _node;
    private readonly PortPump _pump;
    private readonly bool _notifies;
    private readonly TimeSpan _pollInterval;

    public PortActor(PortNode node)
    {
        _node = node;
        _pump = new PortPump(node);
        _notifies = node.Handle.CanNotify;
        var interval = node.Settings.PollInterval;
        _pollInterval = _notifies && interval < NotifySafetyNet ? NotifySafetyNet : interval;
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
            case Wake:
                _node.Waker!.Rearm(); // before the look: a notification from now on sends a new Wake
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

    protected override void PreStart()
    {
        // Self is the same across restarts: one waker for the actor's life, so a Wake in the mailbox stays paired with its flag.
        var waker = _node.Waker ??= new PortWaker(Self);
        if (_notifies && !_node.Handle.IsClosed)
        {
            _node.Handle.AddNotifyListener(waker);
        }
    }

    protected override void PostStop()
    {
        if (_notifies && _node.Waker is { } waker)
        {
            _node.Handle.RemoveNotifyListener(waker); // before the handle closes: a pipe end outlives it while its peer is bound
        }
    }

    private void OnFault(NetmapException error)
    {
        if (_pump.Fail(error))
        {
            Context.GetLogger().Error(error, "port '{0}' ({1}): a sync failed and the port no longer moves packets; what is sent to it is dropped as 'fault'", _node.Name, _node.Definition.Spec.Spec);
        }

        _pump.DropQueued(DropReason.Fault);
        _node.Reading = false;
        Timers.CancelAll();
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
        if (_node.Fault is not null)
        {
            _pump.DropQueued(DropReason.Fault); // a failed port: what reaches it is dropped, its rings are not touched
            return;
        }

        var more = false;
        try
        {
            _pump.ServeTx();

            if (_pump.WantsRx)
            {
                more = _pump.ReadRx();
            }
        }
        catch (NetmapException error)
        {
            // The port itself failed (a capture that cannot be written, a device gone): a restart would run the same
            // sync into the same error at once, for ever. The port stops for good, as a dedicated port's thread does.
            OnFault(error);
            return;
        }

        if (more)
        {
            Self.Tell(Poll.Instance); // a full batch: there may be more right away
        }
        else if (!Timers.IsTimerActive(PollTimer)
            && (_node.TxQueue.Count > 0 || _pump.TxPending || (_pump.WantsRx && (_node.AllOutputsHaveCredit || _node.Definition.Overflow == Config.PortOverflow.Drop))))
        {
            // Nothing to do now: a port that notifies wakes us when packets or room appear (the timer is only a
            // slow safety net); any other port is looked at again every interval (a periodic timer allocates once;
            // a poll that finds nothing costs a ring look).
            Timers.StartPeriodicTimer(PollTimer, Poll.Instance, _pollInterval);
        }
    }
}
