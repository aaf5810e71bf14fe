using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Text;
using Netmap.Io.Packets;

namespace Pipeline.Testing;

/// <summary>
/// One line of decoded headers per frame, tcpdump-style and stable for snapshots:
/// <c>02:00:00:00:00:01 &gt; 02:00:00:00:00:02 vlan 100 ipv4 10.0.0.1 &gt; 10.0.0.2 ttl 64 udp 1234 &gt; 53 len 32</c>.
/// Truncated or inconsistent headers are named, never thrown.
/// </summary>
public static class PacketDecoder
{
    /// <summary>The decoded headers of an Ethernet frame.</summary>
    public static string Describe(ReadOnlySpan<byte> frame)
    {
        var text = new StringBuilder();
        if (frame.Length < 14)
        {
            return $"[truncated ethernet: {frame.Length} bytes]";
        }

        text.Append(Mac(frame[6..12])).Append(" > ").Append(Mac(frame[..6]));
        var type = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        var at = 14;
        while (type is 0x8100 or 0x88A8)
        {
            if (frame.Length < at + 4)
            {
                return text.Append(" [truncated vlan]").ToString();
            }

            var tci = BinaryPrimitives.ReadUInt16BigEndian(frame[at..]);
            text.Append(type == 0x88A8 ? " qinq " : " vlan ").Append(tci & 0x0FFF);
            if (tci >> 13 != 0)
            {
                text.Append(" pcp ").Append(tci >> 13);
            }

            type = BinaryPrimitives.ReadUInt16BigEndian(frame[(at + 2)..]);
            at += 4;
        }

        var payload = frame[at..];
        switch (type)
        {
            case 0x0800:
                Ipv4(text, payload);
                break;
            case 0x86DD:
                Ipv6(text, payload);
                break;
            case 0x0806:
                Arp(text, payload);
                break;
            default:
                text.Append(" ethertype 0x").Append(type.ToString("x4", CultureInfo.InvariantCulture)).Append(" len ").Append(payload.Length);
                break;
        }

        return text.ToString();
    }

    private static void Ipv4(StringBuilder text, ReadOnlySpan<byte> ip)
    {
        if (ip.Length < 20 || ip[0] >> 4 != 4 || (ip[0] & 0x0F) * 4 < 20 || ip.Length < (ip[0] & 0x0F) * 4)
        {
            text.Append(" [malformed ipv4]");
            return;
        }

        var headerLength = (ip[0] & 0x0F) * 4;
        var total = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        text.Append(" ipv4 ").Append(new IPAddress(ip[12..16])).Append(" > ").Append(new IPAddress(ip[16..20]))
            .Append(" ttl ").Append(ip[8]);
        if (!Checksum.Verify(ip[..headerLength]))
        {
            text.Append(" bad-cksum");
        }

        if (total > ip.Length || total < headerLength)
        {
            text.Append(" [bad total length ").Append(total).Append(']');
            return;
        }

        Transport(text, ip[9], ip[headerLength..total]);
    }

    private static void Ipv6(StringBuilder text, ReadOnlySpan<byte> ip)
    {
        if (ip.Length < 40 || ip[0] >> 4 != 6)
        {
            text.Append(" [malformed ipv6]");
            return;
        }

        var payloadLength = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        text.Append(" ipv6 ").Append(new IPAddress(ip[8..24])).Append(" > ").Append(new IPAddress(ip[24..40]))
            .Append(" hlim ").Append(ip[7]);
        if (40 + payloadLength > ip.Length)
        {
            text.Append(" [bad payload length ").Append(payloadLength).Append(']');
            return;
        }

        Transport(text, ip[6], ip.Slice(40, payloadLength));
    }

    private static void Transport(StringBuilder text, byte protocol, ReadOnlySpan<byte> l4)
    {
        switch (protocol)
        {
            case 17 when l4.Length >= 8:
                text.Append(" udp ").Append(BinaryPrimitives.ReadUInt16BigEndian(l4)).Append(" > ").Append(BinaryPrimitives.ReadUInt16BigEndian(l4[2..]))
                    .Append(" len ").Append(l4.Length - 8);
                break;
            case 6 when l4.Length >= 20:
                text.Append(" tcp ").Append(BinaryPrimitives.ReadUInt16BigEndian(l4)).Append(" > ").Append(BinaryPrimitives.ReadUInt16BigEndian(l4[2..]))
                    .Append(" [").Append(TcpFlags(l4[13])).Append("] len ").Append(l4.Length - Math.Min(l4.Length, (l4[12] >> 4) * 4));
                break;
            case 17 or 6:
                text.Append(protocol == 17 ? " [truncated udp]" : " [truncated tcp]");
                break;
            case 1:
                text.Append(" icmp len ").Append(l4.Length);
                break;
            case 58:
                text.Append(" icmp6 len ").Append(l4.Length);
                break;
            default:
                text.Append(" proto ").Append(protocol).Append(" len ").Append(l4.Length);
                break;
        }
    }

    private static void Arp(StringBuilder text, ReadOnlySpan<byte> arp)
    {
        if (arp.Length < 28)
        {
            text.Append(" [truncated arp]");
            return;
        }

        var op = BinaryPrimitives.ReadUInt16BigEndian(arp[6..]);
        text.Append(op == 1 ? " arp who-has " : " arp reply ").Append(new IPAddress(arp[24..28]))
            .Append(op == 1 ? " tell " : " is-at ").Append(op == 1 ? new IPAddress(arp[14..18]).ToString() : Mac(arp[8..14]));
    }

    private static string TcpFlags(byte flags)
    {
        var text = new StringBuilder();
        ReadOnlySpan<char> names = ['F', 'S', 'R', 'P', '.', 'U'];
        for (var bit = 0; bit < 6; bit++)
        {
            if ((flags & (1 << bit)) != 0)
            {
                text.Append(names[bit]);
            }
        }

        return text.Length == 0 ? "none" : text.ToString();
    }

    private static string Mac(ReadOnlySpan<byte> mac) => string.Create(17, mac.ToArray(), static (chars, bytes) =>
    {
        for (var i = 0; i < 6; i++)
        {
            bytes[i].TryFormat(chars[(i * 3)..], out _, "x2", CultureInfo.InvariantCulture);
            if (i < 5)
            {
                chars[(i * 3) + 2] = ':';
            }
        }
    });
}
