using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Netmap.Io.Rings;

/// <summary>
/// One ring slot, 16 bytes as in netmap: the buffer it points at, the packet length in that buffer,
/// flags, and the offset field (netmap's <c>ptr</c>).
/// </summary>
/// <remarks>
/// <see cref="Offset"/> is raw: a ring opened with offsets reads its low bits through the ring's
/// <see cref="Ring.OffsetMask"/> (see <see cref="Ring.GetOffset"/>); rings without offsets ignore it.
/// Ownership: a slot, and the buffer it names, belongs to the user while its index is in the ring's
/// [Head, Tail), and to the port otherwise.
/// </remarks>
[StructLayout(LayoutKind.Sequential, Size = 16)]
public struct Slot
{
    /// <summary>Index of the buffer in the arena; 0 and 1 are never valid packet buffers.</summary>
    public uint BufIdx;

    /// <summary>Bytes of packet data in this slot (this fragment's length for MOREFRAG chains).</summary>
    public ushort Len;

    /// <summary>Netmap slot flags.</summary>
    public SlotFlags Flags;

    /// <summary>The offset field: the packet starts at buffer + (Offset &amp; ring mask).</summary>
    public ulong Offset;

    // The slot as two 64-bit words, for loops that move slots whole (a pipe's syncs): two stores per slot instead
    // of four. Word 0 is BufIdx | Len << 32 | Flags << 48 (little-endian layout, the only one .NET runs on here),
    // word 1 the offset field. Loads stay field by field where the user may just have written the fields: an
    // 8-byte load over recent 2-byte stores cannot be forwarded from the store buffer and waits for them.

    /// <summary><see cref="SlotFlags.MoreFrag"/> in word 0.</summary>
    internal const ulong MoreFragBit = (ulong)SlotFlags.MoreFrag << 48;

    /// <summary>Word 0 of <paramref name="slot"/>: index, length and flags.</summary>
    /// <remarks>SAFETY: reinterprets the 16-byte sequential struct's first 8 bytes; little-endian only (asserted).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ref ulong Word0(ref Slot slot)
    {
        Debug.Assert(BitConverter.IsLittleEndian);
        return ref Unsafe.As<Slot, ulong>(ref slot);
    }

    /// <summary>Word 1 of <paramref name="slot"/>: the offset field.</summary>
    /// <remarks>SAFETY: the struct is 16 bytes, so the second word is inside it.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ref ulong Word1(ref Slot slot) => ref Unsafe.Add(ref Unsafe.As<Slot, ulong>(ref slot), 1);
}
