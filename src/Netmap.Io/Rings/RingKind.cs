namespace Netmap.Io.Rings;

/// <summary>The direction of a ring, netmap's <c>dir</c> field.</summary>
public enum RingKind
{
    /// <summary>Transmit: the user fills slots and hands them to the port.</summary>
    Tx = 0,
    /// <summary>Receive: the port fills slots and hands them to the user.</summary>
    Rx = 1,
}
