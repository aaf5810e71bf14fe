using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Netmap.Io.Files;

/// <summary>
/// Reads Ethernet packets one at a time from a pcap file (magic <c>a1b2c3d4</c> µs or <c>a1b23c4d</c> ns, either
/// byte order) or a pcapng file (any number of sections, either byte order; EPB, SPB and PB packets with each
/// interface's <c>if_tsresol</c> and <c>if_tsoffset</c>; other blocks skipped). The stream is read
/// incrementally: only the current record is ever in memory, in the caller's buffer.
/// </summary>
/// <remarks>
/// Errors are <see cref="NetmapException"/>s with code EINVAL (EIO for a failing stream) whose subject is
/// <see cref="Name"/> and whose message names the byte offset of the damage: the packets before it are
/// returned first, then every later call throws the same error.
/// The header (and, for pcapng, every block before the first packet) is read by the constructor, so a file
/// that is not a capture of Ethernet frames fails there.
/// </remarks>
/// <example>
/// <code>
/// using var reader = PcapFormat.OpenRead("pipelines/samples/mixed.pcap");
/// var buffer = new byte[PcapFormat.MaxCapturedLength];
/// while (reader.TryReadPacket(buffer, out var packet)) { Use(buffer.AsSpan(0, packet.Length)); }
/// </code>
/// </example>
public sealed class PcapReader : IDisposable
{
    // An SHB or IDB holds only options; one this large is corrupt (and would cost that much memory).
    private const int MaxHeaderBlockLength = 1 << 20;
    private const int SkipChunk = 4096;
    private const byte MicrosecondResolution = 6;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly long _origin;
    private readonly byte[] _header = new byte[32];
    private readonly List<Interface> _interfaces = [];
    private byte[] _scratch = [];
    private long _position;
    private bool _bigEndian;
    private bool _nanoseconds;
    private bool _hasPendingBlock;
    private uint _pendingType;
    private uint _pendingLength;
    private long _pendingStart;
    private long _lastTimestamp;
    private NetmapException? _error;
    private bool _disposed;

    /// <summary>
    /// Reads the file header from <paramref name="stream"/>; <paramref name="name"/> is the subject of every error.
    /// If this throws, the stream is still the caller's to dispose.
    /// </summary>
    /// <exception cref="NetmapException">EINVAL: not a pcap or pcapng file, or not Ethernet.</exception>
    public PcapReader(Stream stream, string name, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        if (!stream.CanRead)
        {
            throw new ArgumentException("the stream is not readable", nameof(stream));
        }

        _stream = stream;
        _leaveOpen = leaveOpen;
        Name = name;
        _origin = stream.CanSeek ? stream.Position : 0;
        Guard(ReadFileHeader);
    }

    /// <summary>The name errors start with (usually the file's path).</summary>
    public string Name { get; }

    /// <summary>True for a pcapng file, false for classic pcap.</summary>
    public bool IsPcapNg { get; private set; }

    /// <summary>True when the file (for pcapng: the current section) is big-endian.</summary>
    public bool IsBigEndian => _bigEndian;

    /// <summary>Byte offset of the next record or block to read.</summary>
    public long Position => _hasPendingBlock ? _pendingStart : _position;

    /// <summary>Packets returned since the last rewind.</summary>
    public long PacketsRead { get; private set; }

    /// <summary>True when <see cref="Rewind"/> can start over (the stream is seekable).</summary>
    public bool CanRewind => _stream.CanSeek;

    /// <summary>
    /// Copies the next packet into <paramref name="buffer"/> (at least <see cref="PcapFormat.MaxCapturedLength"/>
    /// bytes); false at the end of the file.
    /// </summary>
    /// <exception cref="NetmapException">EINVAL: a truncated or corrupt record, with its byte offset.</exception>
    public bool TryReadPacket(Span<byte> buffer, out PcapPacketInfo packet)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.Length < PcapFormat.MaxCapturedLength)
        {
            throw new ArgumentException($"the buffer must hold {PcapFormat.MaxCapturedLength} bytes (PcapFormat.MaxCapturedLength), not {buffer.Length}", nameof(buffer));
        }

        if (_error is not null)
        {
            throw _error;
        }

        try
        {
            var found = IsPcapNg ? TryReadBlockPacket(buffer, out packet) : TryReadRecord(buffer, out packet);
            if (found)
            {
                PacketsRead++;
                _lastTimestamp = packet.TimestampNs;
            }

            return found;
        }
        catch (IOException ex)
        {
            packet = default;
            return Fail<bool>(NetmapError.EIO, $"read error at byte {_position}: {ex.Message}");
        }
    }

    /// <summary>Starts over from the file header (a replay loop); the stream must be seekable.</summary>
    /// <exception cref="NetmapException">EINVAL: the header no longer reads (the file changed).</exception>
    public void Rewind()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_stream.CanSeek)
        {
            throw new NotSupportedException($"{Name}: the stream cannot seek, so it cannot be replayed");
        }

        _stream.Seek(_origin, SeekOrigin.Begin);
        _position = 0;
        _hasPendingBlock = false;
        _interfaces.Clear();
        _error = null;
        _lastTimestamp = 0;
        PacketsRead = 0;
        Guard(ReadFileHeader);
    }

    /// <summary>Closes the stream unless the reader was told to leave it open.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }

    private void Guard(Action read)
    {
        try
        {
            read();
        }
        catch (IOException ex)
        {
            Fail(NetmapError.EIO, $"read error at byte {_position}: {ex.Message}");
        }
    }

    // ---- File header -------------------------------------------------------------------------------

    private void ReadFileHeader()
    {
        var n = ReadUpTo(_header.AsSpan(0, 4));
        if (n == 0)
        {
            Fail("empty file: not a pcap or pcapng file");
        }

        if (n < 4)
        {
            Fail($"truncated file header at byte 0: the file has only {n} bytes");
        }

        var magic = BinaryPrimitives.ReadUInt32LittleEndian(_header);
        if (magic == PcapFormat.SectionHeaderBlock)
        {
            IsPcapNg = true;
            if (ReadUpTo(_header.AsSpan(4, 4)) < 4)
            {
                Fail($"truncated section header block at byte 0: the file ends at byte {_position}");
            }

            ReadSectionHeader(0);
            ReadAheadToFirstPacket();
            return;
        }

        IsPcapNg = false;
        (_bigEndian, _nanoseconds) = magic switch
        {
            PcapFormat.MagicMicroseconds => (false, false),
            0xd4c3b2a1 => (true, false),
            PcapFormat.MagicNanoseconds => (false, true),
            0x4d3cb2a1 => (true, true),
            _ => Fail<(bool, bool)>($"bad magic 0x{BinaryPrimitives.ReadUInt32BigEndian(_header):x8} at byte 0: not a pcap or pcapng file"),
        };

        n = ReadUpTo(_header.AsSpan(4, PcapFormat.PcapFileHeaderLength - 4));
        if (n < PcapFormat.PcapFileHeaderLength - 4)
        {
            Fail($"truncated pcap file header at byte 0: {n + 4} of {PcapFormat.PcapFileHeaderLength} bytes");
        }

        var major = U16(_header.AsSpan(4));
        var minor = U16(_header.AsSpan(6));
        if (major != 2)
        {
            Fail($"unsupported pcap version {major}.{minor} at byte 4 (only 2.x)");
        }

        // The link type is the low 16 bits; the high bits may carry FCS information.
        var linkType = (int)(U32(_header.AsSpan(20)) & 0xffff);
        if (linkType != PcapFormat.LinkTypeEthernet)
        {
            Fail(PcapFormat.UnsupportedLinkType(linkType));
        }
    }

    // ---- Classic pcap ------------------------------------------------------------------------------

    private bool TryReadRecord(Span<byte> buffer, out PcapPacketInfo packet)
    {
        packet = default;
        var start = _position;
        var h = _header.AsSpan(0, PcapFormat.PcapRecordHeaderLength);
        var n = ReadUpTo(h);
        if (n == 0)
        {
            return false;
        }

        if (n < h.Length)
        {
            Fail($"truncated packet record header at byte {start}: {n} of {h.Length} bytes");
        }

        var seconds = U32(h);
        var fraction = U32(h[4..]);
        var captured = U32(h[8..]);
        var original = U32(h[12..]);
        if (captured > PcapFormat.MaxCapturedLength)
        {
            Fail($"packet record at byte {start} has a captured length of {captured} bytes (more than {PcapFormat.MaxCapturedLength}): the file is corrupt");
        }

        if (fraction >= (_nanoseconds ? 1_000_000_000u : 1_000_000u))
        {
            // A pace: recorded replay would otherwise wait for a time up to 71 minutes past the second it names.
            Fail($"packet record at byte {start} has a timestamp fraction of {fraction} {(_nanoseconds ? "ns" : "µs")} (a second or more): the file is corrupt");
        }

        var got = ReadUpTo(buffer[..(int)captured]);
        if (got < captured)
        {
            Fail($"truncated packet record at byte {start}: {captured} bytes of packet data announced, {got} in the file");
        }

        var ns = (seconds * 1_000_000_000L) + (_nanoseconds ? fraction : fraction * 1000L);
        packet = new PcapPacketInfo((int)captured, ClampLength(original), ns, start);
        return true;
    }

    // ---- pcapng ------------------------------------------------------------------------------------

    private readonly record struct Interface(byte Resolution, long OffsetNs, uint SnapLength);

    /// <summary>Processes the blocks after the first section header up to the first packet block, which is kept for later.</summary>
    private void ReadAheadToFirstPacket()
    {
        while (TryReadBlockHeader(out var type, out var length, out var start))
        {
            if (type is PcapFormat.EnhancedPacketBlock or PcapFormat.SimplePacketBlock or PcapFormat.PacketBlock)
            {
                (_hasPendingBlock, _pendingType, _pendingLength, _pendingStart) = (true, type, length, start);
                return;
            }

            ReadNonPacketBlock(type, length, start);
        }
    }

    private bool TryReadBlockPacket(Span<byte> buffer, out PcapPacketInfo packet)
    {
        while (true)
        {
            uint type, length;
            long start;
            if (_hasPendingBlock)
            {
                (type, length, start) = (_pendingType, _pendingLength, _pendingStart);
                _hasPendingBlock = false;
            }
            else if (!TryReadBlockHeader(out type, out length, out start))
            {
                packet = default;
                return false;
            }

            switch (type)
            {
                case PcapFormat.EnhancedPacketBlock or PcapFormat.PacketBlock:
                    packet = ReadEnhancedPacket(buffer, type, length, start);
                    return true;
                case PcapFormat.SimplePacketBlock:
                    packet = ReadSimplePacket(buffer, length, start);
                    return true;
                default:
                    ReadNonPacketBlock(type, length, start);
                    break;
            }
        }
    }

    /// <summary>Reads a block's type and length; false at a clean end of file. A section header's length is checked by <see cref="ReadSectionHeader"/>.</summary>
    private bool TryReadBlockHeader(out uint type, out uint length, out long start)
    {
        start = _position;
        var n = ReadUpTo(_header.AsSpan(0, 8));
        if (n == 0)
        {
            type = length = 0;
            return false;
        }

        if (n < 8)
        {
            Fail($"truncated block header at byte {start}: {n} of 8 bytes");
        }

        type = U32(_header);
        length = U32(_header.AsSpan(4));
        return true;
    }

    private void ReadNonPacketBlock(uint type, uint length, long start)
    {
        switch (type)
        {
            case PcapFormat.SectionHeaderBlock:
                ReadSectionHeader(start);
                break;
            case PcapFormat.InterfaceDescriptionBlock:
                ReadInterface(length, start);
                break;
            default:
                CheckLength(type, length, start, 12);
                if (!Skip(length - 12L))
                {
                    Truncated(type, length, start);
                }

                ReadTrailer(type, length, start);
                break;
        }
    }

    /// <summary>The section header whose type and raw length are in the header scratch: byte order, version, trailer.</summary>
    private void ReadSectionHeader(long start)
    {
        const uint type = PcapFormat.SectionHeaderBlock;
        if (ReadUpTo(_header.AsSpan(8, 4)) < 4)
        {
            Fail($"truncated section header block at byte {start}: the file ends at byte {_position}");
        }

        var bom = BinaryPrimitives.ReadUInt32LittleEndian(_header.AsSpan(8));
        _bigEndian = bom switch
        {
            PcapFormat.ByteOrderMagic => false,
            0x4d3c2b1a => true,
            _ => Fail<bool>($"bad byte-order magic 0x{BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(8)):x8} in the section header block at byte {start}"),
        };
        var length = U32(_header.AsSpan(4));
        CheckLength(type, length, start, 28);
        if (length > MaxHeaderBlockLength)
        {
            Fail($"section header block at byte {start} is {length} bytes long (more than {MaxHeaderBlockLength}): the file is corrupt");
        }

        var rest = ReadBody(type, length, start, 12);
        var major = U16(rest);
        var minor = U16(rest[2..]);
        if (major != 1)
        {
            Fail($"unsupported pcapng version {major}.{minor} in the section header block at byte {start} (only 1.x)");
        }

        CheckTrailer(type, length, start, U32(rest[^4..]));
        _interfaces.Clear();
    }

    private void ReadInterface(uint length, long start)
    {
        const uint type = PcapFormat.InterfaceDescriptionBlock;
        CheckLength(type, length, start, 20);
        if (length > MaxHeaderBlockLength)
        {
            Fail($"interface description block at byte {start} is {length} bytes long (more than {MaxHeaderBlockLength}): the file is corrupt");
        }

        var body = ReadBody(type, length, start, 8);
        CheckTrailer(type, length, start, U32(body[^4..]));
        var linkType = (int)U16(body);
        var snapLength = U32(body[4..]);
        var resolution = MicrosecondResolution;
        var offsetNs = 0L;
        var options = body[8..^4];
        var i = 0;
        while (i + 4 <= options.Length)
        {
            var code = U16(options[i..]);
            var size = (int)U16(options[(i + 2)..]);
            i += 4;
            if (code == 0)
            {
                break;
            }

            if (size > options.Length - i)
            {
                Fail($"interface description block at byte {start}: option {code} ({size} bytes) runs past the end of the block");
            }

            var value = options.Slice(i, size);
            if (code == 9 && size >= 1)
            {
                resolution = value[0]; // if_tsresol
            }
            else if (code == 14 && size >= 8)
            {
                offsetNs = SaturatingSecondsToNs((long)U64(value)); // if_tsoffset, in seconds
            }

            i += (size + 3) & ~3;
        }

        if (linkType != PcapFormat.LinkTypeEthernet)
        {
            Fail(PcapFormat.UnsupportedLinkType(linkType));
        }

        _interfaces.Add(new Interface(resolution, offsetNs, snapLength));
    }

    private PcapPacketInfo ReadEnhancedPacket(Span<byte> buffer, uint type, uint length, long start)
    {
        CheckLength(type, length, start, 32);
        var h = _header.AsSpan(8, 20);
        if (ReadUpTo(h) < h.Length)
        {
            Truncated(type, length, start);
        }

        // EPB: interface id (32 bits); PB: interface id and drops count (16 bits each).
        var interfaceId = type == PcapFormat.PacketBlock ? U16(h) : U32(h);
        var timestamp = ((ulong)U32(h[4..]) << 32) | U32(h[8..]);
        var captured = U32(h[12..]);
        var original = U32(h[16..]);
        if (captured > PcapFormat.MaxCapturedLength)
        {
            Fail($"{Kind(type)} at byte {start} has a captured length of {captured} bytes (more than {PcapFormat.MaxCapturedLength}): the file is corrupt");
        }

        var padded = (captured + 3L) & ~3L;
        if (28 + padded + 4 > length)
        {
            Fail($"{Kind(type)} at byte {start}: captured length {captured} does not fit in its block of {length} bytes");
        }

        if (interfaceId >= (uint)_interfaces.Count)
        {
            Fail($"{Kind(type)} at byte {start} names interface {interfaceId}, but the section describes {_interfaces.Count}");
        }

        if (ReadUpTo(buffer[..(int)captured]) < captured || !Skip(length - 28L - captured - 4))
        {
            Truncated(type, length, start);
        }

        ReadTrailer(type, length, start);
        var iface = _interfaces[(int)interfaceId];
        return new PcapPacketInfo((int)captured, ClampLength(original), ToNanoseconds(timestamp, iface), start);
    }

    private PcapPacketInfo ReadSimplePacket(Span<byte> buffer, uint length, long start)
    {
        const uint type = PcapFormat.SimplePacketBlock;
        CheckLength(type, length, start, 16);
        if (_interfaces.Count == 0)
        {
            Fail($"simple packet block at byte {start} comes before any interface description block");
        }

        if (ReadUpTo(_header.AsSpan(8, 4)) < 4)
        {
            Truncated(type, length, start);
        }

        var original = U32(_header.AsSpan(8));
        var snapLength = _interfaces[0].SnapLength;
        var captured = Math.Min(original, length - 16);
        if (snapLength != 0)
        {
            captured = Math.Min(captured, snapLength);
        }

        if (captured > PcapFormat.MaxCapturedLength)
        {
            Fail($"simple packet block at byte {start} has a captured length of {captured} bytes (more than {PcapFormat.MaxCapturedLength}): the file is corrupt");
        }

        if (ReadUpTo(buffer[..(int)captured]) < captured || !Skip(length - 16L - captured))
        {
            Truncated(type, length, start);
        }

        ReadTrailer(type, length, start);

        // An SPB has no timestamp: it keeps the previous packet's time, so a paced replay does not stall.
        return new PcapPacketInfo((int)captured, ClampLength(original), _lastTimestamp, start);
    }

    /// <summary>Reads the rest of a block (after its first <paramref name="consumed"/> bytes, trailer included) into the scratch buffer.</summary>
    private ReadOnlySpan<byte> ReadBody(uint type, uint length, long start, int consumed)
    {
        var size = (int)length - consumed;
        if (_scratch.Length < size)
        {
            _scratch = new byte[Math.Max(size, 256)];
        }

        var body = _scratch.AsSpan(0, size);
        if (ReadUpTo(body) < size)
        {
            Truncated(type, length, start);
        }

        return body;
    }

    private void ReadTrailer(uint type, uint length, long start)
    {
        if (ReadUpTo(_header.AsSpan(28, 4)) < 4)
        {
            Truncated(type, length, start);
        }

        CheckTrailer(type, length, start, U32(_header.AsSpan(28)));
    }

    private void CheckTrailer(uint type, uint length, long start, uint trailer)
    {
        if (trailer != length)
        {
            Fail($"{Kind(type)} at byte {start}: length {length} does not match its trailer {trailer}");
        }
    }

    private void CheckLength(uint type, uint length, long start, uint minimum)
    {
        if (length < minimum || (length & 3) != 0)
        {
            Fail($"{Kind(type)} at byte {start} has an invalid length {length} (at least {minimum}, a multiple of 4)");
        }
    }

    [DoesNotReturn]
    private void Truncated(uint type, uint length, long start) =>
        Fail($"truncated {Kind(type)} at byte {start}: its length is {length} bytes, the file ends at byte {_position}");

    private static string Kind(uint type) => type switch
    {
        PcapFormat.SectionHeaderBlock => "section header block",
        PcapFormat.InterfaceDescriptionBlock => "interface description block",
        PcapFormat.EnhancedPacketBlock => "enhanced packet block",
        PcapFormat.SimplePacketBlock => "simple packet block",
        PcapFormat.PacketBlock => "packet block",
        _ => $"block of type 0x{type:x8}",
    };

    // ---- Time --------------------------------------------------------------------------------------

    /// <summary>A pcapng timestamp in units of the interface's if_tsresol (10^-n, or 2^-n with the high bit) to ns since the epoch.</summary>
    private static long ToNanoseconds(ulong timestamp, Interface iface)
    {
        var exponent = iface.Resolution & 0x7f;
        UInt128 ns;
        if ((iface.Resolution & 0x80) != 0)
        {
            ns = ((UInt128)timestamp * 1_000_000_000UL) >> exponent;
        }
        else if (exponent <= 9)
        {
            ns = (UInt128)timestamp * Pow10(9 - exponent);
        }
        else
        {
            ns = exponent - 9 <= 19 ? timestamp / Pow10(exponent - 9) : 0;
        }

        var value = ns > long.MaxValue ? long.MaxValue : (long)ns;
        return SaturatingAdd(value, iface.OffsetNs);
    }

    private static ulong Pow10(int n)
    {
        var value = 1UL;
        for (var i = 0; i < n; i++)
        {
            value *= 10;
        }

        return value;
    }

    private static long SaturatingSecondsToNs(long seconds) =>
        seconds > long.MaxValue / 1_000_000_000 ? long.MaxValue
        : seconds < long.MinValue / 1_000_000_000 ? long.MinValue
        : seconds * 1_000_000_000;

    private static long SaturatingAdd(long a, long b)
    {
        var sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? (a < 0 ? long.MinValue : long.MaxValue) : sum;
    }

    private static int ClampLength(uint length) => length > int.MaxValue ? int.MaxValue : (int)length;

    // ---- Bytes -------------------------------------------------------------------------------------

    private ushort U16(ReadOnlySpan<byte> s) => _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s);

    private uint U32(ReadOnlySpan<byte> s) => _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);

    private ulong U64(ReadOnlySpan<byte> s) => _bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(s) : BinaryPrimitives.ReadUInt64LittleEndian(s);

    /// <summary>Reads until <paramref name="destination"/> is full or the stream ends; returns the bytes read.</summary>
    private int ReadUpTo(Span<byte> destination)
    {
        var total = 0;
        while (total < destination.Length)
        {
            var n = _stream.Read(destination[total..]);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        _position += total;
        return total;
    }

    /// <summary>Skips <paramref name="count"/> bytes; false when the file ends first.</summary>
    private bool Skip(long count)
    {
        if (count <= 0)
        {
            return true;
        }

        if (_stream.CanSeek && count > SkipChunk)
        {
            var here = _stream.Position;
            var left = _stream.Length - here;
            if (count > left)
            {
                _stream.Seek(0, SeekOrigin.End);
                _position += left;
                return false;
            }

            _stream.Seek(count, SeekOrigin.Current);
            _position += count;
            return true;
        }

        if (_scratch.Length < SkipChunk)
        {
            _scratch = new byte[SkipChunk];
        }

        while (count > 0)
        {
            var chunk = (int)Math.Min(count, SkipChunk);
            if (ReadUpTo(_scratch.AsSpan(0, chunk)) < chunk)
            {
                return false;
            }

            count -= chunk;
        }

        return true;
    }

    [DoesNotReturn]
    private void Fail(string message) => Fail<bool>(NetmapError.EINVAL, message);

    [DoesNotReturn]
    private T Fail<T>(string message) => Fail<T>(NetmapError.EINVAL, message);

    [DoesNotReturn]
    private T Fail<T>(NetmapError code, string message)
    {
        _error = new NetmapException(code, Name, message);
        throw _error;
    }

    [DoesNotReturn]
    private void Fail(NetmapError code, string message) => Fail<bool>(code, message);
}
