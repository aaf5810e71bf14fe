using System.Buffers.Binary;

namespace Pipeline.Cluster.Wire;

/// <summary>
/// Packs packets into the next <see cref="LinkBatch"/> for one target: a scratch buffer the size of the largest
/// message, filled packet by packet straight from the ring buffers, then sealed into a payload of the exact size.
/// </summary>
/// <remarks>Thread: one out-link actor. The scratch is allocated once; a sealed batch allocates its payload.</remarks>
internal sealed class LinkBatchWriter
{
    private readonly byte[] _scratch;
    private readonly int _maxPackets;
    private int _length = LinkBatch.HeaderSize;

    /// <summary>Batches of at most <paramref name="maxMessageBytes"/> bytes and <paramref name="maxPackets"/> packets.</summary>
    public LinkBatchWriter(int maxMessageBytes, int maxPackets = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessageBytes, LinkBatch.HeaderSize + LinkBatch.LengthSize + 64);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPackets, 1);
        _scratch = new byte[maxMessageBytes];
        _maxPackets = maxPackets;
    }

    /// <summary>Packets written since the last seal.</summary>
    public int Count { get; private set; }

    /// <summary>The largest packet that fits in an empty batch.</summary>
    public int MaxPacket => Math.Min(LinkBatch.MaxPacket, _scratch.Length - LinkBatch.HeaderSize - LinkBatch.LengthSize);

    /// <summary>True when a packet of <paramref name="length"/> bytes fits in this batch.</summary>
    public bool HasRoom(int length) => Count < _maxPackets && _scratch.Length - _length >= LinkBatch.LengthSize + length;

    /// <summary>Room for a packet of <paramref name="length"/> bytes; <see cref="Commit"/> it once written.</summary>
    public Span<byte> Reserve(int length) => _scratch.AsSpan(_length + LinkBatch.LengthSize, length);

    /// <summary>Adds the packet written into <see cref="Reserve"/>.</summary>
    public void Commit(int length)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_scratch.AsSpan(_length), (ushort)length);
        _length += LinkBatch.LengthSize + length;
        Count++;
    }

    /// <summary>The batch of the packets written so far (an exact-size copy); the writer starts a new one.</summary>
    public LinkBatch Seal(int edge, int senderUid, long sequence, long originSourceIn)
    {
        var span = _scratch.AsSpan();
        span[0] = LinkBatch.Version;
        BinaryPrimitives.WriteInt32LittleEndian(span[1..], edge);
        BinaryPrimitives.WriteInt32LittleEndian(span[5..], senderUid);
        BinaryPrimitives.WriteInt64LittleEndian(span[9..], sequence);
        BinaryPrimitives.WriteInt64LittleEndian(span[17..], originSourceIn);
        BinaryPrimitives.WriteInt32LittleEndian(span[25..], Count);
        var batch = LinkBatch.Sealed(span[.._length].ToArray(), edge, senderUid, sequence, originSourceIn, Count);
        Discard();
        return batch;
    }

    /// <summary>Forgets the packets written since the last seal.</summary>
    public void Discard()
    {
        _length = LinkBatch.HeaderSize;
        Count = 0;
    }
}
