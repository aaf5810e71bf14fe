namespace Stages.Standard;

// Offsets and values of the headers the checksum stage reads, in one place (PacketDotNet's *Fields).
internal static class ChecksumFields
{
    public const int EthernetLength = 14;
    public const int EtherTypeOffset = 12;
    public const int VlanTagLength = 4;
    public const ushort Tpid8021Q = 0x8100;
    public const ushort Tpid8021AD = 0x88a8;
    public const ushort EtherTypeIpv4 = 0x0800;
    public const ushort EtherTypeIpv6 = 0x86DD;

    /// <summary>Tags skipped before the EtherType: QinQ's two.</summary>
    public const int MaxVlanTags = 2;

    public const int Ipv4MinLength = 20;
    public const int Ipv4TotalLengthOffset = 2;
    public const int Ipv4FragmentOffset = 6;
    public const ushort Ipv4MoreFragmentsAndOffsetMask = 0x3FFF;
    public const int Ipv4ProtocolOffset = 9;
    public const int Ipv4ChecksumOffset = 10;
    public const int Ipv4SourceOffset = 12;
    public const int Ipv4DestinationOffset = 16;
    public const int Ipv4AddressLength = 4;

    public const int Ipv6Length = 40;
    public const int Ipv6PayloadLengthOffset = 4;
    public const int Ipv6NextHeaderOffset = 6;
    public const int Ipv6SourceOffset = 8;
    public const int Ipv6DestinationOffset = 24;
    public const int Ipv6AddressLength = 16;
    public const byte Ipv6HopByHop = 0;
    public const byte Ipv6Routing = 43;
    public const byte Ipv6Fragment = 44;
    public const byte Ipv6DestinationOptions = 60;

    /// <summary>Extension headers walked before giving up on finding TCP or UDP.</summary>
    public const int MaxIpv6Extensions = 8;

    /// <summary>An IPv6 extension header's minimum (and unit of) length.</summary>
    public const int Ipv6ExtensionUnit = 8;

    /// <summary>Segments Left in a routing header: while it is not 0 the pseudo-header's destination is another address.</summary>
    public const int Ipv6RoutingSegmentsLeftOffset = 3;

    public const byte ProtocolTcp = 6;
    public const byte ProtocolUdp = 17;

    public const int UdpLength = 8;
    public const int UdpLengthOffset = 4;
    public const int UdpChecksumOffset = 6;

    public const int TcpMinLength = 20;
    public const int TcpDataOffsetOffset = 12;
    public const int TcpChecksumOffset = 16;
}
