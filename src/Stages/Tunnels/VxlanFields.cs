namespace Stages.Tunnels;

// Offsets and values of the outer headers of a VXLAN packet (RFC 7348): Ethernet, IPv4, UDP, VXLAN, in one
// place (PacketDotNet's *Fields). IPv4 and UDP offsets are relative to their own header.
internal static class VxlanFields
{
    /// <summary>Outer Ethernet(14) + IPv4 without options(20) + UDP(8) + VXLAN(8).</summary>
    public const int EncapLength = EthernetLength + Ipv4MinLength + UdpLength + VxlanLength;

    public const int EthernetLength = 14;
    public const ushort EtherTypeIpv4 = 0x0800;

    public const int Ipv4MinLength = 20;
    public const int Ipv4VersionIhl = 0;
    public const int Ipv4Tos = 1;
    public const int Ipv4TotalLength = 2;
    public const int Ipv4Id = 4;
    public const int Ipv4FlagsFragment = 6;
    public const int Ipv4Ttl = 8;
    public const int Ipv4Protocol = 9;
    public const int Ipv4Checksum = 10;
    public const int Ipv4Source = 12;
    public const int Ipv4Destination = 16;
    public const ushort Ipv4DontFragment = 0x4000;

    /// <summary>The more-fragments flag and the fragment offset: non-zero for a fragment.</summary>
    public const ushort Ipv4FragmentMask = 0x3FFF;

    public const byte ProtocolUdp = 17;

    public const int UdpLength = 8;
    public const int UdpSourcePort = 0;
    public const int UdpDestinationPort = 2;
    public const int UdpLengthField = 4;
    public const int UdpChecksum = 6;

    /// <summary>The IANA VXLAN port.</summary>
    public const ushort DefaultPort = 4789;

    public const int VxlanLength = 8;
    public const int VxlanFlags = 0;
    public const int VxlanVni = 4;

    /// <summary>The I flag: the VNI is valid.</summary>
    public const byte FlagI = 0x08;

    /// <summary>The largest VNI (24 bits).</summary>
    public const uint MaxVni = (1u << 24) - 1;

    /// <summary>UDP source ports for a flow's entropy (RFC 7348 §5: the dynamic range 49152-65535).</summary>
    public const ushort FlowPortBase = 49152;
    public const int FlowPortMask = 0x3FFF;

    // Offsets in the outer frame of an encapsulation without IPv4 options.
    public const int OuterIp = EthernetLength;
    public const int OuterUdp = OuterIp + Ipv4MinLength;
    public const int OuterVxlan = OuterUdp + UdpLength;
}
