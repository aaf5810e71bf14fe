namespace Pipeline.Config;

/// <summary>What runs a port's rings (the YAML key <c>thread</c>).</summary>
public enum PortThreading
{
    /// <summary>
    /// <c>thread: actor</c> (the default): the port's actor syncs and drains the rings on the actor
    /// dispatcher. A port that raises notifications (a pipe end, a NIC with notify) wakes its actor when packets
    /// or room appear; any other port is looked at again every poll interval (1 ms) while there is nothing to do.
    /// </summary>
    Actor,

    /// <summary>
    /// <c>thread: dedicated</c>: a thread of the port's own, named after it, runs the port's sync loop from
    /// the pipeline's start to its stop: it syncs the rings, drains RX into batches and sends them down the
    /// pipe itself, and places the batches it receives into the TX ring. Packets the port publishes are taken
    /// in the same pass that saw them; batches and credits reach the thread without going through an actor.
    /// </summary>
    Dedicated,
}

/// <summary>How a <see cref="PortThreading.Dedicated"/> port thread waits between two passes over its rings (the YAML key <c>sync</c>).</summary>
public enum PortSyncMode
{
    /// <summary>
    /// <c>sync: sleep</c> (the default): after a pass with nothing to do the thread waits up to the poll
    /// interval (1 ms), woken at once by a batch to transmit or by credit returned downstream (netmap's kloop
    /// with <c>sleep_us</c>).
    /// </summary>
    Sleep,

    /// <summary>
    /// <c>sync: busy-poll</c>: the thread never waits: pass after pass, one core spinning, so packets are
    /// taken as soon as the port has them (netmap's kloop with <c>sleep_us</c> 0).
    /// </summary>
    BusyPoll,

    /// <summary>
    /// <c>sync: notify</c>: after a pass with nothing to do the thread sleeps until the port notifies (a pipe's
    /// peer sent or released slots, a NIC signalled), a batch or credit arrives, or, as a safety net, the poll
    /// interval passes (100 ms at least). No core spins and no packet waits for a timer (netmap's kloop woken by
    /// the port's interrupts). Only for ports that raise notifications: the pipeline fails to start otherwise.
    /// </summary>
    Notify,
}
