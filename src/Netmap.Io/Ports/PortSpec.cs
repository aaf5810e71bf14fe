namespace Netmap.Io.Ports;

/// <summary>What kind of name a port spec uses.</summary>
public enum PortPrefix
{
    /// <summary><c>netmap:NAME</c>: an interface, a persistent port or a pipe end.</summary>
    Netmap,
    /// <summary><c>valeB:P</c>: port P of VALE switch B.</summary>
    Vale,
    /// <summary><c>null</c> or <c>null:NAME</c>: a null port (this project's spelling of NR_REG_NULL).</summary>
    Null,
    /// <summary><c>pcap:PATH</c>: packets read from a pcap or pcapng file (an RX-only port).</summary>
    Pcap,
    /// <summary><c>pcap-out:PATH</c>: packets written to a pcap file (a TX-only port).</summary>
    PcapOut,
    /// <summary><c>tap:NAME</c>: a Linux TAP device as a NIC port (the registered name keeps the <c>tap:</c> prefix).</summary>
    Tap,
}

/// <summary>
/// A parsed port name (netmap-notes §10): the name netmap registers (<c>nr_name</c>), the ring
/// selection, the flags, the memory region and the <c>@</c> options.
/// </summary>
public sealed record PortSpec
{
    /// <summary>The spec as the user wrote it.</summary>
    public required string Spec { get; init; }

    /// <summary>The kind of name.</summary>
    public required PortPrefix Prefix { get; init; }

    /// <summary>
    /// The registered name: without <c>netmap:</c>, with the <c>vale</c> and <c>null</c> prefixes kept; for
    /// <c>pcap:</c> and <c>pcap-out:</c>, the file path as written.
    /// </summary>
    public required string Name { get; init; }

    /// <summary>The ring selection mode.</summary>
    public RegisterMode Mode { get; init; } = RegisterMode.AllNic;

    /// <summary>The ring id for <see cref="RegisterMode.OneNic"/> and <see cref="RegisterMode.OneSw"/>.</summary>
    public uint RingId { get; init; }

    /// <summary>Flags from the <c>/</c> suffix.</summary>
    public RegisterFlags Flags { get; init; }

    /// <summary>Memory region id from <c>@N</c> (0 = not given).</summary>
    public ushort MemId { get; init; }

    /// <summary>The text left after the name and mode decoders: the <c>@option</c> list, or empty.</summary>
    public string Suffix { get; init; } = string.Empty;

    /// <summary>The decoded <c>@option</c> list (empty when the spec had none).</summary>
    public PortSpecOptions Options { get; init; } = PortSpecOptions.Empty;

    /// <summary>For pipe ends: the parent's name (the part before the brace), else null.</summary>
    public string? PipeParent { get; init; }

    /// <summary>For pipe ends: the pipe id (after the brace), else null.</summary>
    public string? PipeId { get; init; }

    /// <summary>For pipe ends: true for the master end (<c>{</c>), false for the slave end (<c>}</c>).</summary>
    public bool IsPipeMaster { get; init; }

    /// <summary>True when the name is a pipe end.</summary>
    public bool IsPipe => PipeId is not null;
}
