using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Netmap.Io.Packets;

namespace Pipeline.Testing;

/// <summary>
/// Builds Ethernet frames for tests, header by header, with correct lengths and checksums:
/// <c>new PacketBuilder().Ethernet(src, dst).Vlan(100).Ipv4("10.0.0.1", "10.0.0.2").Udp(1234, 53).Payload(32).Build()</c>.
/// </summary>
public sealed class PacketBuilder
{
    private readonly List<Layer> _layers = [];
    private byte[] _payload = [];

    private enum Kind
    {
        Ethernet,
        Vlan,
        Ipv4,
        Ipv6,
        Udp,
        Tcp,
        Arp,
    }

    /// <summary>An Ethernet header; the EtherType follows from the next layer.</summary>
    public PacketBuilder Ethernet(string source = "02:00:00:00:00:01", string destination = "02:00:00:00:00:02") =>
        Add(new Layer(Kind.Ethernet) { Source = Mac(source), Destination = Mac(destination) });

    /// <summary>An 802.1Q tag (or QinQ with <paramref name="tpid"/> 0x88a8).</summary>
    public PacketBuilder Vlan(ushort vid, byte pcp = 0, ushort tpid = 0x8100) =>
        Add(new Layer(Kind.Vlan) { Value = vid, Pcp = pcp, Tpid = tpid });

    /// <summary>An IPv4 header (20 bytes, no options) with its checksum.</summary>
    public PacketBuilder Ipv4(string source = "10.0.0.1", string destination = "10.0.0.2", byte ttl = 64, ushort id = 1) =>
        Add(new Layer(Kind.Ipv4) { Source = Ip(source, AddressFamily.InterNetwork), Destination = Ip(destination, AddressFamily.InterNetwork), Ttl = ttl, Value = id });

    /// <summary>An IPv6 header (40 bytes).</summary>
    public PacketBuilder Ipv6(string source = "2001:db8::1", string destination = "2001:db8::2", byte hopLimit = 64) =>
        Add(new Layer(Kind.Ipv6) { Source = Ip(source, AddressFamily.InterNetworkV6), Destination = Ip(destination, AddressFamily.InterNetworkV6), Ttl = hopLimit });

    /// <summary>A UDP header with its checksum.</summary>
    public PacketBuilder Udp(ushort sourcePort, ushort destinationPort) =>
        Add(new Layer(Kind.Udp) { SourcePort = sourcePort, DestinationPort = destinationPort });

    /// <summary>A TCP header (20 bytes, no options) with its checksum.</summary>
    public PacketBuilder Tcp(ushort sourcePort, ushort destinationPort, byte flags = 0x02, uint sequence = 1) =>
        Add(new Layer(Kind.Tcp) { SourcePort = sourcePort, DestinationPort = destinationPort, Flags = flags, Sequence = sequence });

    /// <summary>An ARP request for IPv4 over Ethernet.</summary>
    public PacketBuilder Arp(string senderIp = "10.0.0.1", string targetIp = "10.0.0.2") =>
        Add(new Layer(Kind.Arp) { Source = Ip(senderIp, AddressFamily.InterNetwork), Destination = Ip(targetIp, AddressFamily.InterNetwork) });

    /// <summary>A payload of <paramref name="length"/> bytes: 0, 1, 2, ... (mod 256).</summary>
    public PacketBuilder Payload(int length)
    {
        _payload = new byte[length];
        for (var i = 0; i < length; i++)
        {
            _payload[i] = (byte)i;
        }

        return this;
    }

    /// <summary>The given payload bytes.</summary>
    public PacketBuilder Payload(ReadOnlySpan<byte> bytes)
    {
        _payload = bytes.ToArray();
        return this;
    }

    /// <summary>The frame.</summary>
    public byte[] Build()
    {
        var length = _payload.Length;
        foreach (var layer in _layers)
        {
            length += HeaderLength(layer.Kind);
        }

        var frame = new byte[length];
        var offset = 0;
        var offsets = new int[_layers.Count];
        for (var i = 0; i < _layers.Count; i++)
        {
            offsets[i] = offset;
            offset += HeaderLength(_layers[i].Kind);
        }

        _payload.CopyTo(frame.AsSpan(offset));

        // Innermost first, so lengths and checksums see what follows them.
        for (var i = _layers.Count - 1; i >= 0; i--)
        {
            var next = i + 1 < _layers.Count ? _layers[i + 1] : null;
            Write(frame, offsets[i], _layers[i], next, FindIp(i));
        }

        return frame;
    }

    private (Layer Layer, int Offset)? FindIp(int below)
    {
        for (var i = below - 1; i >= 0; i--)
        {
            if (_layers[i].Kind is Kind.Ipv4 or Kind.Ipv6)
            {
                return (_layers[i], i);
            }
        }

        return null;
    }

    private void Write(byte[] frame, int at, Layer layer, Layer? next, (Layer Layer, int Index)? ip)
    {
        var span = frame.AsSpan(at);
        var rest = frame.Length - at;
        switch (layer.Kind)
        {
            case Kind.Ethernet:
                layer.Destination.CopyTo(span);
                layer.Source.CopyTo(span[6..]);
                BinaryPrimitives.WriteUInt16BigEndian(span[12..], EtherType(next));
                break;
            case Kind.Vlan:
                // The TPID is the EtherType field before the tag (written by the layer before); then TCI, then the inner EtherType.
                BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)((layer.Pcp << 13) | (layer.Value & 0x0FFF)));
                BinaryPrimitives.WriteUInt16BigEndian(span[2..], EtherType(next));
                break;
            case Kind.Ipv4:
                span[0] = 0x45;
                BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)rest);
                BinaryPrimitives.WriteUInt16BigEndian(span[4..], layer.Value);
                BinaryPrimitives.WriteUInt16BigEndian(span[6..], 0x4000);
                span[8] = layer.Ttl;
                span[9] = Protocol(next?.Kind);
                layer.Source.CopyTo(span[12..]);
                layer.Destination.CopyTo(span[16..]);
                BinaryPrimitives.WriteUInt16BigEndian(span[10..], Checksum.Compute(span[..20]));
                break;
            case Kind.Ipv6:
                span[0] = 0x60;
                BinaryPrimitives.WriteUInt16BigEndian(span[4..], (ushort)(rest - 40));
                span[6] = Protocol(next?.Kind);
                span[7] = layer.Ttl;
                layer.Source.CopyTo(span[8..]);
                layer.Destination.CopyTo(span[24..]);
                break;
            case Kind.Udp:
                BinaryPrimitives.WriteUInt16BigEndian(span, layer.SourcePort);
                BinaryPrimitives.WriteUInt16BigEndian(span[2..], layer.DestinationPort);
                BinaryPrimitives.WriteUInt16BigEndian(span[4..], (ushort)rest);
                WriteL4Checksum(span[..rest], 6, 17, ip);
                break;
            case Kind.Tcp:
                BinaryPrimitives.WriteUInt16BigEndian(span, layer.SourcePort);
                BinaryPrimitives.WriteUInt16BigEndian(span[2..], layer.DestinationPort);
                BinaryPrimitives.WriteUInt32BigEndian(span[4..], layer.Sequence);
                span[12] = 5 << 4;
                span[13] = layer.Flags;
                BinaryPrimitives.WriteUInt16BigEndian(span[14..], 65535);
                WriteL4Checksum(span[..rest], 16, 6, ip);
                break;
            case Kind.Arp:
                BinaryPrimitives.WriteUInt16BigEndian(span, 1);
                BinaryPrimitives.WriteUInt16BigEndian(span[2..], 0x0800);
                span[4] = 6;
                span[5] = 4;
                BinaryPrimitives.WriteUInt16BigEndian(span[6..], 1);
                _layers[0].Source.CopyTo(span[8..]); // the sender's MAC: the frame's source
                layer.Source.CopyTo(span[14..]);
                layer.Destination.CopyTo(span[24..]);
                break;
        }
    }

    private static void WriteL4Checksum(Span<byte> segment, int field, byte protocol, (Layer Layer, int Index)? ip)
    {
        if (ip is not { } header)
        {
            return;
        }

        var pseudo = header.Layer.Kind == Kind.Ipv4
            ? Checksum.PseudoHeaderV4(header.Layer.Source, header.Layer.Destination, protocol, segment.Length)
            : Checksum.PseudoHeaderV6(header.Layer.Source, header.Layer.Destination, protocol, segment.Length);
        BinaryPrimitives.WriteUInt16BigEndian(segment[field..], 0);
        var checksum = Checksum.Finish(Checksum.Sum(segment, pseudo));
        BinaryPrimitives.WriteUInt16BigEndian(segment[field..], protocol == 17 && checksum == 0 ? (ushort)0xFFFF : checksum);
    }

    private static int HeaderLength(Kind kind) => kind switch
    {
        Kind.Ethernet => 14,
        Kind.Vlan => 4,
        Kind.Ipv4 => 20,
        Kind.Ipv6 => 40,
        Kind.Udp => 8,
        Kind.Tcp => 20,
        Kind.Arp => 28,
        _ => 0,
    };

    private static ushort EtherType(Layer? next) => next?.Kind switch
    {
        Kind.Vlan => next.Tpid,
        Kind.Ipv4 => 0x0800,
        Kind.Ipv6 => 0x86DD,
        Kind.Arp => 0x0806,
        _ => 0x88B5, // IEEE local experimental
    };

    private static byte Protocol(Kind? next) => next switch
    {
        Kind.Udp => 17,
        Kind.Tcp => 6,
        _ => 253, // experimentation
    };

    private PacketBuilder Add(Layer layer)
    {
        _layers.Add(layer);
        return this;
    }

    private static byte[] Mac(string text)
    {
        var mac = new byte[6];
        var parts = text.Split(':');
        if (parts.Length != 6)
        {
            throw new ArgumentException($"'{text}' is not a MAC address like 02:00:00:00:00:01", nameof(text));
        }

        for (var i = 0; i < 6; i++)
        {
            mac[i] = Convert.ToByte(parts[i], 16);
        }

        return mac;
    }

    private static byte[] Ip(string text, AddressFamily family)
    {
        var address = IPAddress.Parse(text);
        if (address.AddressFamily != family)
        {
            throw new ArgumentException($"'{text}' is not an {(family == AddressFamily.InterNetwork ? "IPv4" : "IPv6")} address", nameof(text));
        }

        return address.GetAddressBytes();
    }

    private sealed record Layer(Kind Kind)
    {
        public byte[] Source { get; init; } = [];
        public byte[] Destination { get; init; } = [];
        public ushort Value { get; init; }
        public byte Pcp { get; init; }
        public ushort Tpid { get; init; } = 0x8100;
        public byte Ttl { get; init; } = 64;
        public ushort SourcePort { get; init; }
        public ushort DestinationPort { get; init; }
        public byte Flags { get; init; }
        public uint Sequence { get; init; }
    }
}
