using Netmap.Io.Ports;
using Netmap.Io.Rings;

namespace Netmap.Io.Sync;

/// <summary>
/// netmap's sync kloop (<c>netmap_kloop.c</c>, <c>SYNC_KLOOP_START</c>/<c>STOP</c>) over in-process rings:
/// a thread that keeps syncing a handle's rings, so the application only moves Head/Cur and reads Tail.
/// Each pass runs TxSync over the bound TX rings, then RxSync over the bound RX rings, then waits as
/// <see cref="SyncLoopMode"/> says. No CSB is needed: the application and the loop share the
/// <see cref="Ring"/> itself.
/// </summary>
/// <remarks>
/// Thread: <see cref="PortHandle.StartSyncLoop"/> runs the loop on the calling thread until
/// <see cref="PortHandle.StopSyncLoop"/> (from another thread) or <see cref="PortHandle.Dispose"/>. While it
/// runs, the rings it syncs belong to it: the application writes Head/Cur (Cur first, then Head: the loop
/// reads Head, then Cur) and reads Tail; <see cref="Ring"/> publishes the three with Volatile reads and
/// writes, so the slots the application filled before moving Head are seen by the loop, and the slots the
/// loop published before moving Tail are seen by the application. A TxSync/RxSync the application calls
/// on a ring the loop owns fails EBUSY (netmap's syncs in CSB mode). With <see cref="SyncLoopOptions.DirectTx"/>
/// or <see cref="SyncLoopOptions.DirectRx"/> the loop leaves those rings alone and the application syncs
/// them itself, as before the loop.
/// State (per handle, netmap's <c>np_kloop_state</c>): RUNNING while a loop runs, STOPPING once a stop was
/// asked. A stop with no loop running returns at once but leaves STOPPING set, so the next start returns
/// at once, having run no pass (netmap's quirk the start/stop race of its tests relies on). A loop that ends
/// resets the state to 0.
/// </remarks>
internal sealed class SyncLoop : IPortNotifyListener
{
    internal const int Running = 1;
    internal const int Stopping = 2;

    private readonly PortHandle _handle;
    private readonly SyncLoopOptions _options;
    private readonly Ring[] _txRings;
    private readonly Ring[] _rxRings;
    private readonly object _gate = new();
    private int _signaled;
    private int _waiting;

    private SyncLoop(PortHandle handle, SyncLoopOptions options, Ring[] txRings, Ring[] rxRings)
    {
        _handle = handle;
        _options = options;
        _txRings = txRings;
        _rxRings = rxRings;
    }

    /// <summary>The body of <see cref="PortHandle.StartSyncLoop"/>.</summary>
    internal static void Run(PortHandle handle, SyncLoopOptions options)
    {
        Validate(handle, options);
        if (handle.IsClosed)
        {
            ThrowHelper.Netmap(NetmapError.ENXIO, handle.Spec, "the handle is closed");
        }

        // Claim RUNNING: of two concurrent starts exactly one sees the bit clear (netmap's sync_kloop_conflict).
        var state = Volatile.Read(ref handle.SyncLoopState);
        while (true)
        {
            if ((state & Running) != 0)
            {
                ThrowHelper.Netmap(NetmapError.EBUSY, handle.Spec, "a sync loop already runs on this handle");
            }

            var seen = Interlocked.CompareExchange(ref handle.SyncLoopState, state | Running, state);
            if (seen == state)
            {
                break;
            }

            state = seen;
        }

        // After RUNNING: a Dispose that set IsClosed before we claimed is seen here; one that sets it later
        // sees RUNNING and waits for this loop (both are sequentially consistent interlocked operations).
        if (handle.IsClosed)
        {
            Volatile.Write(ref handle.SyncLoopState, 0); // release the claim: the closing Dispose waits for it
            ThrowHelper.Netmap(NetmapError.ENXIO, handle.Spec, "the handle is closed");
        }

        SyncLoop? loop = null;
        NotifySubscription? subscription = null;
        try
        {
            var tx = options.DirectTx ? [] : handle.TxRingArray;
            var rx = options.DirectRx ? [] : handle.RxRingArray;
            loop = new SyncLoop(handle, options, tx, rx);
            loop.ClaimRings();
            Volatile.Write(ref handle.RunningSyncLoop, loop);
            if (options.Mode == SyncLoopMode.Notification)
            {
                subscription = handle.Port.AddNotifyListener(handle, loop);
            }

            loop.Loop();
        }
        finally
        {
            if (subscription is not null)
            {
                handle.Port.RemoveNotifyListener(subscription);
            }

            if (loop is not null)
            {
                loop.ReleaseRings();
            }

            Volatile.Write(ref handle.RunningSyncLoop, null);
            // Last: a Stop or Dispose waiting for RUNNING to clear may unbind the rings right after this.
            Volatile.Write(ref handle.SyncLoopState, 0);
        }
    }

    /// <summary>
    /// The body of <see cref="PortHandle.StopSyncLoop"/> (and of the handle's close): sets STOPPING, wakes the
    /// loop and waits until it has ended. Returns at once when no loop runs (STOPPING stays set).
    /// </summary>
    internal static void Stop(PortHandle handle)
    {
        Interlocked.Or(ref handle.SyncLoopState, Stopping);
        WaitForExit(handle);
    }

    /// <summary>Wakes the loop of a closed handle and waits until it has ended (it sees the close itself).</summary>
    internal static void WaitForExit(PortHandle handle)
    {
        var spinner = default(SpinWait);
        while ((Volatile.Read(ref handle.SyncLoopState) & Running) != 0)
        {
            // The loop may not be published yet (between its claim and its start) or may be waiting: wake it
            // on every round, as netmap's stop polls every 1-1.5 ms.
            Volatile.Read(ref handle.RunningSyncLoop)?.Wake();
            spinner.SpinOnce();
        }
    }

    /// <summary>A port notification or a stop: ends the loop's wait.</summary>
    internal void Wake()
    {
        if (Volatile.Read(ref _signaled) != 0)
        {
            return; // already pending: the common case while the loop is busy, one read and no lock
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

    /// <inheritdoc/>
    void IPortNotifyListener.OnPortNotify(Port port) => Wake();

    /// <summary>The application moved a TX Head (netmap's ioeventfd kick); only a Notification loop waits for it.</summary>
    internal void Kick()
    {
        if (_options.Mode == SyncLoopMode.Notification)
        {
            Wake();
        }
    }

    private static void Validate(PortHandle handle, SyncLoopOptions options)
    {
        var sleep = options.SleepInterval;
        if (sleep > SyncLoopOptions.MaxSleepInterval || sleep < TimeSpan.Zero)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, handle.Spec, $"sleep interval {sleep} is outside [0, {SyncLoopOptions.MaxSleepInterval}]");
        }

        if (!Enum.IsDefined(options.Mode))
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, handle.Spec, $"unknown sync loop mode {options.Mode}");
        }

        if (options.Mode != SyncLoopMode.Notification && (options.DirectTx || options.DirectRx))
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, handle.Spec, $"DirectTx/DirectRx need the Notification mode, not {options.Mode}");
        }

        if (options.Mode == SyncLoopMode.Notification && !handle.Port.CanNotify)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, handle.Spec, $"port {handle.Port.Name} raises no notifications: use the BusyPoll or Sleep mode");
        }
    }

    private bool ShouldStop() =>
        (Volatile.Read(ref _handle.SyncLoopState) & Stopping) != 0 || _handle.IsClosed;

    private void Loop()
    {
        // Read once: the loop runs until stopped and these never change.
        var tx = _txRings;
        var rx = _rxRings;
        var mode = _options.Mode;
        var sleep = _options.SleepInterval;
        if (sleep > TimeSpan.Zero && sleep < TimeSpan.FromMilliseconds(1))
        {
            sleep = TimeSpan.FromMilliseconds(1); // the wait counts whole milliseconds; 0 would be a busy poll
        }

        while (true)
        {
            if (mode == SyncLoopMode.Notification)
            {
                // Reset before the pass: a notification raised during the pass stays set and ends the wait below.
                Volatile.Write(ref _signaled, 0);
            }

            if (ShouldStop())
            {
                return;
            }

            for (var i = 0; i < tx.Length; i++)
            {
                tx[i].TxSync();
            }

            for (var i = 0; i < rx.Length; i++)
            {
                rx[i].RxSync();
            }

            switch (mode)
            {
                case SyncLoopMode.Notification:
                    WaitForWake(SyncLoopOptions.NotificationTimeout);
                    break;
                case SyncLoopMode.Sleep when sleep > TimeSpan.Zero:
                    WaitForWake(sleep); // woken early only by a stop, which ends the loop
                    break;
                default:
                    break;
            }
        }
    }

    /// <summary>Waits until <see cref="Wake"/> was called (since the last reset) or <paramref name="timeout"/> passed.</summary>
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

    /// <summary>Takes the rings this loop syncs; EBUSY when a loop of another handle already owns one.</summary>
    private void ClaimRings()
    {
        var thread = Environment.CurrentManagedThreadId;
        var claimed = 0;
        try
        {
            foreach (var ring in _txRings)
            {
                ClaimRing(ring, thread);
                claimed++;
            }

            foreach (var ring in _rxRings)
            {
                ClaimRing(ring, thread);
                claimed++;
            }
        }
        catch (NetmapException)
        {
            ReleaseRings(claimed);
            throw;
        }
    }

    private void ClaimRing(Ring ring, int thread)
    {
        if (Interlocked.CompareExchange(ref ring.SyncLoopThread, thread, 0) != 0)
        {
            ThrowHelper.Netmap(NetmapError.EBUSY, _handle.Spec, $"{ring.Kind} ring {ring.RingId} is already synced by another handle's sync loop");
        }
    }

    private void ReleaseRings(int count = int.MaxValue)
    {
        var thread = Environment.CurrentManagedThreadId;
        foreach (var ring in _txRings)
        {
            if (count-- <= 0)
            {
                return;
            }

            Interlocked.CompareExchange(ref ring.SyncLoopThread, 0, thread);
        }

        foreach (var ring in _rxRings)
        {
            if (count-- <= 0)
            {
                return;
            }

            Interlocked.CompareExchange(ref ring.SyncLoopThread, 0, thread);
        }
    }
}
