namespace Netmap.Io.Linux;

/// <summary>How an <see cref="AfPacketBackend"/> sets its packet sockets up.</summary>
public sealed record AfPacketOptions
{
    /// <summary>Queues (one socket with an RX and a TX ring each; more than one joins a PACKET_FANOUT hash group). <b>Default:</b> 1.</summary>
    public int Queues { get; init; } = 1;

    /// <summary>Bytes per RX block (rounded up to a power of two, at least one jumbo frame). <b>Default:</b> 128 KiB.</summary>
    public int RxBlockSize { get; init; } = 128 * 1024;

    /// <summary>RX blocks per queue. <b>Default:</b> 32 (4 MiB per queue).</summary>
    public int RxBlockCount { get; init; } = 32;

    /// <summary>
    /// Milliseconds after which the kernel hands over a block that is not full (TPACKET_V3's tp_retire_blk_tov):
    /// the RX latency when traffic is light. <b>Default:</b> 1.
    /// </summary>
    public int RxBlockTimeoutMs { get; init; } = 1;

    /// <summary>TX frames per queue (rounded up to whole blocks). <b>Default:</b> 512.</summary>
    public int TxFrames { get; init; } = 512;

    /// <summary>
    /// Puts the interface in promiscuous mode while the backend is open (PACKET_MR_PROMISC: tied to the sockets,
    /// undone by the kernel when they close), so frames for other MAC addresses arrive too. <b>Default:</b> true.
    /// </summary>
    public bool Promiscuous { get; init; } = true;

    /// <summary>
    /// Netmap mode takes the interface from the host stack and the port gets real host rings (netmap's semantics;
    /// a TAP named <c>nmhN</c> and tcx eBPF programs, which need CAP_NET_ADMIN and CAP_BPF and Linux 6.6+). False: the
    /// host stack keeps sharing the wire with the port (it still sees the wire's frames and its own still leave) and
    /// the host rings are fake, so <c>IF^</c> and <c>IF*</c> fail EINVAL. <b>Default:</b> true.
    /// </summary>
    public bool HostRings { get; init; } = true;

    internal void Validate(string subject)
    {
        if (Queues is < 1 or > 64)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, subject, $"queues must be 1 to 64, not {Queues}");
        }

        if (RxBlockCount < 2 || RxBlockSize < 4096 || TxFrames < 1 || RxBlockTimeoutMs < 0)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, subject, "AF_PACKET ring sizes must be positive (at least 2 RX blocks of 4 KiB)");
        }
    }
}
