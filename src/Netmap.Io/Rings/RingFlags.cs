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
}
