using System.Buffers.Binary;
using Stages.Ethernet;

namespace Stages.Filter.Rules;

/// <summary>
/// The fields the rules compare, read once per packet from the frame in place: the outermost VLAN id, the
/// EtherType family, the IP protocol and addresses, the TCP/UDP ports. <see cref="Layers"/> says which are valid.
/// </summary>
/// <remarks>
/// Every 802.1Q/802.1ad tag is skipped (the first VID is kept). IPv4 options are skipped by IHL; an IPv4 fragment
/// after the first has no ports. IPv6 is read without extension headers: the protocol is the fixed header's next
/// header. A field whose bytes are missing (a truncated frame) is simply not valid, so no term needing it matches.
/// </remarks>
internal struct PacketFields
{
    /// <summary>Which of the fields below are valid.</summary>
    public PacketLayers Layers;

    /// <summary>The outermost tag's VLAN id (valid with <see cref="PacketLayers.Tagged"/>).</summary>
    public ushort Vid;

    /// <summary>IPv4 protocol or IPv6 next header (valid with <see cref="PacketLayers.IpHeader"/>).</summary>
    public byte Protocol;

    /// <summary>Source address: IPv4 in the low 32 bits, IPv6 as a 128-bit big-endian number.</summary>
    public UInt128 Source;

    /// <summary>Destination address, as <see cref="Source"/>.</summary>
    public UInt128 Destination;

    /// <summary>TCP or UDP source port (valid with <see cref="PacketLayers.Ports"/>).</summary>
    public ushort SourcePort;

    /// <summary>TCP or UDP destination port.</summary>
    public ushort DestinationPort;

    /// <summary>Reads the fields of <paramref name="frame"/> (an Ethernet frame); never reads past its end.</summary>
    public static void Read(ReadOnlySpan<byte> frame, out PacketFields fields)
    {
        fields = default;
        if (frame.Length < EthernetFields.HeaderLength)
        {
            return;
        }

        // typeAt: where the EtherType (or a tag's TPID) is; every tag moves it 4 bytes on.
        var typeAt = EthernetFields.EtherTypeOffset;
        var type = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(typeAt));
        while (type is EthernetFields.Tpid8021Q or EthernetFields.Tpid8021AD)
        {
            // TPID(2) TCI(2), then the next EtherType(2).
            if (frame.Length < typeAt + EthernetFields.TagLength)
            {
                return;
            }

            if ((fields.Layers & PacketLayers.Tagged) == 0)
            {
                fields.Vid = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(typeAt + 2)) & HeaderFields.VidMask);
                fields.Layers |= PacketLayers.Tagged;
            }

            typeAt += EthernetFields.TagLength;
            if (frame.Length < typeAt + 2)
            {
                return;
            }

            type = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(typeAt));
        }

        var network = frame.Slice(typeAt + 2);
        switch (type)
        {
            case HeaderFields.EtherTypeIpv4:
                fields.Layers |= PacketLayers.Ipv4;
                ReadIpv4(network, ref fields);
                break;
            case HeaderFields.EtherTypeIpv6:
                fields.Layers |= PacketLayers.Ipv6;
                ReadIpv6(network, ref fields);
                break;
            case HeaderFields.EtherTypeArp:
                fields.Layers |= PacketLayers.Arp;
                break;
        }
    }

    private static void ReadIpv4(ReadOnlySpan<byte> ip, ref PacketFields fields)
    {
        if (ip.Length < HeaderFields.Ipv4MinLength || (ip[0] >> 4) != 4)
        {
            return;
        }

        var headerLength = (ip[0] & 0x0F) * 4;
        if (headerLength < HeaderFields.Ipv4MinLength || ip.Length < headerLength)
        {
            return;
        }

        fields.Layers |= PacketLayers.IpHeader;
        fields.Protocol = ip[HeaderFields.Ipv4ProtocolOffset];
        fields.Source = BinaryPrimitives.ReadUInt32BigEndian(ip.Slice(HeaderFields.Ipv4SourceOffset));
        fields.Destination = BinaryPrimitives.ReadUInt32BigEndian(ip.Slice(HeaderFields.Ipv4DestinationOffset));

        // Only the first fragment carries the TCP/UDP header.
        var fragment = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(HeaderFields.Ipv4FragmentOffset)) & HeaderFields.Ipv4FragmentMask;
        if (fragment == 0)
        {
            ReadPorts(ip.Slice(headerLength), ref fields);
        }
    }

    private static void ReadIpv6(ReadOnlySpan<byte> ip, ref PacketFields fields)
    {
        if (ip.Length < HeaderFields.Ipv6Length || (ip[0] >> 4) != 6)
        {
            return;
        }

        fields.Layers |= PacketLayers.IpHeader;
        fields.Protocol = ip[HeaderFields.Ipv6NextHeaderOffset];
        fields.Source = BinaryPrimitives.ReadUInt128BigEndian(ip.Slice(HeaderFields.Ipv6SourceOffset));
        fields.Destination = BinaryPrimitives.ReadUInt128BigEndian(ip.Slice(HeaderFields.Ipv6DestinationOffset));
        ReadPorts(ip.Slice(HeaderFields.Ipv6Length), ref fields);
    }

    private static void ReadPorts(ReadOnlySpan<byte> transport, ref PacketFields fields)
    {
        if (fields.Protocol is HeaderFields.ProtocolTcp or HeaderFields.ProtocolUdp && transport.Length >= HeaderFields.PortsLength)
        {
            fields.Layers |= PacketLayers.Ports;
            fields.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(transport);
            fields.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(transport.Slice(2));
        }
    }
}
