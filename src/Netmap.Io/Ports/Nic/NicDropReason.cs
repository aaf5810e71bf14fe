namespace Netmap.Io.Ports.Nic;

/// <summary>Why a NIC port dropped a frame (counted per ring; read through <see cref="NicPort.ReadCounters"/>).</summary>
public enum NicDropReason
{
    /// <summary>Longer than the device's <see cref="INicBackend.MaxFrameSize"/> (NIC rings), or than one buffer after its offset (host RX, as netmap).</summary>
    Oversize = 0,

    /// <summary>Needs more than 64 slots (netmap's <c>NETMAP_MAX_FRAGS</c>), or more slots than the ring has.</summary>
    TooManyFragments = 1,

    /// <summary>Shorter than an Ethernet header (14 bytes): an empty or truncated frame.</summary>
    Runt = 2,

    /// <summary>A TX slot named an invalid buffer (index 0, 1 or past the arena).</summary>
    InvalidSlot = 3,

    /// <summary>Host TX: the host stack had no room for the frame (netmap frees host TX slots at once, so it is lost).</summary>
    HostRefused = 4,

    /// <summary>
    /// A released RX slot marked <see cref="Rings.SlotFlags.Forward"/> could not be forwarded: shorter than an Ethernet
    /// header, longer than its buffer after its offset (netmap skips these too), or part of a multi-slot frame.
    /// </summary>
    ForwardSkipped = 5,

    /// <summary>A forwarded frame found no room on the other side (the host stack, or the wire's TX queue busy or full).</summary>
    ForwardRefused = 6,
}
