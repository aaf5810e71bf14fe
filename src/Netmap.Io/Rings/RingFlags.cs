namespace Netmap.Io.Rings;

/// <summary>Flags the user sets on a ring (netmap's <c>netmap_ring.flags</c>).</summary>
[Flags]
public enum RingFlags
{
    /// <summary>None.</summary>
    None = 0,

    /// <summary>
    /// netmap's <c>NR_TIMESTAMP</c>: stamp <see cref="Ring.Timestamp"/> at every RX sync even when the domain's
    /// <see cref="NetmapDomain.NoTimestamp"/> is on.
    /// </summary>
    Timestamp = 2,

    /// <summary>
    /// netmap's <c>NR_FORWARD</c>, for the RX rings of a NIC port: the slots the user releases with
    /// <see cref="SlotFlags.Forward"/> set go to the other side: a NIC RX ring's to the host stack (copied), a host
    /// RX ring's to the wire (through the first NIC TX ring no other thread is syncing). <see cref="NetmapDomain.Forward"/> turns it on for every ring.
    /// </summary>
    Forward = 4,
}
