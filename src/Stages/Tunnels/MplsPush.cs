using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Netmap.Io.Packets;
using Pipeline.Runtime;
using Pipeline.Stages;
using Stages.Ethernet;

namespace Stages.Tunnels;

/// <summary>
/// Pushes an MPLS label stack entry (RFC 3032) between the Ethernet header, with any 802.1Q/802.1ad tags, and
/// the payload. The entry goes into the headroom: the offset moves back 4 bytes and the Ethernet header and tags
/// move 4 bytes to the front; nothing else is copied. Over an IPv4 or IPv6 payload the entry is the bottom of the
/// stack (S=1) and the EtherType becomes 0x8847; over an MPLS stack (0x8847 or 0x8848) S is clear and the
/// EtherType is kept.
/// </summary>
/// <remarks>
/// Gates: <c>out</c> (labelled packets); <c>other</c> (packets that are neither IP nor MPLS, unchanged), used only
/// when a pipe connects it: otherwise they are dropped as <c>filtered</c>, since an unlabelled frame has no place
/// on a label-switched path and a non-IP payload could not be told apart when the stack is popped. Drops: a
/// packet shorter than an Ethernet header, with a tag cut short, an IP EtherType whose payload is empty or of
/// another IP version, or an MPLS EtherType with no entry (<c>malformed</c>); a packet with less than 4 bytes of
/// headroom and of tailroom (<c>too-big</c>). A packet with no headroom but room at the tail takes the slow path:
/// the payload moves 4 bytes to the tail (<see cref="SlowPathPackets"/> counts them). A multi-slot (MOREFRAG)
/// packet is labelled in its first slot.
/// </remarks>
/// <example><code>
/// stages:
///   inner: { type: mpls-push, label: 1001 }
///   outer: { type: mpls-push, label: 16, tc: 5, ttl: 255 }
/// pipes:
///   - ce -> inner -> outer -> core
///   - inner.other -> drop
/// </code></example>
/// <seealso cref="MplsPop"/>
/// <seealso cref="MplsPushOptions"/>
/// <seealso cref="VlanPush"/>
[Stage("mpls-push", Gates = ["out", OtherGate], Summary = "Pushes an MPLS label after the Ethernet header and tags; non-IP, non-MPLS packets leave by 'other' if connected")]
public sealed class MplsPush : IPacketStage
{
    private const string OtherGate = "other";

    private readonly uint _entry;
    private long _slowPathPackets;

    /// <summary>A stage that pushes the entry <paramref name="options"/> describes.</summary>
    public MplsPush(MplsPushOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        // Label(20) TC(3) S(1) TTL(8), S clear; the options record has range-checked each field.
        _entry = (options.Label << MplsFields.LabelShift) | ((uint)options.Tc << MplsFields.TcShift) | options.Ttl;
    }

    /// <summary>Packets labelled on the slow path (no headroom, payload moved towards the tail) since the stage started.</summary>
    public long SlowPathPackets => Volatile.Read(ref _slowPathPackets);

    /// <inheritdoc/>
    public void OnBatch(PacketBatch batch, StageContext context)
    {
        var other = context.Gate(OtherGate);
        var divert = context.IsConnected(other);
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

            var entry = _entry;
            var etherType = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(l2 - 2));
            switch (etherType)
            {
                case MplsFields.EtherTypeUnicast or MplsFields.EtherTypeMulticast:
                    // Over a stack: S stays clear and the EtherType stays; there must be an entry to push over.
                    if (data.Length < l2 + MplsFields.EntryLength)
                    {
                        context.Drop(i, DropReason.Malformed);
                        continue;
                    }

                    break;
                case MplsFields.EtherTypeIpv4 or MplsFields.EtherTypeIpv6:
                    // The bottom of the stack; the pop reads the version nibble back, so it must agree now.
                    if (data.Length <= l2 || data[l2] >> 4 != (etherType == MplsFields.EtherTypeIpv4 ? 4 : 6))
                    {
                        context.Drop(i, DropReason.Malformed);
                        continue;
                    }

                    entry |= MplsFields.BottomOfStack;
                    etherType = MplsFields.EtherTypeUnicast;
                    break;
                default:
                    if (divert)
                    {
                        context.Next(i, other);
                    }
                    else
                    {
                        context.Drop(i, DropReason.Filtered);
                    }

                    continue;
            }

            if (packet.TryPush(MplsFields.EntryLength, out _))
            {
                data = packet.Data;
                data.Slice(MplsFields.EntryLength, l2).CopyTo(data); // memmove: the spans overlap
                BinaryPrimitives.WriteUInt16BigEndian(data.Slice(l2 - 2), etherType);
                BinaryPrimitives.WriteUInt32BigEndian(data.Slice(l2), entry);
            }
            else if (TryPushAtTail(packet, l2, etherType, entry))
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

    // No headroom: grow the packet at the tail and move the payload 4 bytes along.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool TryPushAtTail(PacketView packet, int l2, ushort etherType, uint entry)
    {
        var length = packet.Data.Length;
        if (packet.Tailroom < MplsFields.EntryLength || length + MplsFields.EntryLength > ushort.MaxValue)
        {
            return false;
        }

        packet.Put(MplsFields.EntryLength);
        var data = packet.Data;
        data[l2..length].CopyTo(data.Slice(l2 + MplsFields.EntryLength)); // memmove
        BinaryPrimitives.WriteUInt16BigEndian(data.Slice(l2 - 2), etherType);
        BinaryPrimitives.WriteUInt32BigEndian(data.Slice(l2), entry);
        return true;
    }
}
