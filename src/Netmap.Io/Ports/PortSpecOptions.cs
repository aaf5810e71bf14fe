namespace Netmap.Io.Ports;

/// <summary>The <c>@</c> options of a port spec (libnetmap's <c>nmport_parse</c>).</summary>
public sealed record PortSpecOptions
{
    /// <summary>No options.</summary>
    public static PortSpecOptions Empty { get; } = new();

    /// <summary><c>@share=PORT</c>: use the memory region of another port.</summary>
    public string? Share { get; init; }

    /// <summary><c>@conf:...</c>: ring and slot counts (merged over every <c>@conf</c>, specific keys win).</summary>
    public ConfOption? Conf { get; init; }

    /// <summary><c>@extmem:file=F,...</c>: external memory (parsed; not supported by ports yet).</summary>
    public ExtmemOption? Extmem { get; init; }

    /// <summary><c>@offset:initial=N[,bits=B]</c> (disabled unless enabled at parse time).</summary>
    public OffsetSpecOption? Offset { get; init; }

    /// <summary><c>@csum:tx=sw|hw,rx=verify|none</c> (this project's, NIC ports): software checksums.</summary>
    public ChecksumSpecOption? Checksum { get; init; }
}

/// <summary>
/// Values from <c>@csum:</c> (default key <c>tx</c>, so <c>@csum=sw</c> works). Null means "not given";
/// repeated options merge, the later value winning.
/// </summary>
public sealed record ChecksumSpecOption
{
    /// <summary><c>tx=sw</c>: checksum offload off, the port fills checksums in software; <c>tx=hw</c>: frames leave as written.</summary>
    public bool? SoftwareTx { get; init; }

    /// <summary><c>rx=verify</c>: received frames' checksums are checked and bad ones counted; <c>rx=none</c>: not checked.</summary>
    public bool? VerifyRx { get; init; }
}

/// <summary>
/// Counts from <c>@conf:</c>. Null means "not given"; 0 means "let the port choose" (atoi of a non-number).
/// The generic keys (rings, host-rings, slots) apply first and the specific ones win, whatever the text order.
/// </summary>
public sealed record ConfOption
{
    /// <summary>TX rings.</summary>
    public int? TxRings { get; init; }
    /// <summary>RX rings.</summary>
    public int? RxRings { get; init; }
    /// <summary>Host TX rings.</summary>
    public int? HostTxRings { get; init; }
    /// <summary>Host RX rings.</summary>
    public int? HostRxRings { get; init; }
    /// <summary>Slots per TX ring.</summary>
    public int? TxSlots { get; init; }
    /// <summary>Slots per RX ring.</summary>
    public int? RxSlots { get; init; }
}

/// <summary>Values from <c>@extmem:</c>.</summary>
public sealed record ExtmemOption
{
    /// <summary>The file that holds the memory (mandatory).</summary>
    public required string File { get; init; }
    /// <summary>Interface descriptors.</summary>
    public int? IfNum { get; init; }
    /// <summary>Interface descriptor size.</summary>
    public int? IfSize { get; init; }
    /// <summary>Rings.</summary>
    public int? RingNum { get; init; }
    /// <summary>Ring size.</summary>
    public int? RingSize { get; init; }
    /// <summary>Buffers.</summary>
    public int? BufNum { get; init; }
    /// <summary>Buffer size.</summary>
    public int? BufSize { get; init; }
}

/// <summary>Values from <c>@offset:</c>: the initial offset (mandatory) and the offset bits.</summary>
public sealed record OffsetSpecOption
{
    /// <summary>Initial offset written in every slot (also the max offset).</summary>
    public required ulong Initial { get; init; }
    /// <summary>Bits of the offset field (0 = all 64).</summary>
    public uint Bits { get; init; }
}
