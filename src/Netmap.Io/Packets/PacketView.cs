using System.Runtime.CompilerServices;
using Netmap.Io.Memory;
using Netmap.Io.Rings;

namespace Netmap.Io.Packets;

/// <summary>
/// One slot's packet over the arena: its bytes at the slot's offset, and header push and pop by moving the
/// offset, with no copy (Click's <c>push</c>/<c>pull</c>; here <see cref="Push"/>/<see cref="Pop"/>).
/// </summary>
/// <remarks>
/// A ref struct: valid only while the caller owns the slot (it is in the user's [Head, Tail)); it cannot be
/// stored or captured. The offset is moved only here.
/// </remarks>
public readonly ref struct PacketView
{
    private readonly ref Slot _slot;
    private readonly BufferArena _arena;
    private readonly ulong _mask;
    private readonly ulong _maxOffset;
    private readonly string _subject;

    /// <summary>A view of <paramref name="slot"/>, which must belong to <paramref name="ring"/>.</summary>
    public PacketView(Ring ring, ref Slot slot)
        : this(ring.Arena, ref slot, ring.OffsetMask, ring.MaxOffset, ring.Port.Name)
    {
    }

    /// <summary>
    /// A view of a slot held outside a ring (a batch): its buffer is in <paramref name="arena"/>, its offset is
    /// the raw field masked by <paramref name="offsetMask"/> and cropped to <paramref name="maxOffset"/>;
    /// <paramref name="subject"/> names the holder in error messages.
    /// </summary>
    public PacketView(BufferArena arena, ref Slot slot, ulong offsetMask, ulong maxOffset, string subject)
    {
        _arena = arena;
        _slot = ref slot;
        _mask = offsetMask;
        _maxOffset = maxOffset;
        _subject = subject;
    }

    /// <summary>The slot under the view.</summary>
    public ref Slot Slot => ref _slot;

    /// <summary>The buffer index.</summary>
    public uint BufIdx => _slot.BufIdx;

    /// <summary>Slot flags.</summary>
    public SlotFlags Flags => _slot.Flags;

    /// <summary>The offset of the packet in its buffer (masked and cropped to the ring's max offset).</summary>
    public int Offset
    {
        get
        {
            var offset = _slot.Offset & _mask;
            return (int)(offset > _maxOffset ? _maxOffset : offset);
        }
    }

    /// <summary>Packet bytes in this slot.</summary>
    public int Length => _slot.Len;

    /// <summary>Bytes free before the packet that <see cref="Push"/> can use.</summary>
    public int Headroom => Offset;

    /// <summary>Bytes free after the packet that <see cref="Put"/> can use.</summary>
    public int Tailroom => Math.Max(0, _arena.BufferSize - Offset - _slot.Len);

    /// <summary>The packet's bytes: buffer[offset, offset + len), clamped to the buffer.</summary>
    public Span<byte> Data
    {
        get
        {
            var offset = Offset;
            var buffer = _arena.GetBuffer(_slot.BufIdx);
            var len = Math.Min(_slot.Len, buffer.Length - offset);
            return buffer.Slice(offset, len);
        }
    }

    /// <summary>The whole buffer under the packet.</summary>
    public Span<byte> Buffer => _arena.GetBuffer(_slot.BufIdx);

    /// <summary>
    /// Adds <paramref name="n"/> bytes of header in front of the packet: offset -= n, len += n. Returns the new
    /// header bytes. Fails (ENOSPC) when the headroom is smaller than n.
    /// </summary>
    public Span<byte> Push(int n)
    {
        if (!TryPush(n, out var header))
        {
            ThrowNoHeadroom(n);
        }

        return header;
    }

    /// <summary>As <see cref="Push"/>, returning false instead of throwing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryPush(int n, out Span<byte> header)
    {
        var offset = Offset;
        if ((uint)n > (uint)offset || _slot.Len + n > ushort.MaxValue)
        {
            header = default;
            return false;
        }

        var start = offset - n;
        _slot.Offset = (_slot.Offset & ~_mask) | ((ulong)start & _mask);
        _slot.Len = (ushort)(_slot.Len + n);
        header = _arena.GetBuffer(_slot.BufIdx).Slice(start, n);
        return true;
    }

    /// <summary>
    /// Strips <paramref name="n"/> bytes from the front: offset += n, len -= n. Fails (EINVAL) when the packet is
    /// shorter than n, or (ENOSPC) when the new offset would pass the ring's max offset.
    /// </summary>
    public void Pop(int n)
    {
        if (!TryPop(n))
        {
            ThrowCannotPop(n);
        }
    }

    /// <summary>As <see cref="Pop"/>, returning false instead of throwing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryPop(int n)
    {
        var offset = Offset;
        if ((uint)n > _slot.Len || (ulong)(offset + n) > _maxOffset)
        {
            return false;
        }

        _slot.Offset = (_slot.Offset & ~_mask) | ((ulong)(offset + n) & _mask);
        _slot.Len = (ushort)(_slot.Len - n);
        return true;
    }

    /// <summary>Adds <paramref name="n"/> bytes at the tail: len += n; returns them. Fails (ENOSPC) without tailroom.</summary>
    public Span<byte> Put(int n)
    {
        if ((uint)n > (uint)Tailroom)
        {
            ThrowHelper.Netmap(NetmapError.ENOSPC, _subject, $"put of {n} bytes: only {Tailroom} bytes of tailroom");
        }

        var end = Offset + _slot.Len;
        _slot.Len = (ushort)(_slot.Len + n);
        return _arena.GetBuffer(_slot.BufIdx).Slice(end, n);
    }

    /// <summary>Removes <paramref name="n"/> bytes from the tail: len -= n. Fails (EINVAL) when the packet is shorter.</summary>
    public void Take(int n)
    {
        if ((uint)n > _slot.Len)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, _subject, $"take of {n} bytes from a {_slot.Len}-byte packet");
        }

        _slot.Len = (ushort)(_slot.Len - n);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowNoHeadroom(int n) =>
        ThrowHelper.Netmap(NetmapError.ENOSPC, _subject,
            n < 0 ? $"push of {n} bytes" : $"push of {n} bytes: only {Offset} bytes of headroom (open the port with offsets for more)");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowCannotPop(int n)
    {
        if ((uint)n > _slot.Len)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, _subject, $"pop of {n} bytes from a {_slot.Len}-byte packet");
        }

        ThrowHelper.Netmap(NetmapError.ENOSPC, _subject, $"pop of {n} bytes would move the offset to {Offset + n}, past the max offset {_maxOffset}");
    }
}
