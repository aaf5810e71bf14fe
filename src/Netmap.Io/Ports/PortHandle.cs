using Netmap.Io.Memory;
using Netmap.Io.Rings;
using Netmap.Io.Sync;

namespace Netmap.Io.Ports;

/// <summary>
/// One binding of a port (netmap's open file descriptor, libnetmap's <c>nmport_d</c>): the rings this open
/// selected, its flags, its extra buffers. Closing it releases the rings; the port goes when its last
/// binding goes (pipes keep their rings while either end is bound).
/// </summary>
/// <remarks>
/// Ownership: the handle owns the extra-buffer list that starts at <see cref="ExtraBuffersHead"/>; on close
/// every buffer on that list goes back to the arena, so a user that swapped extra buffers into slots must
/// put the same number back on the list.
/// </remarks>
public sealed class PortHandle : IDisposable
{
    private readonly Ring[] _txRings;
    private readonly Ring[] _rxRings;
    private int _closed;
    private int _curTxRing;

    // Sync loop state (Sync/SyncLoop.cs): netmap's np_kloop_state bits, and the loop running now.
    internal int SyncLoopState;
    internal SyncLoop? RunningSyncLoop;

    internal PortHandle(Port port, string spec, RegisterMode mode, uint ringId, RegisterFlags flags, Ring[] txRings, Ring[] rxRings)
    {
        Port = port;
        Spec = spec;
        Mode = mode;
        RingId = ringId;
        Flags = flags;
        _txRings = txRings;
        _rxRings = rxRings;
    }

    /// <summary>The spec this handle was opened with.</summary>
    public string Spec { get; }

    /// <summary>The port.</summary>
    public Port Port { get; }

    /// <summary>The arena of the port's buffers.</summary>
    public BufferArena Arena => Port.Arena;

    /// <summary>The memory region id (two ports can swap buffers zero-copy when their ids match).</summary>
    public ushort MemId => Port.MemId;

    /// <summary>The ring-selection mode of this binding.</summary>
    public RegisterMode Mode { get; }

    /// <summary>The ring id for the ONE_* modes.</summary>
    public uint RingId { get; }

    /// <summary>The registration flags.</summary>
    public RegisterFlags Flags { get; }

    /// <summary>The TX rings this handle bound, in ring order.</summary>
    public ReadOnlySpan<Ring> TxRings => _txRings;

    /// <summary>The RX rings this handle bound, in ring order.</summary>
    public ReadOnlySpan<Ring> RxRings => _rxRings;

    /// <summary>The first bound TX ring (the usual case: one ring pair).</summary>
    public Ring TxRing => _txRings.Length > 0 ? _txRings[0] : ThrowHelper.Netmap<Ring>(NetmapError.EINVAL, Spec, "this binding has no TX ring");

    /// <summary>The first bound RX ring.</summary>
    public Ring RxRing => _rxRings.Length > 0 ? _rxRings[0] : ThrowHelper.Netmap<Ring>(NetmapError.EINVAL, Spec, "this binding has no RX ring");

    /// <summary>Extra buffers granted (may be fewer than asked for).</summary>
    public int ExtraBuffersGranted { get; internal set; }

    /// <summary>Head of the extra-buffer list (0 = empty); the user may rewrite it after swapping buffers.</summary>
    public uint ExtraBuffersHead { get; set; }

    /// <summary>The effective max offset of the bound rings (0 without offsets).</summary>
    public ulong MaxOffset { get; internal set; }

    /// <summary>True once <see cref="Dispose"/> ran.</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>For a pipe end: true while the other end has no binding. False for other ports.</summary>
    public bool PeerClosed => Port is Pipes.PipePort pipe && pipe.PeerClosed;

    /// <summary>Runs TxSync on every bound TX ring (netmap's <c>NIOCTXSYNC</c>); ENXIO once closed.</summary>
    public SyncStatus TxSync()
    {
        ThrowIfClosed();
        var status = SyncStatus.Ok;
        foreach (var ring in _txRings)
        {
            status |= ring.TxSync();
        }

        return status;
    }

    /// <summary>Runs RxSync on every bound RX ring (netmap's <c>NIOCRXSYNC</c>); ENXIO once closed.</summary>
    public SyncStatus RxSync()
    {
        ThrowIfClosed();
        var status = SyncStatus.Ok;
        foreach (var ring in _rxRings)
        {
            status |= ring.RxSync();
        }

        return status;
    }

    /// <summary>
    /// netmap's <c>nm_inject</c>: writes one packet into the first bound TX ring with room, trying them
    /// round-robin from the last one used; long packets take several slots (MOREFRAG). No sync is issued.
    /// Returns the packet's length, or 0 when no ring had room.
    /// </summary>
    public int Inject(ReadOnlySpan<byte> packet)
    {
        ThrowIfClosed();
        var n = _txRings.Length;
        for (var c = 0; c < n; c++)
        {
            var ri = (_curTxRing + c) % n;
            if (_txRings[ri].TryInject(packet))
            {
                _curTxRing = ri;
                return packet.Length;
            }
        }

        return 0;
    }

    /// <summary>True while a sync loop (<see cref="StartSyncLoop"/>) runs on this handle.</summary>
    public bool IsSyncLoopRunning => (Volatile.Read(ref SyncLoopState) & SyncLoop.Running) != 0;

    /// <summary>
    /// netmap's <c>SYNC_KLOOP_START</c>: runs a sync loop on the calling thread over the bound rings (TxSync on
    /// the TX rings, then RxSync on the RX rings, then a wait as <see cref="SyncLoopOptions.Mode"/> says) until
    /// <see cref="StopSyncLoop"/> is called from another thread or the handle is closed; then returns normally.
    /// While it runs the application only moves Head/Cur (Cur first) and reads Tail of the rings the loop
    /// syncs; its own syncs of those rings fail EBUSY (<see cref="SyncLoopOptions.DirectTx"/>/<see cref="SyncLoopOptions.DirectRx"/>
    /// leave one direction to the application). Returns at once when a stop came before any loop ran (netmap's
    /// sticky stop). Errors: EINVAL for a sleep interval over 1 s, for DirectTx/DirectRx outside the
    /// Notification mode and for the Notification mode on a port that raises no notifications; ENXIO once
    /// closed; EBUSY when a loop already runs on this handle or another handle's loop syncs one of the rings.
    /// </summary>
    public void StartSyncLoop(SyncLoopOptions? options = null) => SyncLoop.Run(this, options ?? new SyncLoopOptions());

    /// <summary>
    /// netmap's <c>SYNC_KLOOP_STOP</c>: asks the running loop to stop and waits until it has returned. With no
    /// loop running it returns at once, but the stop stays pending and the next <see cref="StartSyncLoop"/>
    /// returns at once without a pass (netmap's quirk). ENXIO once closed (closing stops the loop itself).
    /// </summary>
    public void StopSyncLoop()
    {
        ThrowIfClosed();
        SyncLoop.Stop(this);
    }

    /// <summary>
    /// Wakes a <see cref="SyncLoopMode.Notification"/> loop after the application moved a TX Head (netmap's
    /// ioeventfd kick), so it transmits at once instead of at its next notification or timeout (≤ 3 s). A
    /// no-op when no such loop runs: the other modes poll on their own.
    /// </summary>
    public void KickSyncLoop() => Volatile.Read(ref RunningSyncLoop)?.Kick();

    /// <summary>
    /// True when the port raises notifications (<see cref="AddNotifyListener"/>): a pipe end when its peer sends or
    /// releases slots, a NIC port whose backend signals. False for ports whose rings must be looked at on a timer
    /// (null, pcap files, VALE and monitor ports).
    /// </summary>
    public bool CanNotify => Port.CanNotify;

    /// <summary>
    /// Subscribes <paramref name="listener"/> to the port's notifications (netmap's <c>poll()</c> on the port, as
    /// a callback): it is told each time new RX packets or new TX room may be in the port's rings, whichever ring
    /// and handle they belong to, until <see cref="RemoveNotifyListener"/> or until this handle closes, as a
    /// <c>poll()</c> ends with its file descriptor; a listener of another handle of the port is not affected.
    /// Look at the rings once after subscribing: changes before it are not told. Allocates once here;
    /// notifications allocate nothing.
    /// Errors: EOPNOTSUPP when the port cannot notify (<see cref="CanNotify"/>); ENXIO once closed.
    /// </summary>
    /// <remarks>Thread: the listener runs on the notifying thread; see <see cref="IPortNotifyListener"/>.</remarks>
    public void AddNotifyListener(IPortNotifyListener listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        ThrowIfClosed();
        if (!Port.CanNotify)
        {
            ThrowHelper.Netmap(NetmapError.EOPNOTSUPP, Spec, "this port raises no notifications; look at its rings on a timer");
        }

        var subscription = Port.AddNotifyListener(this, listener);
        // After the add (both interlocked): a Dispose that closed the handle before it may have swept the list
        // before it too, and would leave this one subscribed for good. One that closes later sweeps it.
        if (IsClosed)
        {
            Port.RemoveNotifyListener(subscription);
            subscription.WaitForCalls();
            ThrowHelper.Netmap(NetmapError.ENXIO, Spec, "the handle is closed");
        }
    }

    /// <summary>
    /// Unsubscribes a listener added by <see cref="AddNotifyListener"/> on this handle (once per add); a no-op
    /// when it is not subscribed, and allowed after the handle closed (which unsubscribed it already). No
    /// notification starts after it returns; one already under way on another thread may still be finishing.
    /// </summary>
    public void RemoveNotifyListener(IPortNotifyListener listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        Port.RemoveNotifyListener(this, listener);
    }

    /// <summary>
    /// Releases the rings and the extra buffers (after stopping a running sync loop) and unsubscribes this
    /// handle's notification listeners: once it returns, none of them runs or is called again. The port goes
    /// with its last binding. Never from one of this handle's listeners (it waits for their calls to end).
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        // A running loop sees the close and ends; wait for it before the rings are unbound under it.
        SyncLoop.WaitForExit(this);
        // Before the unbind: a pipe end outlives this handle while its peer is bound, and keeps notifying.
        Port.RemoveNotifyListeners(this);
        Port.Domain.Unbind(this);
    }

    internal Ring[] TxRingArray => _txRings;

    internal Ring[] RxRingArray => _rxRings;

    private void ThrowIfClosed()
    {
        if (IsClosed)
        {
            ThrowHelper.Netmap(NetmapError.ENXIO, Spec, "the handle is closed");
        }
    }
}
