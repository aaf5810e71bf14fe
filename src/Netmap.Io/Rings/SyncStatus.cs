namespace Netmap.Io.Rings;

/// <summary>What a TxSync or RxSync found besides moving slots.</summary>
[Flags]
public enum SyncStatus
{
    /// <summary>The sync ran normally.</summary>
    Ok = 0,
    /// <summary>
    /// Head, Cur or Tail was outside the user's range: the ring was reset to the port's view and its slots
    /// sanitised (netmap's <c>netmap_ring_reinit</c>); on TX nothing was transmitted.
    /// </summary>
    RingReinitialized = 1,
    /// <summary>The other end of a pipe is closed (what it sent before closing is still delivered).</summary>
    PeerClosed = 2,
    /// <summary>Another sync was running on this ring, so this one was skipped, as netmap does.</summary>
    Busy = 4,
}
