using Netmap.Io.Rings;

namespace Netmap.Io.Ports.Vale;

/// <summary>
/// A persistent port attached to a second switch (netmap's bwrap, notes §7.2; <c>vale-ctl -a vale0B:v0</c>
/// while v0 is on vale0A): the port becomes a link between its first switch and the second one, in which a
/// wrapper port (<c>vale0B:v0</c>) stands for it.
/// </summary>
/// <remarks>
/// Data path (netmap's: the bwrap's RX rings are the wrapped port's TX rings and the other way round):
/// <list type="bullet">
/// <item>Second → first: the second switch delivers what it forwards to the wrapper into the wrapped port's
/// TX rings, as that port's user would fill them (at Head, up to Tail; the wrapped port cannot be opened by a
/// handle meanwhile). The pump then runs the port's TxSync, which forwards them into the first switch.</item>
/// <item>First → second: the first switch delivers into the wrapped port's RX rings as to any port; the pump
/// syncs them, forwards [Head, Tail) into the second switch with the wrapper as the source port, and releases them.</item>
/// </list>
/// One copy per switch crossed, as in netmap (each switch copies into the ring it delivers to).
/// The pump runs on the thread of the sender whose delivery marked the link pending, after its switch lock is
/// released (so no thread ever holds two switch locks). One pump runs at a time; a delivery made while it runs
/// makes it go round again. A delivery that reaches the link again from inside its own pump, on the same
/// thread, means the switches form a loop through links: that frame waits in the ring for the next pump
/// instead of circling forever (netmap has the same storm; here it cannot spin or overflow the stack).
/// Ownership: the link holds one binding of the wrapped port (all its rings), so the port stays in netmap
/// mode; its buffers never leave its rings. Thread: <see cref="Pump"/> from any sender's thread; the rest
/// with the domain lock held.
/// </remarks>
internal sealed class ValeLink
{
    private int _pending;
    private int _pumping;
    private int _pumpThread;
    private bool _dead;

    public ValeLink(ValePort port, ValePort wrapper, ValeSwitch first, ValeSwitch second)
    {
        Port = port;
        Wrapper = wrapper;
        First = first;
        Second = second;
    }

    /// <summary>The wrapped persistent port, attached to <see cref="First"/>.</summary>
    public ValePort Port { get; }

    /// <summary>The port of <see cref="Second"/> that stands for <see cref="Port"/>.</summary>
    public ValePort Wrapper { get; }

    /// <summary>The switch the port was attached to first.</summary>
    public ValeSwitch First { get; }

    /// <summary>The switch it was wrapped onto.</summary>
    public ValeSwitch Second { get; }

    /// <summary>
    /// Takes one binding of every ring of the wrapped port (netmap puts the wrapped adapter in netmap mode for
    /// the kernel). A ring nobody bound gets no offsets, as a plain bind would give it.
    /// </summary>
    public void BindPort()
    {
        foreach (var ring in Port.TxRingArray)
        {
            Take(ring);
        }

        foreach (var ring in Port.RxRingArray)
        {
            Take(ring);
        }

        Port.AddBinding();

        static void Take(Ring ring)
        {
            if (ring.Users == 0)
            {
                ring.OffsetMask = 0;
                ring.MaxOffset = 0;
                ring.TxAlign = 0;
                ring.MinGap = 0;
                ring.HwBufLen = ring.BufferSize;
            }

            Interlocked.Increment(ref ring.Users);
        }
    }

    /// <summary>Lets go of the binding taken by <see cref="BindPort"/>; the port's monitors fail EIO when it was the last.</summary>
    public void UnbindPort()
    {
        foreach (var ring in Port.TxRingArray)
        {
            Interlocked.Decrement(ref ring.Users);
        }

        foreach (var ring in Port.RxRingArray)
        {
            Interlocked.Decrement(ref ring.Users);
        }

        if (Port.RemoveBinding())
        {
            Port.OrphanMonitors();
        }
    }

    /// <summary>A switch delivered packets for the link (into the port's RX rings or, for the wrapper, its TX rings). Switch lock held.</summary>
    public void MarkPending()
    {
        if (Volatile.Read(ref _pumpThread) == Environment.CurrentManagedThreadId)
        {
            return; // our own pump led back here: a loop of links; the frame waits for the next pump
        }

        Volatile.Write(ref _pending, 1);
    }

    /// <summary>Moves what is pending across the link. Called by a switch after a forward, with no switch lock held.</summary>
    public void Pump()
    {
        while (Volatile.Read(ref _pending) != 0)
        {
            if (Interlocked.CompareExchange(ref _pumping, 1, 0) != 0)
            {
                return; // the pumping thread looks at _pending again after it lets go
            }

            try
            {
                Interlocked.Exchange(ref _pending, 0);
                if (_dead)
                {
                    return;
                }

                Volatile.Write(ref _pumpThread, Environment.CurrentManagedThreadId);
                if (!PumpOnce(secondToFirst: true, firstToSecond: true))
                {
                    Volatile.Write(ref _pending, 1); // a ring was busy (a monitor's look): go round again
                }
            }
            finally
            {
                Volatile.Write(ref _pumpThread, 0);
                // Full fence: the _pending read above sees a mark made before another thread's failed CAS.
                Interlocked.Exchange(ref _pumping, 0);
            }
        }
    }

    /// <summary>
    /// First half of stopping the link: waits for a running pump and keeps any other from starting, so the
    /// caller can detach the wrapper from the second switch while no pump forwards from it. Domain lock held.
    /// </summary>
    public void BeginStop()
    {
        var spin = default(SpinWait);
        while (Interlocked.CompareExchange(ref _pumping, 1, 0) != 0)
        {
            spin.SpinOnce(); // a pump holds no lock we hold: it finishes
        }
    }

    /// <summary>
    /// Second half: sends on what the second switch already delivered into the port's TX rings (its first
    /// switch gets it) and marks the link dead. Frames in the port's RX rings stay there for its next user.
    /// </summary>
    public void EndStop()
    {
        try
        {
            _dead = true;
            PumpOnce(secondToFirst: true, firstToSecond: false);
        }
        finally
        {
            Interlocked.Exchange(ref _pumping, 0);
        }
    }

    /// <summary>One pass over the port's rings; false when a ring was busy and the pass must be repeated.</summary>
    private bool PumpOnce(bool secondToFirst, bool firstToSecond)
    {
        var done = true;
        if (secondToFirst)
        {
            // What the second switch wrote into the TX rings (Head moved past it) goes out into the first switch.
            foreach (var ring in Port.TxRingArray)
            {
                if (ring.Head != ring.RHead && (ring.TxSync() & SyncStatus.Busy) != 0)
                {
                    done = false;
                }
            }
        }

        if (firstToSecond)
        {
            foreach (var ring in Port.RxRingArray)
            {
                if ((ring.RxSync() & SyncStatus.Busy) != 0)
                {
                    done = false;
                }

                if (ring.IsEmpty)
                {
                    continue;
                }

                var tail = ring.Tail;
                Second.Forward(Wrapper, ring, ring.Head, tail);
                ring.Head = ring.Cur = tail;
                if ((ring.RxSync() & SyncStatus.Busy) != 0)
                {
                    done = false; // released at the next pass
                }
            }
        }

        return done;
    }
}
