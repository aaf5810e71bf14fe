namespace Stages.Filter.Rules;

// Offsets and values of the headers the rules read (Ethernet's are in Ethernet/EthernetFields), in one place
// (PacketDotNet's *Fields).
internal static class HeaderFields
{
    /// <summary>EtherType of IPv4.</summary>
    public const ushort EtherTypeIpv4 = 0x0800;

    /// <summary>EtherType of ARP.</summary>
    public const ushort EtherTypeArp = 0x0806;

    /// <summary>EtherType of IPv6.</summary>
    public const ushort EtherTypeIpv6 = 0x86DD;

    /// <summary>Bytes of an 802.1Q/802.1ad tag's TCI: the VID is its low 12 bits.</summary>
    public const ushort VidMask = 0x0FFF;

    /// <summary>An IPv4 header without options.</summary>
    public const int Ipv4MinLength = 20;

    /// <summary>Offset of the IPv4 flags and fragment offset (13 low bits).</summary>
    public const int Ipv4FragmentOffset = 6;

    /// <summary>The fragment offset bits of that field.</summary>
    public const ushort Ipv4FragmentMask = 0x1FFF;

    /// <summary>Offset of the IPv4 protocol.</summary>
    public const int Ipv4ProtocolOffset = 9;

    /// <summary>Offset of the IPv4 source address (the destination follows).</summary>
    public const int Ipv4SourceOffset = 12;

    /// <summary>Offset of the IPv4 destination address.</summary>
    public const int Ipv4DestinationOffset = 16;

    /// <summary>The fixed IPv6 header.</summary>
    public const int Ipv6Length = 40;

    /// <summary>Offset of the IPv6 next header.</summary>
    public const int Ipv6NextHeaderOffset = 6;

    /// <summary>Offset of the IPv6 source address.</summary>
    public const int Ipv6SourceOffset = 8;

    /// <summary>Offset of the IPv6 destination address.</summary>
    public const int Ipv6DestinationOffset = 24;

    /// <summary>TCP and UDP: source port, then destination port, the first 4 bytes of both headers.</summary>
    public const int PortsLength = 4;

    /// <summary>IP protocol number of ICMP.</summary>
    public const byte ProtocolIcmp = 1;

    /// <summary>IP protocol number of TCP.</summary>
    public const byte ProtocolTcp = 6;

    /// <summary>IP protocol number of UDP.</summary>
    public const byte ProtocolUdp = 17;

    /// <summary>IPv6 next header of ICMPv6.</summary>
    public const byte ProtocolIcmp6 = 58;
}
