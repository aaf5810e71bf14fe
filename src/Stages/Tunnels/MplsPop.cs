using System.Buffers.Binary;
using Pipeline.Runtime;
using Pipeline.Stages;
using Stages.Ethernet;

namespace Stages.Tunnels;

/// <summary>
/// Pops the top MPLS label stack entry (RFC 3032) after the Ethernet header and its 802.1Q/802.1ad tags: the
/// header and tags move 4 bytes to the tail and the offset moves forward 4 bytes, so the freed bytes become
/// headroom; nothing else is copied. When the entry was the bottom of the stack (S=1) the EtherType is restored
/// from the payload's IP version: 4 gives 0x0800, 6 gives 0x86DD.
/// </summary>
/// <remarks>
/// Gates: <c>out</c> (popped packets); <c>other</c> (packets that are not MPLS, unchanged), used only when a pipe
/// connects it: otherwise they pass on <c>out</c>. Drops (<c>malformed</c>, the packet unchanged): a packet
/// shorter than an Ethernet header or with a tag cut short; an MPLS EtherType with no whole entry; a bottom entry
/// over an empty payload or one whose version is neither 4 nor 6; an entry with S clear and no entry after it.
/// The entry's TTL is not copied to the IP header. A multi-slot (MOREFRAG) packet's stack is read in its first slot.
/// </remarks>
/// <example><code>
/// stages:
///   unlabel: { type: mpls-pop }
/// pipes:
///   - core -> unlabel -> ce
///   - unlabel.other -> drop
/// </code></example>
/// <seealso cref="MplsPush"/>
/// <seealso cref="VlanPop"/>
[Stage("mpls-pop", Gates = ["out", OtherGate], Summary = "Pops the top MPLS label; restores the EtherType from the bottom of the stack; non-MPLS packets leave by 'other' if connected")]
public sealed class MplsPop : IPacketStage
{
    private const string OtherGate = "other";

    /// <inheritdoc/>
    public void OnBatch(PacketBatch batch, StageContext context)
    {
        var other = context.Gate(OtherGate);
        var divert = context.IsConnected(other);
        var view = batch.Open();
        var slots = view.Slots;
        for (var i = 0; i < slots.Length; i++)
        {
            if (BatchView.IsContinuation(slots, i))
            {
                continue; // a multi-slot packet's headers and verdict are in its first slot
            }

            var packet = view[i];
            var data = packet.Data;
            if (data.Length < EthernetFields.HeaderLength)
            {
                context.Drop(i, DropReason.Malformed);
                continue;
            }

            var l2 = MplsFields.L2HeaderLength(data);
            if (l2 < 0)
            {
                context.Drop(i, DropReason.Malformed);
                continue;
            }

            var etherType = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(l2 - 2));
            if (etherType is not (MplsFields.EtherTypeUnicast or MplsFields.EtherTypeMulticast))
            {
                if (divert)
                {
                    context.Next(i, other);
                }

                continue;
            }

            var payload = l2 + MplsFields.EntryLength;
            if (data.Length < payload)
            {
                context.Drop(i, DropReason.Malformed);
                continue;
            }

            // Everything is checked before anything moves, so a dropped packet is left as it came.
            if ((BinaryPrimitives.ReadUInt32BigEndian(data.Slice(l2)) & MplsFields.BottomOfStack) != 0)
            {
                etherType = data.Length > payload ? RestoredEtherType(data[payload]) : (ushort)0;
            }
            else if (data.Length < payload + MplsFields.EntryLength)
            {
                etherType = 0;
            }

            if (etherType == 0 || !packet.TryPop(MplsFields.EntryLength))
            {
                context.Drop(i, DropReason.Malformed);
                continue;
            }

            // data still spans the old start: move the header over the entry (memmove: the spans overlap).
            data[..l2].CopyTo(data.Slice(MplsFields.EntryLength));
            BinaryPrimitives.WriteUInt16BigEndian(data.Slice(payload - 2), etherType);
        }
    }

    // The EtherType of the payload under the bottom entry, from its first nibble; 0 when it is not IP.
    private static ushort RestoredEtherType(byte first) => (first >> 4) switch
    {
        4 => MplsFields.EtherTypeIpv4,
        6 => MplsFields.EtherTypeIpv6,
        _ => 0,
    };
}
