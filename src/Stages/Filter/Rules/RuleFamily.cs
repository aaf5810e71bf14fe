namespace Stages.Filter.Rules;

// Which packets a rule can match at all, from its protocol and address terms; the values are the
// PacketLayers a packet needs one of (None: any packet).
[Flags]
internal enum RuleFamily : byte
{
    Any = PacketLayers.None,
    Ipv4 = PacketLayers.Ipv4,
    Ipv6 = PacketLayers.Ipv6,
    Ip = PacketLayers.Ipv4 | PacketLayers.Ipv6,
    Arp = PacketLayers.Arp,
}
