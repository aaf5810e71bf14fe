using Netmap.Io.Files;
using Netmap.Io.Rings;

namespace Netmap.Io.Ports;

/// <summary>
/// What a registration asks for beyond the port spec (netmap's <c>nmreq_register</c> body and options).
/// Counts are hints used only by the open that creates the port; 0 means "the port's default".
/// </summary>
public sealed record RegisterOptions
{
    /// <summary>Overrides the spec's ring selection mode when set.</summary>
    public RegisterMode? Mode { get; init; }

    /// <summary>Overrides the spec's ring id when set.</summary>
    public uint? RingId { get; init; }

    /// <summary>Flags added to the spec's.</summary>
    public RegisterFlags Flags { get; init; }

    /// <summary>Memory region id (0 = the spec's, else the port's default).</summary>
    public ushort MemId { get; init; }

    /// <summary>TX rings wanted.</summary>
    public int TxRings { get; init; }

    /// <summary>RX rings wanted.</summary>
    public int RxRings { get; init; }

    /// <summary>Slots per TX ring wanted.</summary>
    public int TxSlots { get; init; }

    /// <summary>Slots per RX ring wanted.</summary>
    public int RxSlots { get; init; }

    /// <summary>Host TX rings wanted (ports with host rings).</summary>
    public int HostTxRings { get; init; }

    /// <summary>Host RX rings wanted (ports with host rings).</summary>
    public int HostRxRings { get; init; }

    /// <summary>Extra buffers wanted (netmap's <c>nr_extra_bufs</c>); the handle says how many were granted.</summary>
    public int ExtraBuffers { get; init; }

    /// <summary>The offsets option; null binds without offsets.</summary>
    public OffsetOptions? Offsets { get; init; }

    /// <summary>Accept the <c>@offset:</c> option in the spec (disabled by default, as in libnetmap).</summary>
    public bool EnableOffsetOption { get; init; }

    /// <summary>
    /// NIC ports: checksum offload off (netmap-notes §9): the port fills in the IPv4 header and TCP/UDP checksums
    /// of every frame it transmits in software. Same as <c>@csum=sw</c> in the spec; other ports: EOPNOTSUPP.
    /// </summary>
    public bool SoftwareTxChecksums { get; init; }

    /// <summary>NIC ports: check the IPv4, TCP and UDP checksums of received frames and count the bad ones (<c>@csum:rx=verify</c>).</summary>
    public bool VerifyRxChecksums { get; init; }

    /// <summary>How a <c>pcap:</c> source replays its file (pace, loops, speed) and the clock of pcap ports; null for the defaults.</summary>
    public PcapOptions? Pcap { get; init; }
}
