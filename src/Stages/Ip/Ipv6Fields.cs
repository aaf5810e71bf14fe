namespace Stages.Ip;

// Offsets (from the start of the IPv6 header) and values of the fixed IPv6 header (RFC 8200), in one place
// (PacketDotNet's *Fields).
internal static class Ipv6Fields
{
    /// <summary>The EtherType of IPv6.</summary>
    public const ushort EtherType = 0x86DD;

    /// <summary>The fixed header.</summary>
    public const int HeaderLength = 40;

    /// <summary>Payload length: what follows the fixed header (extension headers included).</summary>
    public const int PayloadLengthOffset = 4;

    /// <summary>Next header: the protocol of what follows the fixed header.</summary>
    public const int NextHeaderOffset = 6;

    /// <summary>Hop limit.</summary>
    public const int HopLimitOffset = 7;

    /// <summary>Source address.</summary>
    public const int SourceOffset = 8;

    /// <summary>Destination address.</summary>
    public const int DestinationOffset = 24;

    /// <summary>Bytes of an address.</summary>
    public const int AddressLength = 16;

    /// <summary>The next header value of a Fragment extension header.</summary>
    public const byte NextHeaderFragment = 44;
}
