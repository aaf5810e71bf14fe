using System.Buffers.Binary;
using Pipeline.Testing;

namespace Stages.Tests.Tunnels;

/// <summary>MPLS and VXLAN packets built by hand, byte by byte, independently of the stages under test.</summary>
public static class TunnelPackets
{
    public const int EntryLength = 4;
    public const int VxlanEncapLength = 50;
    public const ushort Mpls = 0x8847;

    public static readonly byte[] OuterSrcMac = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
    public static readonly byte[] OuterDstMac = [0x02, 0x00, 0x00, 0x00, 0x00, 0xFE];
    public static readonly byte[] OuterSrcIp = [192, 0, 2, 1];
    public static readonly byte[] OuterDstIp = [198, 51, 100, 7];

    /// <summary>An IPv4/UDP frame (PacketBuilder) with the given addresses and ports.</summary>
    public static byte[] Udp4(string src = "10.0.0.1", string dst = "10.0.0.2", ushort sport = 1234, ushort dport = 80, int payload = 26) =>
        new PacketBuilder().Ethernet("02:aa:bb:cc:dd:ee", "02:11:22:33:44:55").Ipv4(src, dst).Udp(sport, dport).Payload(payload).Build();

    /// <summary>An IPv6/TCP frame (PacketBuilder).</summary>
    public static byte[] Tcp6(string src = "2001:db8::1", string dst = "2001:db8::2", ushort sport = 40000, ushort dport = 443, int payload = 10) =>
        new PacketBuilder().Ethernet("02:aa:bb:cc:dd:ee", "02:11:22:33:44:55").Ipv6(src, dst).Tcp(sport, dport).Payload(payload).Build();

    /// <summary>A label stack entry: label(20) TC(3) S(1) TTL(8).</summary>
    public static uint Entry(uint label, byte tc, bool bottom, byte ttl) => (label << 12) | ((uint)tc << 9) | (bottom ? 1u << 8 : 0) | ttl;

    /// <summary>
    /// <paramref name="frame"/> with <paramref name="entry"/> inserted after its <paramref name="l2"/>-byte Ethernet
    /// header (tags included) and, if <paramref name="etherType"/> is given, that EtherType written before it.
    /// </summary>
    public static byte[] Labelled(byte[] frame, int l2, uint entry, ushort? etherType = Mpls)
    {
        var labelled = new byte[frame.Length + EntryLength];
        frame.AsSpan(0, l2).CopyTo(labelled);
        if (etherType is { } type)
        {
            BinaryPrimitives.WriteUInt16BigEndian(labelled.AsSpan(l2 - 2), type);
        }

        BinaryPrimitives.WriteUInt32BigEndian(labelled.AsSpan(l2), entry);
        frame.AsSpan(l2).CopyTo(labelled.AsSpan(l2 + EntryLength));
        return labelled;
    }

    /// <summary>The outer fields of a VXLAN packet; every one can be made wrong for a test.</summary>
    public sealed record Outer
    {
        public uint Vni { get; init; } = 5001;
        public byte VxlanFlags { get; init; } = 0x08;
        public ushort UdpSrc { get; init; } = 50000;
        public ushort UdpDst { get; init; } = 4789;
        public int? UdpLength { get; init; }
        public ushort UdpChecksum { get; init; }
        public ushort EtherType { get; init; } = 0x0800;
        public byte Version { get; init; } = 4;
        public int OptionWords { get; init; }
        public int? Ihl { get; init; }
        public int? TotalLength { get; init; }
        public byte Protocol { get; init; } = 17;
        public ushort FlagsFragment { get; init; } = 0x4000;
        public ushort Id { get; init; } = 0x1234;
        public byte Ttl { get; init; } = 64;
        public bool BadChecksum { get; init; }
        public int Padding { get; init; }
    }

    /// <summary>A VXLAN packet around <paramref name="inner"/>, written field by field from <paramref name="outer"/>.</summary>
    public static byte[] Vxlan(byte[] inner, Outer? outer = null)
    {
        outer ??= new Outer();
        var ipLength = 20 + (outer.OptionWords * 4);
        var packet = new byte[14 + ipLength + 16 + inner.Length + outer.Padding];
        var span = packet.AsSpan();
        OuterDstMac.CopyTo(span);
        OuterSrcMac.CopyTo(span[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(span[12..], outer.EtherType);

        var ip = span.Slice(14, ipLength);
        ip[0] = (byte)((outer.Version << 4) | (outer.Ihl ?? (5 + outer.OptionWords)));
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(outer.TotalLength ?? (ipLength + 16 + inner.Length)));
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], outer.Id);
        BinaryPrimitives.WriteUInt16BigEndian(ip[6..], outer.FlagsFragment);
        ip[8] = outer.Ttl;
        ip[9] = outer.Protocol;
        OuterSrcIp.CopyTo(ip[12..]);
        OuterDstIp.CopyTo(ip[16..]);
        for (var o = 20; o < ipLength; o++)
        {
            ip[o] = 1; // NOP options
        }

        var checksum = TestPackets.Checksum(ip);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], outer.BadChecksum ? (ushort)(checksum ^ 0x0101) : checksum);

        var udp = span.Slice(14 + ipLength, 8);
        BinaryPrimitives.WriteUInt16BigEndian(udp, outer.UdpSrc);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], outer.UdpDst);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(outer.UdpLength ?? (16 + inner.Length)));
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], outer.UdpChecksum);

        var vxlan = span.Slice(14 + ipLength + 8, 8);
        vxlan[0] = outer.VxlanFlags;
        BinaryPrimitives.WriteUInt32BigEndian(vxlan[4..], outer.Vni << 8);
        inner.CopyTo(span[(14 + ipLength + 16)..]);
        for (var p = 0; p < outer.Padding; p++)
        {
            packet[^(p + 1)] = 0xA5;
        }

        return packet;
    }
}
