using Netmap.Io.Rings;

namespace Pipeline.Runtime;

/// <summary>Packet and byte counts of slots, a multi-slot (MOREFRAG) packet counting once.</summary>
internal static class BatchStats
{
    public static (long Packets, long Bytes) Measure(ReadOnlySpan<Slot> slots)
    {
        long packets = 0;
        long bytes = 0;
        foreach (ref readonly var slot in slots)
        {
            bytes += slot.Len;
            if ((slot.Flags & SlotFlags.MoreFrag) == 0)
            {
                packets++;
            }
        }

        return (packets, bytes);
    }

    /// <summary>The index after the packet that starts at <paramref name="start"/> (its MOREFRAG chain).</summary>
    public static int PacketEnd(ReadOnlySpan<Slot> slots, int start)
    {
        var i = start;
        while (i < slots.Length - 1 && (slots[i].Flags & SlotFlags.MoreFrag) != 0)
        {
            i++;
        }

        return i + 1;
    }
}
