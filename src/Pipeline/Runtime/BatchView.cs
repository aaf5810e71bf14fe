using System.Runtime.CompilerServices;
using Netmap.Io.Packets;
using Netmap.Io.Rings;

namespace Pipeline.Runtime;

/// <summary>
/// The packets of a batch, valid while the batch has the owner it had when opened: every access checks
/// the batch's generation, so a view kept past a send throws <see cref="OwnershipException"/>.
/// </summary>
public readonly ref struct BatchView
{
    private readonly PacketBatch _batch;
    private readonly int _generation;

    internal BatchView(PacketBatch batch, int generation)
    {
        _batch = batch;
        _generation = generation;
    }

    /// <summary>Packets in the batch.</summary>
    public int Count
    {
        get
        {
            Check();
            return _batch.Count;
        }
    }

    /// <summary>The packets' slots (buffer index, length, flags, offset).</summary>
    public Span<Slot> Slots
    {
        get
        {
            Check();
            return _batch.Slots;
        }
    }

    /// <summary>The packets' metadata.</summary>
    public Span<PacketMeta> Meta
    {
        get
        {
            Check();
            return _batch.Meta;
        }
    }

    /// <summary>Packet <paramref name="index"/>: its bytes, and Push/Pop by offset.</summary>
    public PacketView this[int index]
    {
        get
        {
            Check();
            if ((uint)index >= (uint)_batch.Count)
            {
                ThrowIndex(index);
            }

            var arena = _batch.Arena;
            return new PacketView(arena, ref _batch.SlotArray[index], ulong.MaxValue, (ulong)arena.BufferSize, "batch");
        }
    }

    /// <summary>
    /// True when entry <paramref name="index"/> continues a multi-slot packet (the entry before it has
    /// MOREFRAG): its headers and its verdict belong to the packet's first entry, so stages skip it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsContinuation(ReadOnlySpan<Slot> slots, int index) =>
        index > 0 && (slots[index - 1].Flags & SlotFlags.MoreFrag) != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Check()
    {
        if (_batch.Generation != _generation)
        {
            _batch.ThrowStale(_generation);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowIndex(int index) =>
        throw new ArgumentOutOfRangeException(nameof(index), $"packet {index} of a batch of {_batch.Count}");
}
