using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using Pipeline.Runtime;
using Pipeline.Stages;

namespace Stages.Standard;

/// <summary>
/// Drops exact duplicates, as netmap's dedup: a packet is a duplicate when a packet with the same length and bytes
/// passed within the last <c>window</c> and is still among the last <c>max</c> packets that passed. Packets are
/// matched by a 64-bit hash of all their bytes, then compared byte for byte; the stage keeps a copy of each packet
/// it remembers (a ring of <c>max</c> preallocated buffers).
/// </summary>
/// <remarks>
/// Gates: <c>out</c>. Drops: <c>duplicate</c>. A duplicate is not remembered: the first copy's time counts. Times
/// are the batch's arrival on the pipeline's clock (<see cref="StageContext.Time"/>), so duplicates within one batch
/// are caught whatever the window. A multi-slot (MOREFRAG) packet is hashed slot by slot: it matches a packet with
/// the same bytes cut into the same slots.
/// </remarks>
/// <example><code>
/// stages:
///   once: { type: dedup, window: 100us, max: 32 }
/// pipes:
///   - span-a -> once -> analyzer
///   - span-b -> once
/// </code></example>
/// <seealso cref="DedupOptions"/>
/// <seealso cref="Mirror"/>
[Stage("dedup", Summary = "Drops exact duplicates of the last 'max' packets seen within 'window' (netmap's dedup)")]
public sealed class Dedup : IPacketStage
{
    private const ulong Prime1 = 0x9E3779B185EBCA87;
    private const ulong Prime2 = 0xC2B2AE3D27D4EB4F;
    private const ulong Prime3 = 0x165667B19E3779F9;
    private const ulong Prime4 = 0x85EBCA77C2B2AE63;
    private const ulong Prime5 = 0x27D4EB2F165667C5;

    private readonly long _windowNanoseconds;
    private readonly ulong[] _hashes;
    private readonly int[] _lengths;
    private readonly long[] _times;
    private readonly byte[][] _copies;
    private long _windowTicks = -1;
    private int _next;
    private int _count;

    /// <summary>A deduplicator as <paramref name="options"/> describes.</summary>
    public Dedup(DedupOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _windowNanoseconds = options.WindowNanoseconds;
        _hashes = new ulong[options.Max];
        _lengths = new int[options.Max];
        _times = new long[options.Max];
        _copies = new byte[options.Max][];
    }

    /// <inheritdoc/>
    public void OnBatch(PacketBatch batch, StageContext context)
    {
        if (_windowTicks < 0)
        {
            Start(context);
        }

        var now = context.Time.GetTimestamp();
        var oldest = now - _windowTicks;
        var view = batch.Open();
        var slots = view.Slots;
        for (var i = 0; i < slots.Length;)
        {
            var first = i;
            i = Fragments.End(slots, first, out var length);
            var hash = Prime5 + (ulong)length;
            for (var k = first; k < i; k++)
            {
                hash = Mix(hash, Hash(view[k].Data));
            }

            if (IsDuplicate(view, first, i, hash, length, oldest))
            {
                context.Drop(first, DropReason.Duplicate);
                continue;
            }

            // Remember it in the oldest entry.
            var entry = _next;
            _next = entry + 1 == _hashes.Length ? 0 : entry + 1;
            _count = Math.Min(_count + 1, _hashes.Length);
            _hashes[entry] = hash;
            _lengths[entry] = length;
            _times[entry] = now;
            var copy = _copies[entry];
            if (copy.Length < length)
            {
                copy = Grow(entry, length);
            }

            var at = 0;
            for (var k = first; k < i; k++)
            {
                var data = view[k].Data;
                data.CopyTo(copy.AsSpan(at));
                at += data.Length;
            }
        }
    }

    // Newest first; entries are in time order, so the first one older than the window ends the search.
    private bool IsDuplicate(BatchView view, int first, int end, ulong hash, int length, long oldest)
    {
        var entry = _next;
        for (var n = 0; n < _count; n++)
        {
            entry = entry == 0 ? _hashes.Length - 1 : entry - 1;
            if (_times[entry] < oldest)
            {
                return false;
            }

            if (_hashes[entry] != hash || _lengths[entry] != length)
            {
                continue;
            }

            var copy = _copies[entry].AsSpan(0, length);
            var at = 0;
            var same = true;
            for (var k = first; k < end && same; k++)
            {
                var data = view[k].Data;
                same = data.SequenceEqual(copy.Slice(at, data.Length));
                at += data.Length;
            }

            if (same)
            {
                return true;
            }
        }

        return false;
    }

    // xxHash64-style: four lanes over 32-byte blocks, then 8-byte words, then bytes, then the avalanche.
    private static ulong Hash(ReadOnlySpan<byte> data)
    {
        ulong a = unchecked(Prime1 + Prime2), b = Prime2, c = 0, d = unchecked(0 - Prime1);
        var rest = data;
        while (rest.Length >= 32)
        {
            a = Round(a, BinaryPrimitives.ReadUInt64LittleEndian(rest));
            b = Round(b, BinaryPrimitives.ReadUInt64LittleEndian(rest[8..]));
            c = Round(c, BinaryPrimitives.ReadUInt64LittleEndian(rest[16..]));
            d = Round(d, BinaryPrimitives.ReadUInt64LittleEndian(rest[24..]));
            rest = rest[32..];
        }

        var hash = BitOperations.RotateLeft(a, 1) + BitOperations.RotateLeft(b, 7) + BitOperations.RotateLeft(c, 12) + BitOperations.RotateLeft(d, 18);
        hash += (ulong)data.Length;
        while (rest.Length >= 8)
        {
            hash = (BitOperations.RotateLeft(hash ^ Round(0, BinaryPrimitives.ReadUInt64LittleEndian(rest)), 27) * Prime1) + Prime4;
            rest = rest[8..];
        }

        foreach (var octet in rest)
        {
            hash = BitOperations.RotateLeft(hash ^ (octet * Prime5), 11) * Prime1;
        }

        hash ^= hash >> 33;
        hash *= Prime2;
        hash ^= hash >> 29;
        hash *= Prime3;
        return hash ^ (hash >> 32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Round(ulong accumulator, ulong input) => BitOperations.RotateLeft(accumulator + (input * Prime2), 31) * Prime1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong hash, ulong part) => (BitOperations.RotateLeft(hash ^ part, 27) * Prime1) + Prime4;

    // The ring is allocated once, at the first batch (the buffer size is the arena's).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Start(StageContext context)
    {
        for (var e = 0; e < _copies.Length; e++)
        {
            _copies[e] = new byte[context.Arena.BufferSize];
        }

        _windowTicks = ShapingUnits.ToTicks(_windowNanoseconds, ShapingUnits.FrequencyOf(context.Time));
    }

    // A multi-slot packet longer than a buffer: this entry's copy grows once to fit it.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private byte[] Grow(int entry, int length) => _copies[entry] = new byte[length];
}
