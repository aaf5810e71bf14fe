using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Netmap.Io.Memory;
using Netmap.Io.Rings;

namespace Pipeline.Cli.Bench;

/// <summary>How the bench loops fill TX slots and read RX slots, as pipebench.c's producer and consumer do.</summary>
internal static class SlotWriter
{
    /// <summary>pipebench's Ethernet header: dst 02:00:00:00:00:02, src 02:00:00:00:00:01, IPv4.</summary>
    public static ReadOnlySpan<byte> EthernetTemplate => [0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00];

    /// <summary>Ethernet header bytes.</summary>
    public const int EthernetLength = 14;

    /// <summary>
    /// Writes one packet of <paramref name="size"/> bytes from slot <paramref name="i"/> on: <paramref name="header"/>
    /// at <paramref name="offset"/> in the first buffer (the payload is left as the buffer has it, as pipebench
    /// does), <paramref name="capacity"/> bytes per slot, MOREFRAG on all but the last. With
    /// <paramref name="mark"/> at 0 or more, byte 5 (the destination MAC's last) is set to it, so every header
    /// write differs. Returns the slot after the packet. The caller checked there are enough free slots.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Write(Ring tx, BufferArena arena, uint i, ReadOnlySpan<byte> header, int size, int capacity, int offset, int mark)
    {
        ref var first = ref tx[i];
        var data = arena.GetBuffer(first.BufIdx)[offset..];
        header.CopyTo(data);
        if (mark >= 0)
        {
            data[5] = (byte)mark;
        }

        var remaining = size;
        while (true)
        {
            ref var slot = ref tx[i];
            tx.SetOffset(ref slot, (ulong)offset); // no effect on a ring registered without offsets
            var len = remaining < capacity ? remaining : capacity;
            slot.Len = (ushort)len;
            remaining -= len;
            slot.Flags = remaining > 0 ? SlotFlags.MoreFrag : SlotFlags.None;
            i = tx.Next(i);
            if (remaining == 0)
            {
                return i;
            }
        }
    }

    /// <summary>pipebench's consume: dst+src (8 + 4 bytes) and the EtherType, xored with the length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong ReadHeader(ReadOnlySpan<byte> packet, int length)
    {
        var header = packet[..EthernetLength];
        return BinaryPrimitives.ReadUInt64LittleEndian(header)
            ^ BinaryPrimitives.ReadUInt32LittleEndian(header[8..])
            ^ BinaryPrimitives.ReadUInt16LittleEndian(header[12..])
            ^ (ulong)length;
    }

    /// <summary>
    /// pipebench's consume over the RX slots [<paramref name="j"/>, <paramref name="tail"/>): each frame's header (its
    /// first slot) into a checksum, whole frames added to <paramref name="received"/>. A method of its own, so its loop
    /// gets the registers to itself.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong Consume(Ring rx, uint j, uint tail, ref long received)
    {
        var view = rx.View();
        ulong sum = 0;
        var start = true;
        while (j != tail)
        {
            ref readonly var slot = ref view[j];
            if (start)
            {
                sum += ReadHeader(view.Buffer(slot.BufIdx), slot.Len);
            }

            start = (slot.Flags & SlotFlags.MoreFrag) == 0;
            if (start)
            {
                received++;
            }

            j = view.Next(j);
        }

        return sum;
    }

    /// <summary>Slots a packet of <paramref name="size"/> bytes takes at <paramref name="capacity"/> bytes per slot.</summary>
    public static int Fragments(int size, int capacity) => (size + capacity - 1) / capacity;

    /// <summary>
    /// Why a pipeline with batches of <paramref name="batch"/> slots cannot carry frames of <paramref name="size"/> bytes
    /// at <paramref name="capacity"/> bytes per slot (it would drop every one as too-big), or null.
    /// </summary>
    public static string? Unfit(int size, int batch, int capacity)
    {
        var fragments = Fragments(size, capacity);
        return fragments > batch
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"a {size}-byte frame takes {fragments} slots, more than a batch of {batch}: the runtime would drop every one as too-big")
            : null;
    }
}
