namespace Netmap.Io.Ports.Nic;

/// <summary>
/// The device behind a NIC port (netmap's emulated, "generic" adapter): the wire a NIC port's rings send
/// to and receive from, and the host network stack its host rings talk to. A <c>NicPort</c> copies
/// frames between its ring buffers and the backend, as netmap's emulated mode does; the backend only moves
/// whole frames.
/// </summary>
/// <remarks>
/// Implementations: <c>SoftNic</c> (an in-process interface for tests and samples: the test code
/// plays the wire and the host stack) and the Linux backends (AF_PACKET mmap rings, TAP devices).
/// Thread: one queue is used by one thread at a time (the thread syncing that ring); different queues may
/// be used on different threads at once. Frames are Ethernet frames without FCS.
/// Hot path: <see cref="TryReceive"/>, <see cref="TrySend"/> and the host pair allocate nothing.
/// </remarks>
public interface INicBackend : IDisposable
{
    /// <summary>The interface's name (the <c>IF</c> of <c>netmap:IF</c>).</summary>
    string InterfaceName { get; }

    /// <summary>Wire TX queues: the port's NIC TX rings.</summary>
    int TxQueues { get; }

    /// <summary>Wire RX queues: the port's NIC RX rings.</summary>
    int RxQueues { get; }

    /// <summary>The largest frame the wire carries (MTU + Ethernet header, and a VLAN tag if the device allows it).</summary>
    int MaxFrameSize { get; }

    /// <summary>True when the backend can reach the host stack (so the port has real host rings).</summary>
    bool SupportsHostRings { get; }

    /// <summary>
    /// The interface enters (<paramref name="enabled"/> true, first binding) or leaves netmap mode (last binding
    /// gone): while on, wire traffic goes to the NIC RX rings instead of the host stack, and what the host
    /// stack transmits goes to the host RX rings instead of the wire (netmap-notes §8).
    /// </summary>
    void SetNetmapMode(bool enabled);

    /// <summary>
    /// The next frame received from the wire on <paramref name="queue"/>, or false when there is none now.
    /// The span stays valid until <see cref="ReleaseReceived"/> for that queue; the caller copies it out.
    /// </summary>
    bool TryReceive(int queue, out ReadOnlySpan<byte> frame);

    /// <summary>Gives back the frame <see cref="TryReceive"/> returned last on <paramref name="queue"/>.</summary>
    void ReleaseReceived(int queue);

    /// <summary>
    /// Queues one frame for the wire on <paramref name="queue"/>; false when the device has no room now (the
    /// caller keeps the slot and tries again at its next sync). The frame is copied before this returns.
    /// </summary>
    bool TrySend(int queue, ReadOnlySpan<byte> frame);

    /// <summary>Pushes the frames queued by <see cref="TrySend"/> on <paramref name="queue"/> to the device (one kick per batch).</summary>
    void FlushSend(int queue);

    /// <summary>
    /// The next frame the host stack transmitted while the interface is in netmap mode, or false when there
    /// is none (always false without host rings). Valid until <see cref="ReleaseFromHost"/>.
    /// </summary>
    bool TryReceiveFromHost(int queue, out ReadOnlySpan<byte> frame);

    /// <summary>Gives back the frame <see cref="TryReceiveFromHost"/> returned last.</summary>
    void ReleaseFromHost(int queue);

    /// <summary>Hands one frame to the host stack as if the interface had received it; false when it has no room.</summary>
    bool TrySendToHost(int queue, ReadOnlySpan<byte> frame);

    /// <summary>
    /// Called by the backend (on any thread) when frames arrived or TX room appeared, so the port can wake a
    /// Notification-mode sync loop. Null until the port sets it; a backend that cannot tell leaves it unused
    /// and the port falls back to polling.
    /// </summary>
    Action? Notify { get; set; }

    // Added after the first version, each with a default, so existing backends need no change.

    /// <summary>
    /// True when the backend raises <see cref="Notify"/> on every arrival (wire or host stack) and on new TX
    /// room, so the port can serve a Notification-mode sync loop. Default false: the port then refuses that
    /// mode (EINVAL) instead of letting a loop wait out its timeout.
    /// </summary>
    bool SupportsNotify => false;

    /// <summary>
    /// The host rings of the port for the netmap-mode session that starts: called before
    /// <see cref="SetNetmapMode"/>(true). Host-stack frames for queue q go to host RX ring q mod
    /// <paramref name="hostRxRings"/> (<see cref="TryReceiveFromHost"/>'s queue); <see cref="TrySendToHost"/>'s
    /// queue is a host TX ring below <paramref name="hostTxRings"/>. Default: ignored.
    /// </summary>
    void SetHostRingCounts(int hostTxRings, int hostRxRings)
    {
    }

    /// <summary>
    /// netmap's per-ring netmap mode: NIC ring <paramref name="queue"/> of direction <paramref name="kind"/> got
    /// its first binding (<paramref name="enabled"/> true) or lost its last one. While the interface is in
    /// netmap mode, wire frames for an RX queue whose ring is off still go to the host stack, and host-stack
    /// frames for a TX queue whose ring is off still go to the wire (netmap-notes §8). Called between
    /// <see cref="SetNetmapMode"/>(true) and <see cref="SetNetmapMode"/>(false). Default: ignored (the whole
    /// interface follows <see cref="SetNetmapMode"/>).
    /// </summary>
    void SetQueueNetmapMode(Rings.RingKind kind, int queue, bool enabled)
    {
    }

    /// <summary>
    /// A Notification-mode sync loop started on the port (<paramref name="enabled"/> true) or the last one ended
    /// (false). A backend that has to watch its device to raise <see cref="Notify"/> (a poll thread over its
    /// descriptors) does so only in between, so a busy-polling port pays nothing for it. Called on the loop's
    /// thread. Default: nothing (a backend that raises <see cref="Notify"/> anyway).
    /// </summary>
    void EnableNotify(bool enabled)
    {
    }

    /// <summary>
    /// Frames device RX queue <paramref name="queue"/> dropped before the port could take them, since the backend
    /// opened: its ring was full (DPDK's <c>imissed</c>, AF_PACKET's PACKET_STATISTICS drops). Any thread may ask,
    /// also after <see cref="IDisposable.Dispose"/> (the count is kept). Default: 0, the device cannot tell.
    /// </summary>
    long RxMissed(int queue) => 0;

    /// <summary>
    /// Frames device TX queue <paramref name="queue"/> refused since the backend opened: longer than the device takes
    /// (its MTU) or shorter than an Ethernet header. <c>TrySend</c> reports them as taken (refusing them would block
    /// the ring for good); this is where they are counted. Any thread may ask, also after
    /// <see cref="IDisposable.Dispose"/>. Default: 0.
    /// </summary>
    long TxRefused(int queue) => 0;

    /// <summary>
    /// True when frames queued on <paramref name="queue"/> still wait for the device (a kick found no room): the port
    /// calls <see cref="FlushSend"/> at its next TX sync even with nothing new to send. Default: false.
    /// </summary>
    bool SendPending(int queue) => false;

    /// <summary>
    /// True once the device no longer exists (an interface deleted, or moved out of the namespace): the port's syncs
    /// then fail with ENXIO instead of waiting for frames that cannot come. Asked by the port at most every
    /// <see cref="NicPort.PresenceCheckInterval"/> while it has nothing to do. Default: false.
    /// </summary>
    bool DeviceGone() => false;

    /// <summary>
    /// Frames device RX queue <paramref name="queue"/> received but could not hand over whole (longer than its receive
    /// buffers: an AF_PACKET block, a GRO/GSO super-frame), skipped since the backend opened. Default: 0.
    /// </summary>
    long RxSkipped(int queue) => 0;
}
