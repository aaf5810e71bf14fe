namespace Netmap.Io.Ports.Nic;

/// <summary>
/// A snapshot of a <see cref="NicPort"/>'s counters, summed over its rings: frames and bytes each way on the
/// NIC and host rings, frames dropped by reason, and received frames whose checksums were wrong.
/// </summary>
public sealed class NicPortCounters
{
    private readonly long[] _drops;

    internal NicPortCounters(long[] drops) => _drops = drops;

    /// <summary>Frames the NIC TX rings handed to the device.</summary>
    public long TxFrames { get; init; }

    /// <summary>Bytes of <see cref="TxFrames"/>.</summary>
    public long TxBytes { get; init; }

    /// <summary>Frames the NIC RX rings received from the device.</summary>
    public long RxFrames { get; init; }

    /// <summary>Bytes of <see cref="RxFrames"/>.</summary>
    public long RxBytes { get; init; }

    /// <summary>Frames the host TX rings handed to the host stack.</summary>
    public long HostTxFrames { get; init; }

    /// <summary>Bytes of <see cref="HostTxFrames"/>.</summary>
    public long HostTxBytes { get; init; }

    /// <summary>Frames the host RX rings received from the host stack.</summary>
    public long HostRxFrames { get; init; }

    /// <summary>Bytes of <see cref="HostRxFrames"/>.</summary>
    public long HostRxBytes { get; init; }

    /// <summary>Received frames (NIC RX) with a wrong IPv4, TCP or UDP checksum; counted only when RX verification is on. They are still delivered.</summary>
    public long RxBadChecksums { get; init; }

    /// <summary>Frames dropped for <paramref name="reason"/>, on every ring of the port.</summary>
    public long Dropped(NicDropReason reason) => (uint)reason < (uint)_drops.Length ? _drops[(int)reason] : 0;

    /// <summary>Frames dropped for any reason.</summary>
    public long DroppedTotal
    {
        get
        {
            long total = 0;
            foreach (var n in _drops)
            {
                total += n;
            }

            return total;
        }
    }
}
