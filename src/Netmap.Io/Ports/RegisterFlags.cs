namespace Netmap.Io.Ports;

/// <summary>Registration flags, netmap's <c>nr_flags</c> (values as <c>NR_*</c>).</summary>
[Flags]
public enum RegisterFlags
{
    /// <summary>No flag.</summary>
    None = 0,
    /// <summary>Copy monitor of the parent's TX rings (<c>/t</c>).</summary>
    MonitorTx = 0x100,
    /// <summary>Copy monitor of the parent's RX rings (<c>/r</c>).</summary>
    MonitorRx = 0x200,
    /// <summary>Zero-copy monitor (<c>/z</c>).</summary>
    ZcopyMon = 0x400,
    /// <summary>Exclusive use of the selected rings (<c>/x</c>).</summary>
    Exclusive = 0x800,
    /// <summary>Bind only the RX rings of the selection (<c>/R</c>).</summary>
    RxRingsOnly = 0x2000,
    /// <summary>Bind only the TX rings of the selection (<c>/T</c>).</summary>
    TxRingsOnly = 0x4000,
    /// <summary>Accept a virtio-net header.</summary>
    AcceptVnetHdr = 0x8000,
    /// <summary>Do not sync TX rings on every poll.</summary>
    NoTxPoll = 0x20000,
}
