using Netmap.Io.Rings;

namespace Stages.Standard;

// A multi-slot packet is consecutive slots, MOREFRAG on all but the last; its verdict is its first slot's.
internal static class Fragments
{
    /// <summary>The index after the last slot of the packet starting at <paramref name="start"/>, and its bytes over all its slots.</summary>
    public static int End(ReadOnlySpan<Slot> slots, int start, out int bytes)
    {
        var end = start;
        var total = 0;
        while (end < slots.Length)
        {
            ref readonly var slot = ref slots[end++];
            total += slot.Len;
            if ((slot.Flags & SlotFlags.MoreFrag) == 0)
            {
                break;
            }
        }

        bytes = total;
        return end;
    }
}
