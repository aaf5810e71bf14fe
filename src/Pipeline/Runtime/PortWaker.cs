using Akka.Actor;
using Netmap.Io.Ports;

namespace Pipeline.Runtime;

/// <summary>
/// Wakes a <c>thread: actor</c> port when its port notifies (a pipe's peer sent or released slots, a NIC
/// signalled) or the pipeline asks it to look (<see cref="PipelineRuntime.Wake"/>): tells the actor
/// <see cref="Messages.Wake"/>, at most one pending at a time, so a burst of notifications costs one flag read
/// each and one message in all, and none allocates.
/// </summary>
/// <remarks>
/// Thread: <see cref="OnPortNotify"/> and <see cref="Wake"/> run on any thread (the notifying one: another
/// port's sync, a backend's thread, the cluster link); <see cref="Rearm"/> on the actor, before it looks.
/// </remarks>
internal sealed class PortWaker : IPortNotifyListener
{
    private readonly IActorRef _actor;
    private int _pending;

    public PortWaker(IActorRef actor) => _actor = actor;

    /// <summary>Tells the actor to look at its rings, unless a <see cref="Messages.Wake"/> is already on its way.</summary>
    public void Wake()
    {
        if (Volatile.Read(ref _pending) != 0)
        {
            return; // already pending: the common case while the actor is busy, one read and no message
        }

        if (Interlocked.Exchange(ref _pending, 1) == 0)
        {
            _actor.Tell(Messages.Wake.Instance, ActorRefs.NoSender);
        }
    }

    /// <inheritdoc/>
    public void OnPortNotify(Port port) => Wake();

    /// <summary>The actor received the <see cref="Messages.Wake"/>: the next notification sends a new one. Call before looking at the rings.</summary>
    public void Rearm()
    {
        // Full fence: a notification raised after the look below started either sees 0 and sends a new Wake, or
        // published its packets before this exchange, and the look sees them.
        Interlocked.Exchange(ref _pending, 0);
    }
}
