namespace Netmap.Io.Ports.Vale;

/// <summary>Why a VALE switch dropped a packet (counted per port, see <see cref="ValePortInfo.Drops"/>).</summary>
/// <remarks>
/// The first two are counted on the destination port (the packet had somewhere to go and did not fit); the
/// others on the source port, since the lookup found no destination for them.
/// </remarks>
public enum ValeDropReason
{
    /// <summary>Destination: its RX ring had no free slot for the packet (or an earlier one in the batch).</summary>
    NoRoom,

    /// <summary>Destination: the RX ring the packet was for is not bound by any handle (not in netmap mode).</summary>
    RingNotBound,

    /// <summary>Source: the lookup returned 255 or more (<see cref="ValeSwitch.Drop"/>) for a frame of 14 bytes or more.</summary>
    Lookup,

    /// <summary>Source: the lookup dropped a frame shorter than an Ethernet header (14 bytes).</summary>
    Runt,

    /// <summary>Source: unicast back to the source port (a switch never hairpins).</summary>
    ToSelf,

    /// <summary>Source: unicast to a port index with no port attached.</summary>
    NoSuchPort,
}
