namespace Netmap.Io.Linux;

/// <summary>
/// What a Linux backend moved and dropped, summed over its queues. Read while the queues run, each counter is
/// a recent value (they are written by the syncing threads without synchronisation).
/// </summary>
public readonly record struct NicStatistics
{
    /// <summary>Frames handed to the port from the wire.</summary>
    public long ReceivedFrames { get; init; }

    /// <summary>Bytes of those frames.</summary>
    public long ReceivedBytes { get; init; }

    /// <summary>Frames queued for the wire.</summary>
    public long SentFrames { get; init; }

    /// <summary>Bytes of those frames.</summary>
    public long SentBytes { get; init; }

    /// <summary>Frames the kernel dropped before we saw them (AF_PACKET: the RX ring was full).</summary>
    public long KernelRxDrops { get; init; }

    /// <summary>Frames the interface sent that the AF_PACKET ring also held; skipped, they are not wire RX.</summary>
    public long SkippedOutgoing { get; init; }

    /// <summary>
    /// Received frames whose TCP/UDP checksum the sending stack on this machine had left to an offload (AF_PACKET's
    /// TP_STATUS_CSUMNOTREADY, e.g. over a veth): completed in software before the port saw them.
    /// </summary>
    public long RxChecksumsCompleted { get; init; }

    /// <summary>Received frames cut short by the kernel; dropped.</summary>
    public long Truncated { get; init; }

    /// <summary>Frames to send shorter than an Ethernet header or longer than the MTU allows; dropped.</summary>
    public long TxBadLength { get; init; }

    /// <summary>Send errors other than "no room now" (interface down, device gone); TAP: the frame is dropped.</summary>
    public long TxErrors { get; init; }

    /// <summary>Read errors other than "nothing now" (TAP queue detached).</summary>
    public long RxErrors { get; init; }
}
