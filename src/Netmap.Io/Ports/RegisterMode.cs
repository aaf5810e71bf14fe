namespace Netmap.Io.Ports;

/// <summary>Which rings a binding selects, netmap's <c>nr_mode</c> (values as <c>NR_REG_*</c>).</summary>
public enum RegisterMode
{
    /// <summary>Not set (invalid for a registration: EINVAL).</summary>
    Default = 0,
    /// <summary>All hardware (NIC) rings.</summary>
    AllNic = 1,
    /// <summary>The host (software) rings only.</summary>
    Sw = 2,
    /// <summary>All NIC rings and the host rings.</summary>
    NicSw = 3,
    /// <summary>One NIC ring, selected by the ring id.</summary>
    OneNic = 4,
    /// <summary>Deprecated pipe-master mode (EINVAL).</summary>
    PipeMaster = 5,
    /// <summary>Deprecated pipe-slave mode (EINVAL).</summary>
    PipeSlave = 6,
    /// <summary>A null port: rings and buffers, syncs do nothing.</summary>
    Null = 7,
    /// <summary>One host ring, selected by the ring id.</summary>
    OneSw = 8,
}
