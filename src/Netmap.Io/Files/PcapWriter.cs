using System.Buffers.Binary;

namespace Netmap.Io.Files;

/// <summary>
/// Writes a classic pcap file: little-endian, microsecond timestamps, link type Ethernet (1), version 2.4,
/// snap length <see cref="SnapLength"/> (packets longer than it are cut, their original length kept) —
/// the format tcpdump writes and tshark reads without a warning.
/// </summary>
public sealed class PcapWriter : IDisposable
{
    /// <summary>The snap length written unless told otherwise (libpcap's maximum).</summary>
    public const int DefaultSnapLength = PcapFormat.MaxCapturedLength;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly byte[] _header = new byte[PcapFormat.PcapFileHeaderLength];
    private int _recordLeft;
    private bool _disposed;

    /// <summary>Writes the file header to <paramref name="stream"/>.</summary>
    public PcapWriter(Stream stream, int snapLength = DefaultSnapLength, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(snapLength, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(snapLength, PcapFormat.MaxCapturedLength);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("the stream is not writable", nameof(stream));
        }

        _stream = stream;
        _leaveOpen = leaveOpen;
        SnapLength = snapLength;
        var h = _header.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(h, PcapFormat.MagicMicroseconds);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], 4);
        BinaryPrimitives.WriteInt32LittleEndian(h[8..], 0);   // thiszone: UTC
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], 0); // sigfigs
        BinaryPrimitives.WriteInt32LittleEndian(h[16..], snapLength);
        BinaryPrimitives.WriteInt32LittleEndian(h[20..], PcapFormat.LinkTypeEthernet);
        _stream.Write(h);
    }

    /// <summary>Largest number of bytes kept per packet.</summary>
    public int SnapLength { get; }

    /// <summary>Packets written so far.</summary>
    public long PacketsWritten { get; private set; }

    /// <summary>
    /// Writes one packet stamped <paramref name="timestampNs"/> (ns since the epoch; written in µs). Bytes past
    /// <see cref="SnapLength"/> are cut; <paramref name="originalLength"/> (default: the packet's length) is kept.
    /// </summary>
    public void WritePacket(ReadOnlySpan<byte> packet, long timestampNs, int originalLength = -1)
    {
        BeginRecord(timestampNs, packet.Length, originalLength < 0 ? packet.Length : originalLength);
        WriteData(packet);
    }

    /// <summary>Pushes buffered records to the operating system.</summary>
    public void Flush() => _stream.Flush();

    /// <summary>Flushes and, unless told to leave it open, closes the stream.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            _stream.Flush();
        }
        finally
        {
            if (!_leaveOpen)
            {
                _stream.Dispose();
            }
        }
    }

    /// <summary>
    /// Starts a record for a packet of <paramref name="length"/> bytes that the caller then hands over in pieces
    /// with <see cref="WriteData"/> (the fragments of a MOREFRAG chain, without gathering them first).
    /// </summary>
    internal void BeginRecord(long timestampNs, int length, int originalLength)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_recordLeft != 0)
        {
            throw new InvalidOperationException($"the previous record still expects {_recordLeft} bytes");
        }

        var captured = Math.Min(length, SnapLength);
        var micros = timestampNs < 0 ? 0 : timestampNs / 1000;
        var h = _header.AsSpan(0, PcapFormat.PcapRecordHeaderLength);
        BinaryPrimitives.WriteUInt32LittleEndian(h, (uint)Math.Min(micros / 1_000_000, uint.MaxValue));
        BinaryPrimitives.WriteUInt32LittleEndian(h[4..], (uint)(micros % 1_000_000));
        BinaryPrimitives.WriteInt32LittleEndian(h[8..], captured);
        BinaryPrimitives.WriteInt32LittleEndian(h[12..], Math.Max(originalLength, length));
        _stream.Write(h);
        _recordLeft = captured;
        PacketsWritten++;
    }

    /// <summary>Writes the next piece of the current record; bytes past the snap length are dropped.</summary>
    internal void WriteData(ReadOnlySpan<byte> data)
    {
        var n = Math.Min(data.Length, _recordLeft);
        if (n > 0)
        {
            _stream.Write(data[..n]);
            _recordLeft -= n;
        }
    }
}
