using Netmap.Io.Rings;
using Pipeline.Runtime;
using Pipeline.Stages;

namespace Stages.Standard;

/// <summary>
/// Counts the packets and bytes that pass and passes every one on unchanged, as Click's <c>Counter</c>: a tap
/// point to put anywhere in a pipeline. A multi-slot (MOREFRAG) packet counts once, with the bytes of all its slots.
/// </summary>
/// <remarks>Gates: <c>out</c>. Drops: none. The counts are updated once per batch.</remarks>
/// <example><code>
/// stages:
///   seen: { type: counter }
/// pipes:
///   - wan -> seen -> lan
/// </code></example>
/// <seealso cref="Ethernet.VlanPush"/>
/// <seealso cref="Ethernet.VlanPop"/>
[Stage("counter", Summary = "Counts packets and bytes and passes them on")]
public sealed class Counter : IPacketStage
{
    private long _packets;
    private long _bytes;

    /// <summary>Packets counted since the stage started.</summary>
    public long Packets => Volatile.Read(ref _packets);

    /// <summary>Bytes counted since the stage started (every slot's length).</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    /// <inheritdoc/>
    public void OnBatch(PacketBatch batch, StageContext context)
    {
        long packets = 0;
        long bytes = 0;
        foreach (ref readonly var slot in batch.Open().Slots)
        {
            bytes += slot.Len;
            if ((slot.Flags & SlotFlags.MoreFrag) == 0)
            {
                packets++;
            }
        }

        // One write each per batch; Volatile so a reader on another thread (a live view) sees whole values.
        Volatile.Write(ref _packets, _packets + packets);
        Volatile.Write(ref _bytes, _bytes + bytes);
    }
}
