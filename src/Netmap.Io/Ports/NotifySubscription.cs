namespace Netmap.Io.Ports;

/// <summary>
/// One listener on a port's notifications, owned by the handle that subscribed it (netmap's poll wait-queue
/// entry of one open file): the port calls it until it is closed, and closing the handle closes it.
/// </summary>
/// <remarks>
/// Thread: <see cref="Call"/> runs on notifying threads, several at once; <see cref="Close"/> and
/// <see cref="WaitForCalls"/> on the unsubscriber's. A closed subscription starts no call, so once
/// <see cref="Close"/> returned only calls already under way can still run, and <see cref="WaitForCalls"/> outlasts them.
/// </remarks>
internal sealed class NotifySubscription
{
    // _state: the calls under way in the low bits, Closed on top. A call enters only while Closed is clear.
    private const int Closed = 1 << 30;
    private int _state;

    internal NotifySubscription(PortHandle owner, IPortNotifyListener listener)
    {
        Owner = owner;
        Listener = listener;
    }

    /// <summary>The handle that subscribed the listener; its close unsubscribes it.</summary>
    internal PortHandle Owner { get; }

    internal IPortNotifyListener Listener { get; }

    internal bool IsClosed => (Volatile.Read(ref _state) & Closed) != 0;

    /// <summary>Tells the listener, unless the subscription is closed.</summary>
    internal void Call(Port port)
    {
        // Enter by CAS, never by an increment undone later: once Closed is set no call enters, so the count only
        // falls and WaitForCalls cannot be kept waiting by notifications that keep coming.
        var state = Volatile.Read(ref _state);
        while (true)
        {
            if ((state & Closed) != 0)
            {
                return;
            }

            var seen = Interlocked.CompareExchange(ref _state, state + 1, state);
            if (seen == state)
            {
                break;
            }

            state = seen;
        }

        try
        {
            Listener.OnPortNotify(port);
        }
        finally
        {
            Interlocked.Decrement(ref _state);
        }
    }

    /// <summary>Starts no call from now on (a Notify that read the port's list before the removal included).</summary>
    internal void Close() => Interlocked.Or(ref _state, Closed);

    /// <summary>
    /// After <see cref="Close"/>: returns once no call is under way, so the listener is never called again.
    /// Never from the listener itself (it would wait for its own call).
    /// </summary>
    internal void WaitForCalls()
    {
        var spinner = default(SpinWait);
        while (Volatile.Read(ref _state) != Closed)
        {
            // A call is short by contract (set a flag, post a message, signal an event).
            spinner.SpinOnce();
        }
    }
}
