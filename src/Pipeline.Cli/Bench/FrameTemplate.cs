using System.Buffers.Binary;
using Netmap.Io.Packets;

namespace Pipeline.Cli.Bench;

/// <summary>
/// The frame <c>pipeline gen</c> and the bench generators send, as netmap's pkt-gen builds it: Ethernet
/// (broadcast destination, source 00:00:00:00:00:01), IPv4 10.0.0.1 to 10.1.0.1 (TTL 64, no options), UDP
/// port 1234 to 1234, a zero payload, every checksum right. Sizes are frame bytes without the FCS.
/// </summary>
internal sealed class FrameTemplate
{
    /// <summary>Ethernet, IPv4 and UDP headers: the smallest frame.</summary>
    public const int HeaderLength = EthernetLength + Ipv4Length + UdpLength;

    /// <summary>The largest frame: an IPv4 datagram of 65535 bytes in an Ethernet frame, capped to a 16-bit length.</summary>
    public const int MaxLength = 65535;

    private const int EthernetLength = 14;
    private const int Ipv4Length = 20;
    private const int UdpLength = 8;
    private const ushort Port = 1234;
    private static readonly byte[] SourceAddress = [10, 0, 0, 1];
    private static readonly byte[] DestinationAddress = [10, 1, 0, 1];

    private FrameTemplate(byte[] bytes) => Bytes = bytes;

    /// <summary>The whole frame.</summary>
    public byte[] Bytes { get; }

    /// <summary>The frame's length.</summary>
    public int Length => Bytes.Length;

    /// <summary>The headers (<see cref="HeaderLength"/> bytes): what a bench generator writes per packet.</summary>
    public ReadOnlySpan<byte> Headers => Bytes.AsSpan(0, HeaderLength);

    /// <summary>A frame of <paramref name="length"/> bytes, from <see cref="HeaderLength"/> to <see cref="MaxLength"/>.</summary>
    public static FrameTemplate Create(int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, HeaderLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, MaxLength);
        var frame = new byte[length];
        var span = frame.AsSpan();
        span[..6].Fill(0xff); // broadcast: any switch or bridge floods it, none drops it as unknown
        span[11] = 0x01;
        BinaryPrimitives.WriteUInt16BigEndian(span[12..], 0x0800);

        var ip = span.Slice(EthernetLength, Ipv4Length);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(length - EthernetLength));
        ip[8] = 64;
        ip[9] = 17;
        SourceAddress.CopyTo(ip[12..]);
        DestinationAddress.CopyTo(ip[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum.Compute(ip));

        var udpLength = length - EthernetLength - Ipv4Length;
        var udp = span[(EthernetLength + Ipv4Length)..];
        BinaryPrimitives.WriteUInt16BigEndian(udp, Port);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], Port);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)udpLength);
        var sum = Checksum.Sum(udp, Checksum.PseudoHeaderV4(SourceAddress, DestinationAddress, 17, udpLength));
        var checksum = Checksum.Finish(sum);
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], checksum == 0 ? (ushort)0xffff : checksum); // 0 means "none" in UDP
        return new FrameTemplate(frame);
    }
}
