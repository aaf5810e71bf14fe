namespace Netmap.Io.Ports.Nic;

/// <summary>
/// What the open that creates a NIC port asks of its device, handed to <see cref="NetmapDomain.NicBackendFactory"/>.
/// Counts of 0 mean "the device's default"; the factory may give other counts (the port follows the backend's
/// <see cref="INicBackend.TxQueues"/> and <see cref="INicBackend.RxQueues"/>).
/// </summary>
public sealed record NicOpenRequest
{
    /// <summary>The parsed spec of the open (its <see cref="PortSpec.Name"/> is the interface name).</summary>
    public required PortSpec Spec { get; init; }

    /// <summary>NIC TX rings asked for (<c>@conf:tx-rings</c>, <see cref="RegisterOptions.TxRings"/>); 0 = default.</summary>
    public int TxRings { get; init; }

    /// <summary>NIC RX rings asked for; 0 = default.</summary>
    public int RxRings { get; init; }

    /// <summary>Host TX rings asked for; 0 = 1.</summary>
    public int HostTxRings { get; init; }

    /// <summary>Host RX rings asked for; 0 = 1.</summary>
    public int HostRxRings { get; init; }
}
