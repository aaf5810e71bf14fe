using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Netmap.Io.Memory;

namespace Netmap.Io.Rings;

/// <summary>
/// A ring's slots and its arena's buffers for a per-packet loop: what netmap's <c>NETMAP_BUF(ring, idx)</c> and
/// <c>ring->slot[i]</c> give C, read once into a stack value.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Ring"/>'s indexer and <see cref="BufferArena.GetBuffer"/> read the ring's and the arena's fields
/// on every call, and the JIT cannot keep those reads out of a loop that writes packet bytes (a write through a
/// span may alias any heap field). A view copies the slot array's address, the slot count, the arena's base,
/// stride, buffer count and buffer size into its own fields once, so a loop over a batch does one compare and
/// one multiply-add per buffer, as C does. Every index is still checked: a slot index against the slot count,
/// a buffer index against the buffer count.
/// </para>
/// <para>
/// A ref struct: it lives on the stack of the loop that took it, never longer than the ring's binding
/// (<see cref="Ring.View"/>). It holds no ownership; the usual rule holds: the user touches only slots in its
/// [Head, Tail), and only between syncs.
/// </para>
/// </remarks>
/// <example><code>
/// var tx = handle.TxRing;
/// var view = tx.View();
/// for (var i = tx.Head; i != tx.Tail; i = view.Next(i))
/// {
///     ref var slot = ref view[i];
///     header.CopyTo(view.Buffer(in slot));
///     slot.Len = 64;
/// }
/// </code></example>
public readonly unsafe ref struct RingView
{
    private readonly ref Slot _slots;
    private readonly byte* _base;
    private readonly nint _stride;
    private readonly uint _numSlots;
    private readonly uint _bufferCount;
    private readonly int _bufferSize;

    internal RingView(Slot[] slots, BufferArena arena)
    {
        _slots = ref MemoryMarshal.GetArrayDataReference(slots);
        _numSlots = (uint)slots.Length;
        _base = arena.BasePointer;
        _stride = arena.Stride;
        _bufferCount = (uint)arena.BufferCount;
        _bufferSize = arena.BufferSize;
    }

    /// <summary>Slots in the ring.</summary>
    public uint NumSlots => _numSlots;

    /// <summary>Bytes in each buffer.</summary>
    public int BufferSize => _bufferSize;

    /// <summary>The slot at <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not below <see cref="NumSlots"/>.</exception>
    public ref Slot this[uint index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if (index >= _numSlots)
            {
                ThrowSlotIndex(index);
            }

            return ref Unsafe.Add(ref _slots, (nint)index);
        }
    }

    /// <summary>The index after <paramref name="index"/>, wrapping at <see cref="NumSlots"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Next(uint index) => index + 1 == _numSlots ? 0 : index + 1;

    /// <summary>The whole <see cref="BufferSize"/> bytes of buffer <paramref name="bufIdx"/> (netmap's <c>NETMAP_BUF</c>).</summary>
    /// <exception cref="ArenaException"><paramref name="bufIdx"/> is not a buffer of the arena.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> Buffer(uint bufIdx)
    {
        if (bufIdx >= _bufferCount)
        {
            ThrowBufferIndex(bufIdx);
        }

        // SAFETY: bufIdx < BufferCount, so [base + bufIdx*stride, + BufferSize) is inside the arena's region, which
        // outlives every binding of the ring this view was taken from.
        return MemoryMarshal.CreateSpan(ref *(_base + ((nint)bufIdx * _stride)), _bufferSize);
    }

    /// <summary>The whole buffer of <paramref name="slot"/>, from byte 0 (the slot's offset is not applied).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> Buffer(in Slot slot) => Buffer(slot.BufIdx);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowSlotIndex(uint index) =>
        throw new ArgumentOutOfRangeException(nameof(index), index, $"slot {index} is outside a ring of {_numSlots} slots");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowBufferIndex(uint bufIdx) =>
        throw new ArenaException(ArenaViolation.InvalidIndex, $"buffer index {bufIdx} is outside the arena ({_bufferCount} buffers)");
}
