using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Event;
using Netmap.Io;
using Netmap.Io.Ports;
using Pipeline.Config;
using Pipeline.Runtime.Messages;
using Pipeline.Stages;

namespace Pipeline.Runtime;

/// <summary>
/// The sync loop of a <c>thread: dedicated</c> port, on a thread of its own named after the port (netmap's
/// kloop with the application's slot moves in the same pass). Each pass takes the batches and credits posted
/// to the port, places queued batches into the TX ring and syncs it, then syncs the RX rings and drains them
/// into batches it sends down the pipe itself (<see cref="PortPump"/>, the same code an actor port runs, so
/// credit windows and <c>overflow</c> behave the same); then it waits as <see cref="PortSyncMode"/> says: with
/// <see cref="PortSyncMode.Notify"/> it listens to the port's notifications (<see cref="OnPortNotify"/>), which
/// end the wait as a post does.
/// The runtime starts it with the pipeline and stops and joins it before the port closes.
/// </summary>
/// <remarks>
/// Thread hops: a received packet goes from this thread straight to the downstream stage's mailbox; a batch
/// or credit sent to the port runs <see cref="Post"/> on the sender's thread (the tell function of the port's
/// <see cref="PortRef"/>), so it reaches this thread without an actor in between.
/// Thread: while it runs, the port's rings, TX queue and credits are touched by this thread only.
/// Ownership: a batch in the inbox is the port's. One posted after the thread ended is freed by the poster
/// and counted as a shutdown drop.
/// Faults: an exception in a pass is logged, counted as a fault of the port and kept in <see cref="Fault"/>;
/// the thread frees the batch it was filling and from then on only frees what is sent to it (fault drops,
/// credit returned), without touching the rings, until it is stopped.
/// </remarks>
internal sealed class PortSyncThread : IPortNotifyListener
{
    private const int New = 0;
    private const int Started = 1;
    private const int Stopped = 2;

    private readonly PortNode _node;
    private readonly PortPump _pump;
    private readonly ILoggingAdapter _log;
    private readonly ConcurrentQueue<object> _inbox = new();
    private readonly Thread _thread;
    private readonly Lock _stateLock = new();
    private readonly object _gate = new();
    private readonly TaskCompletionSource _readingStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state;
    private int _stopRequested;
    private int _stopReadingRequested;
    private int _exited;
    private int _signaled;
    private int _waiting;

    /// <summary>EOPNOTSUPP (a <see cref="NetmapException"/>) for <c>sync: notify</c> on a port that raises no notifications.</summary>
    public PortSyncThread(PortNode node, ILoggingAdapter log)
    {
        if (node.Definition.Sync == PortSyncMode.Notify && !node.Handle.CanNotify)
        {
            throw new NetmapException(NetmapError.EOPNOTSUPP, node.Definition.Spec.Spec,
                $"port '{node.Name}' has 'sync: notify' but raises no notifications (only pipe ends and NICs whose backend signals do); use 'sync: sleep' or 'sync: busy-poll'");
        }

        _node = node;
        _pump = new PortPump(node);
        _log = log;
        _thread = new Thread(Run) { Name = "port:" + node.Name, IsBackground = true };
    }

    /// <summary>The port it runs.</summary>
    public PortNode Node => _node;

    /// <summary>The thread's name: <c>port:NAME</c>.</summary>
    public string Name => _thread.Name!;

    /// <summary>True while the thread runs.</summary>
    public bool IsAlive => _thread.IsAlive;

    /// <summary>The exception that stopped the port's ring work, or null.</summary>
    public Exception? Fault => _node.Fault;

    /// <summary>Completes once the port reads no more (after <see cref="StopReading"/>, or when the thread ended).</summary>
    public Task ReadingStopped => _readingStopped.Task;

    /// <summary>Starts the thread (once; never after <see cref="Stop"/>). Call when the pipes are wired.</summary>
    public void Start()
    {
        lock (_stateLock)
        {
            if (_state != New)
            {
                return;
            }

            _state = Started;
            _thread.Start();
        }
    }

    /// <summary>
    /// The port's mailbox: a batch to transmit (a <see cref="PacketBatch"/>) or a credit of its pipe. Thread: the
    /// sender's; allocation-free.
    /// </summary>
    public void Post(IActorRef sender, object message)
    {
        _inbox.Enqueue(message);

        // Full fence, paired with the one in Exit: either the thread's last drain sees this message, or we see
        // that it ended and free the message ourselves.
        if (Interlocked.CompareExchange(ref _exited, 0, 0) != 0)
        {
            DrainAfterExit();
            return;
        }

        Wake();
    }

    /// <summary>Asks the source side to stop reading; <see cref="ReadingStopped"/> completes when it has (a batch it was sending is on its way by then).</summary>
    public void StopReading()
    {
        Interlocked.Exchange(ref _stopReadingRequested, 1);
        lock (_stateLock)
        {
            if (_state == New)
            {
                _node.Reading = false; // Thread.Start publishes it, if the thread starts at all
                _readingStopped.TrySetResult();
                return;
            }
        }

        Wake();
    }

    /// <summary>
    /// Ends the loop and waits up to <paramref name="timeout"/> for the thread; false when it did not end in
    /// time. Batches still queued for TX are freed as shutdown drops.
    /// </summary>
    public bool Stop(TimeSpan timeout)
    {
        lock (_stateLock)
        {
            var state = _state;
            _state = Stopped;
            if (state == New)
            {
                Exit(); // never ran: free what was posted, here
                return true;
            }
        }

        Interlocked.Exchange(ref _stopRequested, 1);
        Wake();
        return _thread.Join(timeout);
    }

    private void Run()
    {
        // Read once: they never change while the thread runs.
        var busyPoll = _node.Definition.Sync == PortSyncMode.BusyPoll;
        var notify = _node.Definition.Sync == PortSyncMode.Notify;
        var interval = _node.Settings.PollInterval;
        if (notify && interval < PortActor.NotifySafetyNet)
        {
            interval = PortActor.NotifySafetyNet; // the port wakes us; the timeout only catches a lost notification
        }

        var spinner = default(SpinWait);
        try
        {
            if (notify)
            {
                try
                {
                    // Before the first pass: what the port publishes from now on wakes the wait, and the pass sees what came before.
                    _node.Handle.AddNotifyListener(this);
                }
                catch (NetmapException error)
                {
                    OnFault(error); // the handle closed under us: nothing to move
                }
            }

            while (Volatile.Read(ref _stopRequested) == 0)
            {
                // Reset before the pass: a post during the pass leaves it set, and the wait below returns at once.
                Volatile.Write(ref _signaled, 0);
                var more = false;
                try
                {
                    more = Pass();
                }
                catch (Exception error) when (error is not OutOfMemoryException)
                {
                    OnFault(error);
                }

                if (more)
                {
                    spinner = default;
                }
                else if (busyPoll)
                {
                    spinner.SpinOnce(sleep1Threshold: -1); // spins, then yields the core; never sleeps
                }
                else
                {
                    WaitForWake(interval);
                }
            }
        }
        finally
        {
            if (notify)
            {
                _node.Handle.RemoveNotifyListener(this);
            }

            Exit();
        }
    }

    /// <summary>One pass; true when it filled a batch (there may be more right away).</summary>
    private bool Pass()
    {
        if (Volatile.Read(ref _stopReadingRequested) != 0 && _node.Reading)
        {
            _node.Reading = false;
            _readingStopped.TrySetResult();
        }

        while (_inbox.TryDequeue(out var message))
        {
            switch (message)
            {
                case PacketBatch batch:
                    _node.TxQueue.Enqueue(batch); // queued first: a fault in the claim still frees it
                    batch.Claim(_node.Self, _node.Name);
                    break;
                case Credit credit:
                    _node.AddCredit(credit);
                    break;
                default:
                    _log.Warning("port '{0}': unexpected message {1} ignored", _node.Name, message.GetType().Name);
                    break;
            }
        }

        if (_node.Fault is not null)
        {
            _pump.DropQueued(DropReason.Fault);
            return false;
        }

        _pump.ServeTx(); // with nothing queued, frames the device could not take yet are kicked again every pass

        return _pump.WantsRx && _pump.ReadRx();
    }

    private void OnFault(Exception error)
    {
        if (_pump.Fail(error))
        {
            _log.Error(error, "port '{0}' ({1}): its sync thread failed and no longer moves packets; what is sent to it is dropped as 'fault'", _node.Name, _node.Definition.Spec.Spec);
            _readingStopped.TrySetResult();
        }
    }

    private void Exit()
    {
        Interlocked.Exchange(ref _exited, 1);
        _node.Reading = false;
        _readingStopped.TrySetResult();
        try
        {
            DrainAfterExit();
            _pump.DropQueued(DropReason.Shutdown);
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            _log.Error(error, "port '{0}': freeing the batches left at stop failed", _node.Name);
        }
    }

    /// <summary>Frees what is in the inbox after the thread ended (any thread; the queue hands each message out once).</summary>
    private void DrainAfterExit()
    {
        while (_inbox.TryDequeue(out var message))
        {
            if (message is PacketBatch batch)
            {
                var edge = batch.Edge; // read before the pool resets it
                _node.DropBatch(batch, DropReason.Shutdown);
                _node.ReturnCredit(edge, _node.Self);
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>Thread: the notifying one (<c>sync: notify</c> only); sets the flag, pulses only a waiting thread.</remarks>
    public void OnPortNotify(Port port) => Wake();

    /// <summary>Ends the thread's wait (a post, a stop, a notification, the pipeline asking it to look); coalesced, any thread.</summary>
    public void Wake()
    {
        if (Volatile.Read(ref _signaled) != 0)
        {
            return; // already pending: the common case while the thread is busy, one read and no lock
        }

        // Full fence, paired with the one in WaitForWake: either the waiter sees _signaled or we see _waiting.
        Interlocked.Exchange(ref _signaled, 1);
        if (Volatile.Read(ref _waiting) != 0)
        {
            lock (_gate)
            {
                Monitor.PulseAll(_gate);
            }
        }
    }

    private void WaitForWake(TimeSpan timeout)
    {
        lock (_gate)
        {
            // Full fence, paired with the one in Wake: a Wake that missed _waiting set _signaled before we read it.
            Interlocked.Exchange(ref _waiting, 1);
            if (Volatile.Read(ref _signaled) == 0)
            {
                Monitor.Wait(_gate, timeout);
            }

            Volatile.Write(ref _waiting, 0);
        }
    }
}
