using System.Buffers.Binary;
using System.Runtime.Serialization;

namespace Pipeline.Cluster.Wire;

/// <summary>
/// Packets on a cross-node pipe: the one message that carries packet bytes between nodes. The payload is the
/// wire form itself, so the serializer neither copies nor re-encodes it.
/// </summary>
/// <remarks>
/// Layout (little-endian): a header of version (1 byte), edge (int32), sender uid (int32), sequence (int64),
/// origin source-in (int64: the sender node's packets read from its own ports so far, for the accounting of a
/// lost node), packet count (int32); then per packet its length (uint16) and its bytes.
/// </remarks>
internal sealed class LinkBatch : IClusterMessage
{
    public const byte Version = 1;
    public const int HeaderSize = 1 + 4 + 4 + 8 + 8 + 4;
    public const int LengthSize = 2;

    /// <summary>The largest packet a link carries (its length is a uint16).</summary>
    public const int MaxPacket = ushort.MaxValue;

    private LinkBatch(byte[] payload, int edge, int senderUid, long sequence, long originSourceIn, int count)
    {
        Payload = payload;
        Edge = edge;
        SenderUid = senderUid;
        Sequence = sequence;
        OriginSourceIn = originSourceIn;
        Count = count;
    }

    /// <summary>The wire form: header and packets.</summary>
    public byte[] Payload { get; }

    /// <summary>The pipe (edge index in the pipeline definition) the packets travel on.</summary>
    public int Edge { get; }

    /// <summary>The sending node's incarnation (Akka's unique-address uid).</summary>
    public int SenderUid { get; }

    /// <summary>Per sender and target, from 1: acknowledged by <see cref="LinkAck"/>.</summary>
    public long Sequence { get; }

    /// <summary>Packets the sender node had read from its own ports when it sent this.</summary>
    public long OriginSourceIn { get; }

    /// <summary>Packets in the batch.</summary>
    public int Count { get; }

    /// <summary>Bytes of packet data (without the framing).</summary>
    public long PacketBytes => Payload.Length - HeaderSize - ((long)Count * LengthSize);

    /// <summary>Wraps a payload that <see cref="LinkBatchWriter"/> wrote: its header is trusted.</summary>
    internal static LinkBatch Sealed(byte[] payload, int edge, int senderUid, long sequence, long originSourceIn, int count) =>
        new(payload, edge, senderUid, sequence, originSourceIn, count);

    /// <summary>Reads a payload from the wire, checking every length; a bad one throws <see cref="SerializationException"/>.</summary>
    public static LinkBatch Parse(byte[] payload)
    {
        if (payload.Length < HeaderSize)
        {
            throw new SerializationException($"link batch: {payload.Length} bytes is shorter than its {HeaderSize}-byte header");
        }

        if (payload[0] != Version)
        {
            throw new SerializationException($"link batch: version {payload[0]}, expected {Version} (do all nodes run the same build?)");
        }

        var span = payload.AsSpan();
        var count = BinaryPrimitives.ReadInt32LittleEndian(span[25..]);
        if (count < 0)
        {
            throw new SerializationException($"link batch: negative packet count {count}");
        }

        // Walk the framing once: every length must fit, and the packets must end the payload exactly.
        var at = HeaderSize;
        for (var i = 0; i < count; i++)
        {
            if (payload.Length - at < LengthSize)
            {
                throw new SerializationException($"link batch: packet {i} of {count} has no length (the payload ends at byte {at})");
            }

            var length = BinaryPrimitives.ReadUInt16LittleEndian(span[at..]);
            at += LengthSize;
            if (payload.Length - at < length)
            {
                throw new SerializationException($"link batch: packet {i} of {count} is {length} bytes but only {payload.Length - at} remain");
            }

            at += length;
        }

        if (at != payload.Length)
        {
            throw new SerializationException($"link batch: {payload.Length - at} bytes after the last of {count} packets");
        }

        return new LinkBatch(
            payload,
            BinaryPrimitives.ReadInt32LittleEndian(span[1..]),
            BinaryPrimitives.ReadInt32LittleEndian(span[5..]),
            BinaryPrimitives.ReadInt64LittleEndian(span[9..]),
            BinaryPrimitives.ReadInt64LittleEndian(span[17..]),
            count);
    }

    /// <summary>The packet at byte <paramref name="at"/> of the payload; <paramref name="at"/> moves past it.</summary>
    public ReadOnlySpan<byte> Next(ref int at)
    {
        var length = BinaryPrimitives.ReadUInt16LittleEndian(Payload.AsSpan(at));
        var packet = Payload.AsSpan(at + LengthSize, length);
        at += LengthSize + length;
        return packet;
    }
}
