using System.Buffers.Binary;

namespace Netmap.Io.Tests.Files;

/// <summary>One packet for a built capture: its bytes, time (ns since the epoch) and wire length.</summary>
internal sealed record TestPacket(byte[] Data, long TimestampNs, int OriginalLength)
{
    public TestPacket(byte[] data, long timestampNs)
        : this(data, timestampNs, data.Length)
    {
    }
}

/// <summary>
/// Builds capture files byte by byte, independently of the code under test: classic pcap in either byte
/// order and resolution, and pcapng blocks in either byte order. <see cref="Offsets"/> records where each
/// record or block starts, so tests can name the exact byte offset of damage.
/// </summary>
internal sealed class CaptureBuilder
{
    private readonly MemoryStream _bytes = new();

    public CaptureBuilder(bool bigEndian = false) => BigEndian = bigEndian;

    public bool BigEndian { get; private set; }

    /// <summary>Start offset of every record (pcap) or block (pcapng) written, in order.</summary>
    public List<long> Offsets { get; } = [];

    public long Length => _bytes.Length;

    public byte[] ToArray() => _bytes.ToArray();

    // ---- Classic pcap ------------------------------------------------------------------------------

    public static byte[] Pcap(IEnumerable<TestPacket> packets, bool bigEndian = false, bool nanoseconds = false, int linkType = 1) =>
        PcapBuilder(packets, bigEndian, nanoseconds, linkType).ToArray();

    public static CaptureBuilder PcapBuilder(IEnumerable<TestPacket> packets, bool bigEndian = false, bool nanoseconds = false, int linkType = 1)
    {
        var b = new CaptureBuilder(bigEndian);
        b.PcapHeader(nanoseconds, linkType);
        foreach (var p in packets)
        {
            b.PcapRecord(p, nanoseconds);
        }

        return b;
    }

    public void PcapHeader(bool nanoseconds = false, int linkType = 1, int snapLength = 65535)
    {
        U32(nanoseconds ? 0xa1b23c4du : 0xa1b2c3d4u);
        U16(2);
        U16(4);
        U32(0);
        U32(0);
        U32((uint)snapLength);
        U32((uint)linkType);
    }

    public void PcapRecord(TestPacket p, bool nanoseconds = false, int? capturedLength = null)
    {
        Offsets.Add(_bytes.Length);
        U32((uint)(p.TimestampNs / 1_000_000_000));
        var fraction = p.TimestampNs % 1_000_000_000;
        U32((uint)(nanoseconds ? fraction : fraction / 1000));
        U32((uint)(capturedLength ?? p.Data.Length));
        U32((uint)p.OriginalLength);
        _bytes.Write(p.Data);
    }

    // ---- pcapng ------------------------------------------------------------------------------------

    /// <summary>A Section Header Block; <paramref name="bigEndian"/> switches the byte order from here on.</summary>
    public CaptureBuilder Section(bool? bigEndian = null)
    {
        BigEndian = bigEndian ?? BigEndian;
        var body = new List<byte>();
        body.AddRange(B32(0x1a2b3c4d));
        body.AddRange(B16(1));
        body.AddRange(B16(0));
        body.AddRange(B64(ulong.MaxValue)); // section length unknown
        body.AddRange(Option(4, "netmap-io tests"u8.ToArray())); // shb_userappl
        body.AddRange(B32(0)); // opt_endofopt
        return Block(0x0a0d0d0a, [.. body]);
    }

    /// <summary>An Interface Description Block with an optional if_tsresol and if_tsoffset.</summary>
    public CaptureBuilder Interface(int linkType = 1, byte? tsResolution = null, long? tsOffsetSeconds = null, uint snapLength = 0)
    {
        var body = new List<byte>();
        body.AddRange(B16((ushort)linkType));
        body.AddRange(B16(0));
        body.AddRange(B32(snapLength));
        body.AddRange(Option(2, "eth0"u8.ToArray())); // if_name
        if (tsResolution is { } r)
        {
            body.AddRange(Option(9, [r]));
        }

        if (tsOffsetSeconds is { } o)
        {
            body.AddRange(Option(14, B64((ulong)o)));
        }

        body.AddRange(B32(0));
        return Block(1, [.. body]);
    }

    /// <summary>An Enhanced Packet Block; the timestamp is given in the interface's units.</summary>
    public CaptureBuilder Enhanced(uint interfaceId, ulong timestampUnits, byte[] data, int? originalLength = null, bool withOptions = false)
    {
        var body = new List<byte>();
        body.AddRange(B32(interfaceId));
        body.AddRange(B32((uint)(timestampUnits >> 32)));
        body.AddRange(B32((uint)timestampUnits));
        body.AddRange(B32((uint)data.Length));
        body.AddRange(B32((uint)(originalLength ?? data.Length)));
        body.AddRange(Padded(data));
        if (withOptions)
        {
            body.AddRange(Option(2, B32(0x1))); // epb_flags: inbound
            body.AddRange(Option(1, "a comment"u8.ToArray())); // opt_comment
            body.AddRange(B32(0));
        }

        return Block(6, [.. body]);
    }

    /// <summary>A Simple Packet Block (interface 0, no timestamp; the captured length is the block's).</summary>
    public CaptureBuilder Simple(byte[] data, int? originalLength = null)
    {
        var body = new List<byte>();
        body.AddRange(B32((uint)(originalLength ?? data.Length)));
        body.AddRange(Padded(data));
        return Block(3, [.. body]);
    }

    /// <summary>Any block, e.g. a Name Resolution (4), Interface Statistics (5) or custom block to be skipped.</summary>
    public CaptureBuilder Block(uint type, byte[] body, uint? trailerOverride = null, uint? lengthOverride = null)
    {
        Offsets.Add(_bytes.Length);
        var length = (uint)(12 + body.Length);
        U32(type);
        U32(lengthOverride ?? length);
        _bytes.Write(body);
        U32(trailerOverride ?? lengthOverride ?? length);
        return this;
    }

    public void Raw(ReadOnlySpan<byte> bytes) => _bytes.Write(bytes);

    private byte[] Option(ushort code, byte[] value)
    {
        var o = new List<byte>();
        o.AddRange(B16(code));
        o.AddRange(B16((ushort)value.Length));
        o.AddRange(Padded(value));
        return [.. o];
    }

    private static byte[] Padded(byte[] data)
    {
        var padded = new byte[(data.Length + 3) & ~3];
        data.CopyTo(padded, 0);
        return padded;
    }

    private byte[] B16(ushort v)
    {
        var b = new byte[2];
        if (BigEndian)
            BinaryPrimitives.WriteUInt16BigEndian(b, v);
        else
            BinaryPrimitives.WriteUInt16LittleEndian(b, v);
        return b;
    }

    private byte[] B32(uint v)
    {
        var b = new byte[4];
        if (BigEndian)
            BinaryPrimitives.WriteUInt32BigEndian(b, v);
        else
            BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        return b;
    }

    private byte[] B64(ulong v)
    {
        var b = new byte[8];
        if (BigEndian)
            BinaryPrimitives.WriteUInt64BigEndian(b, v);
        else
            BinaryPrimitives.WriteUInt64LittleEndian(b, v);
        return b;
    }

    private void U16(ushort v) => _bytes.Write(B16(v));

    private void U32(uint v) => _bytes.Write(B32(v));
}
