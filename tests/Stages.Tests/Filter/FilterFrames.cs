using System.Buffers.Binary;
using Netmap.Io.Packets;
using Pipeline.Testing;

namespace Stages.Tests.Filter;

/// <summary>Named frames, built with <see cref="PacketBuilder"/>, that the rule and filter tests match against.</summary>
internal static class FilterFrames
{
    public const int EthernetLength = 14;

    /// <summary>Every frame of the catalogue, by name.</summary>
    public static readonly IReadOnlyDictionary<string, byte[]> All = new Dictionary<string, byte[]>
    {
        ["udp4-dns"] = Udp4Dns(),
        ["tcp4-web"] = new PacketBuilder().Ethernet().Ipv4("10.1.2.3", "198.51.100.80").Tcp(50000, 80).Payload(10).Build(),
        ["tcp4-high"] = new PacketBuilder().Ethernet().Ipv4("172.16.5.4", "10.9.9.9").Tcp(80, 8080).Payload(10).Build(),
        ["tcp6-https"] = new PacketBuilder().Ethernet().Ipv6("2001:db8::1", "2001:db8:1::80").Tcp(50000, 443).Payload(10).Build(),
        ["udp6-dns"] = new PacketBuilder().Ethernet().Ipv6("2001:db8:ff::5", "2001:db8::53").Udp(5353, 53).Payload(10).Build(),
        ["icmp4"] = WithProtocol(new PacketBuilder().Ethernet().Ipv4("10.1.2.3", "192.0.2.1").Payload(16).Build(), 1),
        ["icmp6"] = WithNextHeader(new PacketBuilder().Ethernet().Ipv6("fe80::1", "ff02::1").Payload(16).Build(), 58),
        ["arp"] = new PacketBuilder().Ethernet().Arp("10.0.0.1", "10.0.0.2").Build(),
        ["vlan100-udp4"] = new PacketBuilder().Ethernet().Vlan(100).Ipv4("10.1.2.3", "192.0.2.53").Udp(40000, 53).Payload(10).Build(),
        ["qinq20-100-tcp4"] = new PacketBuilder().Ethernet().Vlan(20, tpid: 0x88a8).Vlan(100).Ipv4("192.168.1.1", "10.0.0.1").Tcp(1023, 22).Build(),
        ["raw"] = new PacketBuilder().Ethernet().Payload(46).Build(),
    };

    /// <summary>UDP 10.1.2.3:40000 → 192.0.2.53:53 over IPv4, untagged.</summary>
    public static byte[] Udp4Dns() =>
        new PacketBuilder().Ethernet().Ipv4("10.1.2.3", "192.0.2.53").Udp(40000, 53).Payload(10).Build();

    /// <summary>An IPv4 frame (no tags) with its protocol set to <paramref name="protocol"/> and its checksum fixed.</summary>
    public static byte[] WithProtocol(byte[] frame, byte protocol)
    {
        frame[EthernetLength + 9] = protocol;
        return WithIpv4Checksum(frame);
    }

    /// <summary>An IPv6 frame (no tags) with its next header set to <paramref name="nextHeader"/>.</summary>
    public static byte[] WithNextHeader(byte[] frame, byte nextHeader)
    {
        frame[EthernetLength + 6] = nextHeader;
        return frame;
    }

    /// <summary>An untagged IPv4 frame's header checksum recomputed.</summary>
    public static byte[] WithIpv4Checksum(byte[] frame)
    {
        var headerLength = (frame[EthernetLength] & 0x0F) * 4;
        var header = frame.AsSpan(EthernetLength, Math.Min(headerLength, frame.Length - EthernetLength));
        BinaryPrimitives.WriteUInt16BigEndian(header[10..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(header[10..], Checksum.Compute(header));
        return frame;
    }

    /// <summary>An untagged IPv4 frame with <paramref name="options"/> (a multiple of 4 bytes) inserted after the fixed header.</summary>
    public static byte[] WithIpv4Options(byte[] frame, ReadOnlySpan<byte> options)
    {
        var result = new byte[frame.Length + options.Length];
        frame.AsSpan(0, EthernetLength + 20).CopyTo(result);
        options.CopyTo(result.AsSpan(EthernetLength + 20));
        frame.AsSpan(EthernetLength + 20).CopyTo(result.AsSpan(EthernetLength + 20 + options.Length));
        result[EthernetLength] = (byte)(0x40 | ((20 + options.Length) / 4));
        var totalLength = BinaryPrimitives.ReadUInt16BigEndian(result.AsSpan(EthernetLength + 2));
        BinaryPrimitives.WriteUInt16BigEndian(result.AsSpan(EthernetLength + 2), (ushort)(totalLength + options.Length));
        return WithIpv4Checksum(result);
    }
}
