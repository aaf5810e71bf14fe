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
}
