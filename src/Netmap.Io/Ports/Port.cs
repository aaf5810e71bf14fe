using Netmap.Io.Memory;
using Netmap.Io.Ports.Monitors;
using Netmap.Io.Rings;
using Netmap.Io.Sync;

namespace Netmap.Io.Ports;

/// <summary>
/// A port (netmap's <c>netmap_adapter</c>): its rings over one arena, and the adapter operations every
/// kind fills in: TxSync, RxSync, what a bind and an unbind do, and how it is torn down. Users reach a port
/// through a <see cref="PortHandle"/> from <see cref="NetmapDomain.Open(string, RegisterOptions?)"/>.
/// </summary>
/// <remarks>
/// Ownership: the buffers in the port's rings are held by <see cref="Owner"/> in the arena; the port frees
/// them when it is destroyed (last binding gone, for ports that do not persist).
/// Thread: TxSync/RxSync are called by <see cref="Ring"/> with that ring's busy flag held, so one ring never
/// runs two syncs at once; rings of one port may sync on different threads.
/// </remarks>
public abstract class Port
{
    private Ring[] _txRings = [];
    private Ring[] _rxRings = [];
    private MonitorPort[] _monitors = [];
    private int _bindings;
    private NotifySubscription[] _notifyListeners = [];

    private protected Port(NetmapDomain domain, string name, BufferArena arena, ushort memId)
    {
        Domain = domain;
        Name = name;
        Arena = arena;
        MemId = memId;
        Owner = arena.RegisterOwner(name);
    }

    /// <summary>The domain the port lives in.</summary>
    public NetmapDomain Domain { get; }

    /// <summary>The port's registered name (netmap's <c>nr_name</c>).</summary>
    public string Name { get; }

    /// <summary>The memory region of the port's buffers.</summary>
    public BufferArena Arena { get; }

    /// <summary>The id of <see cref="Arena"/> in the domain.</summary>
    public ushort MemId { get; }

    /// <summary>NIC TX rings.</summary>
    public int TxRingCount { get; private set; }

    /// <summary>NIC RX rings.</summary>
    public int RxRingCount { get; private set; }

    /// <summary>Host TX rings (0 for ports without host rings).</summary>
    public int HostTxRingCount { get; private set; }

    /// <summary>Host RX rings (0 for ports without host rings).</summary>
    public int HostRxRingCount { get; private set; }

    /// <summary>Every TX ring: the NIC rings, then the host rings.</summary>
    public IReadOnlyList<Ring> TxRings => _txRings;

    /// <summary>Every RX ring: the NIC rings, then the host rings.</summary>
    public IReadOnlyList<Ring> RxRings => _rxRings;

    /// <summary>The arena owner that holds the buffers of this port's rings.</summary>
    public ArenaOwner Owner { get; private protected set; }

    /// <summary>True when the port can carry per-slot offsets.</summary>
    public virtual bool SupportsOffsets => true;

    /// <summary>True when the port has real host rings (SW modes need them).</summary>
    public virtual bool HasHostRings => HostTxRingCount + HostRxRingCount > 0;

    /// <summary>
    /// True once a finite source (a file) has published its last packet into the RX rings: what is in the
    /// rings is all there will ever be. Always false for ports with no end (NICs, pipes, null ports).
    /// </summary>
    public virtual bool EndOfInput => false;

    /// <summary>Why the input ended early (a truncated or corrupt file), or null.</summary>
    public virtual NetmapException? InputError => null;

    /// <summary>Handles bound to this port now.</summary>
    public int Bindings => Volatile.Read(ref _bindings);

    /// <summary>True while the port is destroyed and must not be bound again.</summary>
    public bool IsDestroyed { get; private set; }

    internal Ring[] TxRingArray => _txRings;

    internal Ring[] RxRingArray => _rxRings;

    /// <summary>
    /// The monitors attached to this port, read by every sync. The array is replaced (never changed in
    /// place) on attach and detach, so a sync allocates nothing and sees a consistent list.
    /// </summary>
    internal MonitorPort[] Monitors => Volatile.Read(ref _monitors); // acquire: a new monitor is seen fully built

    /// <summary>Adds a monitor. Called with the domain lock held.</summary>
    internal void AttachMonitor(MonitorPort monitor)
    {
        var old = _monitors;
        var next = new MonitorPort[old.Length + 1];
        old.CopyTo(next, 0);
        next[^1] = monitor;
        Volatile.Write(ref _monitors, next);
    }

    /// <summary>Removes a monitor. Called with the domain lock held.</summary>
    internal void DetachMonitor(MonitorPort monitor)
    {
        var old = _monitors;
        var at = Array.IndexOf(old, monitor);
        if (at < 0)
        {
            return;
        }

        var next = new MonitorPort[old.Length - 1];
        Array.Copy(old, 0, next, 0, at);
        Array.Copy(old, at + 1, next, at, old.Length - at - 1);
        Volatile.Write(ref _monitors, next);
    }

    /// <summary>The port left netmap mode (its last binding went): every monitor fails EIO from now on. Domain lock held.</summary>
    /// <remarks>A monitor overrides it: the zero-copy monitors chained after it move up instead (MonitorPort).</remarks>
    internal virtual void OrphanMonitors()
    {
        var old = _monitors;
        Volatile.Write(ref _monitors, []);
        foreach (var monitor in old)
        {
            monitor.Orphan();
        }
    }

    /// <summary>
    /// True when the port raises <see cref="Notify"/> on new RX packets and new TX room, so a
    /// <see cref="SyncLoopMode.Notification"/> sync loop or an <see cref="IPortNotifyListener"/> can wait for it.
    /// False by default (a null port, a file, a VALE port: look at their rings again on a timer).
    /// </summary>
    internal virtual bool CanNotify => false;

    /// <summary>
    /// New RX packets or new TX room appeared in this port's rings (netmap's port notification): tells every
    /// listener (Notification-mode sync loops, <see cref="IPortNotifyListener"/>s) whose handle is still open.
    /// Allocation-free; cheap when none listens.
    /// </summary>
    protected internal void Notify()
    {
        // Acquire: a listener added by a starting loop is seen fully built.
        var listeners = Volatile.Read(ref _notifyListeners);
        for (var i = 0; i < listeners.Length; i++)
        {
            // Skips a listener removed since the read above (its handle may be closing on another thread).
            listeners[i].Call(this);
        }
    }

    /// <summary>
    /// Subscribes a listener of <paramref name="owner"/> to <see cref="Notify"/> (copy on write: Notify never
    /// locks) until it is removed or the owner closes. Thread: any.
    /// </summary>
    internal NotifySubscription AddNotifyListener(PortHandle owner, IPortNotifyListener listener)
    {
        var subscription = new NotifySubscription(owner, listener);
        while (true)
        {
            var old = Volatile.Read(ref _notifyListeners);
            var next = new NotifySubscription[old.Length + 1];
            old.CopyTo(next, 0);
            next[^1] = subscription;
            if (Interlocked.CompareExchange(ref _notifyListeners, next, old) == old)
            {
                OnNotifyListenersChanged();
                return subscription;
            }
        }
    }

    /// <summary>
    /// Unsubscribes one subscription of <paramref name="listener"/> by <paramref name="owner"/> (no-op when
    /// there is none). Thread: any, the listener's own call included.
    /// </summary>
    /// <remarks>No call starts after it returns; one already under way on another thread may still be finishing.</remarks>
    internal void RemoveNotifyListener(PortHandle owner, IPortNotifyListener listener)
    {
        while (FindNotifyListener(owner, listener) is { } subscription)
        {
            if (RemoveNotifyListener(subscription))
            {
                return;
            }
        }
    }

    /// <summary>
    /// Unsubscribes <paramref name="subscription"/> and closes it; false when it was not subscribed (any more).
    /// Thread: any. No call starts after it returns; see <see cref="NotifySubscription.WaitForCalls"/> for those under way.
    /// </summary>
    internal bool RemoveNotifyListener(NotifySubscription subscription)
    {
        while (true)
        {
            var old = Volatile.Read(ref _notifyListeners);
            var at = Array.IndexOf(old, subscription);
            if (at < 0)
            {
                return false;
            }

            var next = new NotifySubscription[old.Length - 1];
            Array.Copy(old, 0, next, 0, at);
            Array.Copy(old, at + 1, next, at, old.Length - at - 1);
            if (Interlocked.CompareExchange(ref _notifyListeners, next, old) == old)
            {
                // After the swap: a Notify still walking the old list skips it from here on.
                subscription.Close();
                OnNotifyListenersChanged();
                return true;
            }
        }
    }

    /// <summary>
    /// Unsubscribes every listener <paramref name="owner"/> subscribed and waits until none of their calls is
    /// under way: after it returns they are never called again, and the port keeps no reference to them.
    /// Called when the owner closes; never from a listener's call (it would wait for itself).
    /// </summary>
    internal void RemoveNotifyListeners(PortHandle owner)
    {
        NotifySubscription[] old;
        NotifySubscription[] next;
        while (true)
        {
            old = Volatile.Read(ref _notifyListeners);
            var kept = 0;
            foreach (var subscription in old)
            {
                if (subscription.Owner != owner)
                {
                    kept++;
                }
            }

            if (kept == old.Length)
            {
                return; // none of its own: the common close
            }

            next = kept == 0 ? [] : new NotifySubscription[kept];
            var k = 0;
            foreach (var subscription in old)
            {
                if (subscription.Owner != owner)
                {
                    next[k++] = subscription;
                }
            }

            if (Interlocked.CompareExchange(ref _notifyListeners, next, old) == old)
            {
                break;
            }
        }

        foreach (var subscription in old)
        {
            if (subscription.Owner == owner)
            {
                subscription.Close();
            }
        }

        OnNotifyListenersChanged();
        foreach (var subscription in old)
        {
            if (subscription.Owner == owner)
            {
                subscription.WaitForCalls();
            }
        }
    }

    private NotifySubscription? FindNotifyListener(PortHandle owner, IPortNotifyListener listener)
    {
        foreach (var subscription in Volatile.Read(ref _notifyListeners))
        {
            if (subscription.Owner == owner && ReferenceEquals(subscription.Listener, listener))
            {
                return subscription;
            }
        }

        return null;
    }

    /// <summary>The listeners subscribed now (tests: none may be left once their handles closed).</summary>
    internal int NotifyListenerCount => Volatile.Read(ref _notifyListeners).Length;

    /// <summary>True while a listener (a Notification-mode sync loop, an <see cref="IPortNotifyListener"/>) listens to <see cref="Notify"/>.</summary>
    private protected bool HasNotifyListeners => Volatile.Read(ref _notifyListeners).Length != 0;

    /// <summary>
    /// A listener subscribed or unsubscribed (on the subscriber's thread); read <see cref="HasNotifyListeners"/>
    /// for the state now (calls from two subscribers may arrive in either order). A NIC port starts or stops its
    /// device's notifications here.
    /// </summary>
    private protected virtual void OnNotifyListenersChanged()
    {
    }

    /// <summary>Moves the slots [HwCur, RHead) of a TX ring to the port; updates HwCur and may update HwTail.</summary>
    protected internal abstract void TxSync(Ring ring);

    /// <summary>Takes back the released slots [HwCur, RHead) of an RX ring and publishes new ones by moving HwTail.</summary>
    protected internal abstract void RxSync(Ring ring);

    /// <summary>Status bits a sync of <paramref name="ring"/> reports besides its work (a pipe's closed peer).</summary>
    protected internal virtual SyncStatus SyncStatusFor(Ring ring) => SyncStatus.Ok;

    /// <summary>Rejects a ring-selection mode this kind of port cannot serve.</summary>
    internal virtual void ValidateMode(RegisterMode mode, string spec)
    {
    }

    internal void AddBinding() => Interlocked.Increment(ref _bindings);

    /// <summary>Drops one binding; true when it was the last.</summary>
    internal bool RemoveBinding() => Interlocked.Decrement(ref _bindings) == 0;

    /// <summary>Called after a handle bound rings of this port.</summary>
    internal virtual void OnBind(PortHandle handle)
    {
    }

    /// <summary>Called after a handle let go of this port; <paramref name="last"/> when no binding is left.</summary>
    internal virtual void OnUnbind(PortHandle handle, bool last)
    {
        if (last)
        {
            Destroy();
        }
    }

    /// <summary>
    /// Frees the buffers of the port's rings; the port cannot be bound afterwards. A buffer the arena refuses
    /// (a double free: the user put one buffer in two places) does not stop the others from being freed;
    /// the first such error is thrown at the end.
    /// </summary>
    internal virtual void Destroy()
    {
        if (IsDestroyed)
        {
            return;
        }

        MarkDestroyed();
        ArenaException? error = null;
        foreach (var ring in _txRings)
        {
            FreeRingBuffers(ring, ref error);
        }

        foreach (var ring in _rxRings)
        {
            FreeRingBuffers(ring, ref error);
        }

        if (error is not null)
        {
            throw error;
        }
    }

    private protected void MarkDestroyed() => IsDestroyed = true;

    /// <summary>Creates the port's rings (NIC then host per direction), without buffers.</summary>
    private protected void CreateRings(int txRings, int rxRings, int hostTxRings, int hostRxRings, uint txSlots, uint rxSlots)
    {
        TxRingCount = txRings;
        RxRingCount = rxRings;
        HostTxRingCount = hostTxRings;
        HostRxRingCount = hostRxRings;
        _txRings = new Ring[txRings + hostTxRings];
        for (var i = 0; i < _txRings.Length; i++)
        {
            _txRings[i] = new Ring(this, RingKind.Tx, i, i >= txRings, txSlots);
        }

        _rxRings = new Ring[rxRings + hostRxRings];
        for (var i = 0; i < _rxRings.Length; i++)
        {
            _rxRings[i] = new Ring(this, RingKind.Rx, i, i >= rxRings, rxSlots);
        }
    }

    /// <summary>Gives every slot of <paramref name="ring"/> a buffer of its own; ENOMEM (and nothing kept) when the arena runs out.</summary>
    private protected void AllocRingBuffers(Ring ring)
    {
        var slots = ring.Slots;
        for (var i = 0; i < slots.Length; i++)
        {
            if (!Arena.TryAlloc(Owner, out var index))
            {
                for (var j = 0; j < i; j++)
                {
                    Arena.Free(slots[j].BufIdx, Owner);
                    slots[j].BufIdx = 0;
                }

                ThrowHelper.Netmap(NetmapError.ENOMEM, Name,
                    $"the arena has no buffers left for {ring.Kind} ring {ring.RingId} ({ring.NumSlots} slots; {Arena.InUse} of {Arena.BufferCount - BufferArena.FirstValidIndex} in use)");
            }

            slots[i] = new Slot { BufIdx = index };
        }
    }

    /// <summary>Returns the valid buffers in a ring's slots to the arena, and clears the slots.</summary>
    private protected void FreeRingBuffers(Ring ring, ref ArenaException? error)
    {
        var slots = ring.Slots;
        for (var i = 0; i < slots.Length; i++)
        {
            FreeBuffer(slots[i].BufIdx, ref error);
            slots[i] = default;
        }
    }

    /// <summary>Frees one buffer if its index is valid; an arena complaint is kept (the first one) instead of thrown.</summary>
    private protected void FreeBuffer(uint index, ref ArenaException? error)
    {
        if (!Arena.IsValidIndex(index))
        {
            return;
        }

        try
        {
            Arena.Free(index, Owner);
        }
        catch (ArenaException ex)
        {
            error ??= ex;
        }
    }
}
