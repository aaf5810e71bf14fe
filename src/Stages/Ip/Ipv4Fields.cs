namespace Stages.Ip;

// Offsets (from the start of the IPv4 header) and values of the IPv4 header (RFC 791), in one place
// (PacketDotNet's *Fields).
internal static class Ipv4Fields
{
    /// <summary>The EtherType of IPv4.</summary>
    public const ushort EtherType = 0x0800;

    /// <summary>A header without options (IHL 5).</summary>
    public const int MinLength = 20;

    /// <summary>Version (high nibble) and IHL in 32-bit words (low nibble).</summary>
    public const int VersionIhlOffset = 0;

    /// <summary>Total length: header and payload.</summary>
    public const int TotalLengthOffset = 2;

    /// <summary>Flags (3 bits) and fragment offset (13 bits).</summary>
    public const int FlagsFragmentOffset = 6;

    /// <summary>More-fragments flag and fragment offset: non-zero for any fragment of a datagram.</summary>
    public const ushort FragmentMask = 0x3FFF;

    /// <summary>TTL; the protocol follows, so TTL and protocol are one 16-bit word of the checksum.</summary>
    public const int TtlOffset = 8;

    /// <summary>Protocol of the payload.</summary>
    public const int ProtocolOffset = 9;

    /// <summary>Header checksum.</summary>
    public const int ChecksumOffset = 10;

    /// <summary>Source address.</summary>
    public const int SourceOffset = 12;

    /// <summary>Destination address.</summary>
    public const int DestinationOffset = 16;

    /// <summary>Bytes of an address.</summary>
    public const int AddressLength = 4;
}
