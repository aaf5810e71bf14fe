using System.Buffers.Binary;
using Pipeline.Runtime;
using Pipeline.Stages;

namespace Stages.Ethernet;

/// <summary>
/// Removes the outer 802.1Q or 802.1ad tag (TPID 0x8100 or 0x88a8) after the MAC addresses, as Click's
/// <c>VLANDecap</c>: the 12 MAC bytes move 4 bytes to the tail and the offset moves forward 4 bytes, so the freed
/// bytes become headroom; nothing else is copied.
/// </summary>
/// <remarks>
/// Gates: <c>out</c> (tagged packets, tag removed); <c>untagged</c> (packets without a tag, unchanged), used only
/// when a pipe connects it: otherwise untagged packets pass on <c>out</c>. Drops: a packet shorter than an
/// Ethernet header, or one whose tag is cut short (<c>malformed</c>). A multi-slot (MOREFRAG) packet's tag is read
/// in its first slot.
/// </remarks>
/// <example><code>
/// stages:
///   untag: { type: vlan-pop }
/// pipes:
///   - trunk -> untag -> access
///   - untag.untagged -> drop
/// </code></example>
/// <seealso cref="VlanPush"/>
[Stage("vlan-pop", Gates = ["out", UntaggedGate], Summary = "Pops the outer 802.1Q/802.1ad tag; untagged packets leave by 'untagged' if connected")]
public sealed class VlanPop : IPacketStage
{
    private const string UntaggedGate = "untagged";

    /// <inheritdoc/>
    public void OnBatch(PacketBatch batch, StageContext context)
    {
        var untagged = context.Gate(UntaggedGate);
        var divert = context.IsConnected(untagged);
        var view = batch.Open();
        var slots = view.Slots;
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
                continue;
            }

            var data = packet.Data;
            var tpid = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(EthernetFields.EtherTypeOffset));
            if (tpid is not (EthernetFields.Tpid8021Q or EthernetFields.Tpid8021AD))
            {
                if (divert)
                {
                    context.Next(i, untagged);
                }

                continue;
            }

            // A tag with no room for its TCI and the inner EtherType is a truncated header, not an untagged packet.
            if (packet.Length < EthernetFields.TaggedHeaderLength || !packet.TryPop(EthernetFields.TagLength))
            {
                context.Drop(i, DropReason.Malformed);
                continue;
            }

            // data still spans the old start: move the MACs over the tag (memmove: the spans overlap).
            data[..EthernetFields.MacsLength].CopyTo(data.Slice(EthernetFields.TagLength));
        }
    }
}
