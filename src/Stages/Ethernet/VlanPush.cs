using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Netmap.Io.Packets;
using Pipeline.Runtime;
using Pipeline.Stages;

namespace Stages.Ethernet;

/// <summary>
/// Inserts an 802.1Q tag (802.1ad with <c>tpid: 0x88a8</c>, the outer tag of QinQ) after the MAC addresses,
/// as Click's <c>VLANEncap</c>. The tag goes into the headroom: the offset moves back 4 bytes and the 12 MAC
/// bytes move 4 bytes to the front; nothing else is copied.
/// </summary>
/// <remarks>
/// Gates: <c>out</c>. Drops: a packet shorter than an Ethernet header (<c>malformed</c>); a packet with less than
/// 4 bytes of headroom and of tailroom (<c>too-big</c>). A packet with no headroom but room at the tail takes the
/// slow path: everything after the MACs moves 4 bytes to the tail (<see cref="SlowPathPackets"/> counts them).
/// A multi-slot (MOREFRAG) packet is tagged in its first slot.
/// </remarks>
/// <example><code>
/// stages:
///   tag: { type: vlan-push, vid: 100, pcp: 5 }
///   outer: { type: vlan-push, vid: 20, tpid: 0x88a8 }
/// pipes:
///   - wan -> tag -> outer -> lan
/// </code></example>
/// <seealso cref="VlanPop"/>
/// <seealso cref="VlanPushOptions"/>
[Stage("vlan-push", Summary = "Pushes an 802.1Q tag (802.1ad with tpid 0x88a8) after the MACs")]
public sealed class VlanPush : IPacketStage
{
    private readonly uint _tag;
    private long _slowPathPackets;

    /// <summary>A stage that pushes the tag <paramref name="options"/> describes.</summary>
    public VlanPush(VlanPushOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        // TPID, then TCI = PCP(3) DEI(1) VID(12); the options record has range-checked each field.
        _tag = ((uint)options.Tpid << 16) | ((uint)options.Pcp << 13) | ((uint)options.Dei << 12) | options.Vid;
    }

    /// <summary>Packets tagged on the slow path (no headroom, moved towards the tail) since the stage started.</summary>
    public long SlowPathPackets => Volatile.Read(ref _slowPathPackets);

    /// <inheritdoc/>
    public void OnBatch(PacketBatch batch, StageContext context)
    {
        var view = batch.Open();
        var slots = view.Slots;
        long slow = 0;
        for (var i = 0; i < slots.Length; i++)
        {
            if (BatchView.IsContinuation(slots, i))
            {
                continue; // a multi-slot packet's headers and verdict are in its first slot
            }

            var packet = view[i];
            if (packet.Length < EthernetFields.HeaderLength)
            {
                context.Drop(i, DropReason.Malformed);
            }
            else if (packet.TryPush(EthernetFields.TagLength, out _))
            {
                var data = packet.Data;
                data.Slice(EthernetFields.TagLength, EthernetFields.MacsLength).CopyTo(data); // memmove: the spans overlap
                BinaryPrimitives.WriteUInt32BigEndian(data.Slice(EthernetFields.EtherTypeOffset), _tag);
            }
            else if (TryPushAtTail(packet))
            {
                slow++;
            }
            else
            {
                context.Drop(i, DropReason.TooBig);
            }
        }

        if (slow != 0)
        {
            // One write per batch; Volatile so a reader on another thread (a live view) sees whole values.
            Volatile.Write(ref _slowPathPackets, _slowPathPackets + slow);
        }
    }

    // No headroom: grow the packet at the tail and move everything after the MACs 4 bytes along.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryPushAtTail(PacketView packet)
    {
        if (packet.Tailroom < EthernetFields.TagLength)
        {
            return false;
        }

        var length = packet.Length;
        packet.Put(EthernetFields.TagLength);
        var data = packet.Data;
        data[EthernetFields.EtherTypeOffset..length].CopyTo(data.Slice(EthernetFields.EtherTypeOffset + EthernetFields.TagLength)); // memmove
        BinaryPrimitives.WriteUInt32BigEndian(data.Slice(EthernetFields.EtherTypeOffset), _tag);
        return true;
    }
}
