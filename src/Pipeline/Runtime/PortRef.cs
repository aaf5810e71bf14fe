using Akka.Actor;

namespace Pipeline.Runtime;

/// <summary>
/// The actor ref of a <c>thread: dedicated</c> port: a tell runs <see cref="PortSyncThread.Post"/> on the
/// sender's thread, so a batch or credit sent to the port goes straight into its thread's inbox, with no
/// actor (and no extra thread hop) in between. Local only; it has no mailbox, watchers or children, as
/// Akka's own ask refs.
/// </summary>
internal sealed class PortRef : MinimalActorRef
{
    private readonly PortSyncThread _thread;

    public PortRef(PortSyncThread thread, ActorPath path, IActorRefProvider provider)
    {
        _thread = thread;
        Path = path;
        Provider = provider;
    }

    public override ActorPath Path { get; }

    public override IActorRefProvider Provider { get; }

    protected override void TellInternal(object message, IActorRef sender) => _thread.Post(sender, message);
}
