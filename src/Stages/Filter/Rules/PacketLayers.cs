namespace Stages.Filter.Rules;

// What PacketFields found in a frame; a rule needs some of these before it compares any value.
[Flags]
internal enum PacketLayers : byte
{
    None = 0,

    // At least one 802.1Q/802.1ad tag with its TCI: PacketFields.Vid is the outermost VID.
    Tagged = 1 << 0,

    // The EtherType (after the tags) says IPv4, IPv6 or ARP; the header itself may still be cut short.
    Ipv4 = 1 << 1,
    Ipv6 = 1 << 2,
    Arp = 1 << 3,

    // A whole, well-formed IP header: Protocol, Source and Destination are valid.
    IpHeader = 1 << 4,

    // A TCP or UDP header's ports (not an IPv4 fragment after the first): SourcePort and DestinationPort are valid.
    Ports = 1 << 5,
}
