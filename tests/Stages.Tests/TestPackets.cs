using System.Buffers.Binary;

namespace Stages.Tests;

/// <summary>Real Ethernet frames for stage tests: two MACs, an EtherType, an IPv4/UDP header and a payload.</summary>
internal static class TestPackets
{
    public const int MacsLength = 12;
    public const int EthernetLength = 14;
    public const int Ipv4Length = 20;
    public const ushort EtherTypeIpv4 = 0x0800;

    public static readonly byte[] DstMac = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55];
    public static readonly byte[] SrcMac = [0x02, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE];

    /// <summary>dst MAC, src MAC, EtherType 0x0800, an IPv4 header (UDP, 192.0.2.1 → 198.51.100.2, valid checksum), a patterned payload.</summary>
    public static byte[] Ipv4Frame(int payloadLength = 26)
    {
        var frame = new byte[EthernetLength + Ipv4Length + payloadLength];
        DstMac.CopyTo(frame, 0);
        SrcMac.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), EtherTypeIpv4);

        var ip = frame.AsSpan(EthernetLength, Ipv4Length);
        ip[0] = 0x45;                                                          // version 4, IHL 5
        ip[1] = 0x00;                                                          // DSCP/ECN
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(Ipv4Length + payloadLength));
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], 0x1234);                // identification
        BinaryPrimitives.WriteUInt16BigEndian(ip[6..], 0x4000);                // DF
        ip[8] = 64;                                                            // TTL
        ip[9] = 17;                                                            // UDP
        byte[] source = [192, 0, 2, 1];
        byte[] destination = [198, 51, 100, 2];
        source.CopyTo(ip[12..]);
        destination.CopyTo(ip[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum(ip));

        for (var i = 0; i < payloadLength; i++)
        {
            frame[EthernetLength + Ipv4Length + i] = (byte)((i * 7) + 3);
        }

        return frame;
    }

    /// <summary><paramref name="frame"/> with a tag (TPID, TCI) inserted after its MACs, built independently of the stages.</summary>
    public static byte[] Tagged(byte[] frame, ushort tpid, ushort vid, byte pcp = 0, byte dei = 0)
    {
        var tagged = new byte[frame.Length + 4];
        frame.AsSpan(0, MacsLength).CopyTo(tagged);
        BinaryPrimitives.WriteUInt16BigEndian(tagged.AsSpan(12), tpid);
        BinaryPrimitives.WriteUInt16BigEndian(tagged.AsSpan(14), (ushort)((pcp << 13) | (dei << 12) | vid));
        frame.AsSpan(MacsLength).CopyTo(tagged.AsSpan(16));
        return tagged;
    }

    /// <summary>The RFC 1071 checksum of an IPv4 header whose checksum field is zero.</summary>
    public static ushort Checksum(ReadOnlySpan<byte> header)
    {
        uint sum = 0;
        for (var i = 0; i < header.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(header[i..]);
        }

        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
