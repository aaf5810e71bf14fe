using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Netmap.Io.Packets;
using Netmap.Io.Rings;
using Pipeline.Runtime;
using Pipeline.Stages;

namespace Stages.Tunnels;

/// <summary>
/// Terminates a VXLAN tunnel (RFC 7348): for an IPv4/UDP packet to the VXLAN port whose VXLAN header has the I
/// flag and the configured VNI, the outer Ethernet, IPv4 (with its options), UDP and VXLAN headers are popped by
/// moving the offset forward, which exposes the inner frame in place; nothing is copied. Bytes after the UDP
/// datagram (Ethernet padding) are trimmed from the tail.
/// </summary>
/// <remarks>
/// Gates: <c>out</c> (inner frames); <c>other</c> (other VNIs, and packets that are not VXLAN: not IPv4, not UDP,
/// another port, IPv4 fragments, no I flag; unchanged), used only when a pipe connects it: otherwise they pass on
/// <c>out</c>. The outer Ethernet header has no tag (put a <c>vlan-pop</c> first). Drops (<c>malformed</c>, the packet
/// unchanged): a frame shorter than an Ethernet header; an IPv4 header cut short, of another version, with an IHL
/// under 5, a total length shorter than its header or longer than the frame; a UDP header cut short; and, for a
/// packet of this tunnel, a UDP length under 16 or past the IPv4 payload, a VXLAN header or an inner Ethernet
/// header cut short, or a wrong outer IPv4 header checksum. The UDP checksum is not checked (use <c>checksum</c>).
/// A multi-slot (MOREFRAG) packet's outer headers are read in its first slot.
/// </remarks>
/// <example><code>
/// stages:
///   untunnel: { type: vxlan-decap, vni: 5001 }
/// pipes:
///   - underlay -> untunnel -> tenant
///   - untunnel.other -> host
/// </code></example>
/// <seealso cref="VxlanEncap"/>
/// <seealso cref="VxlanDecapOptions"/>
[Stage("vxlan-decap", Gates = ["out", OtherGate], Summary = "Decapsulates VXLAN packets of one VNI; other VNIs and non-VXLAN packets leave by 'other' if connected")]
public sealed class VxlanDecap : IPacketStage
{
    private const string OtherGate = "other";

    // The outer headers after IPv4 (UDP, VXLAN), and the inner Ethernet header that must follow them.
    private const int UdpVxlanLength = VxlanFields.UdpLength + VxlanFields.VxlanLength;
    private const int InnerMinLength = VxlanFields.EthernetLength;

    private readonly uint _vni;
    private readonly ushort _port;

    /// <summary>A stage that decapsulates the tunnel <paramref name="options"/> names.</summary>
    public VxlanDecap(VxlanDecapOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _vni = options.Vni;
        _port = options.UdpDst;
    }

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

            var continuation = (slots[i].Flags & SlotFlags.MoreFrag) != 0;

            var packet = view[i];
            var data = packet.Data;
            var packetLength = continuation ? ChainLength(slots, i) : data.Length;
            switch (Classify(data, packetLength, out var outerLength, out var innerLength))
            {
                case Verdict.Decap:
                    break;
                case Verdict.Other:
                    if (divert)
                    {
                        context.Next(i, other);
                    }

                    continue;
                default:
                    context.Drop(i, DropReason.Malformed);
                    continue;
            }

            if (!packet.TryPop(outerLength))
            {
                context.Drop(i, DropReason.Malformed);
                continue;
            }

            // Past the UDP datagram: Ethernet padding (or junk) that is not part of the inner frame.
            var excess = packetLength - outerLength - innerLength;
            if (excess > 0)
            {
                Trim(view, slots, i, excess);
            }
        }
    }

    private Verdict Classify(ReadOnlySpan<byte> data, int packetLength, out int outerLength, out int innerLength)
    {
        outerLength = 0;
        innerLength = 0;
        if (data.Length < VxlanFields.EthernetLength)
        {
            return Verdict.Malformed;
        }

        if (BinaryPrimitives.ReadUInt16BigEndian(data.Slice(Ethernet.EthernetFields.EtherTypeOffset)) != VxlanFields.EtherTypeIpv4)
        {
            return Verdict.Other;
        }

        var ip = data.Slice(VxlanFields.OuterIp);
        if (ip.Length < VxlanFields.Ipv4MinLength || ip[VxlanFields.Ipv4VersionIhl] >> 4 != 4)
        {
            return Verdict.Malformed;
        }

        var ihl = (ip[VxlanFields.Ipv4VersionIhl] & 0x0F) * 4;
        var totalLength = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(VxlanFields.Ipv4TotalLength));
        if (ihl < VxlanFields.Ipv4MinLength || ip.Length < ihl || totalLength < ihl || VxlanFields.EthernetLength + totalLength > packetLength)
        {
            return Verdict.Malformed;
        }

        if (ip[VxlanFields.Ipv4Protocol] != VxlanFields.ProtocolUdp
            || (BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(VxlanFields.Ipv4FlagsFragment)) & VxlanFields.Ipv4FragmentMask) != 0)
        {
            return Verdict.Other;
        }

        var udp = ip.Slice(ihl);
        if (udp.Length < VxlanFields.UdpLength || totalLength < ihl + VxlanFields.UdpLength)
        {
            return Verdict.Malformed;
        }

        if (BinaryPrimitives.ReadUInt16BigEndian(udp.Slice(VxlanFields.UdpDestinationPort)) != _port)
        {
            return Verdict.Other;
        }

        var udpLength = BinaryPrimitives.ReadUInt16BigEndian(udp.Slice(VxlanFields.UdpLengthField));
        if (udpLength < UdpVxlanLength || udpLength > totalLength - ihl || udp.Length < UdpVxlanLength)
        {
            return Verdict.Malformed;
        }

        var vxlan = udp.Slice(VxlanFields.UdpLength);
        if ((vxlan[VxlanFields.VxlanFlags] & VxlanFields.FlagI) == 0
            || BinaryPrimitives.ReadUInt32BigEndian(vxlan.Slice(VxlanFields.VxlanVni)) >> 8 != _vni)
        {
            return Verdict.Other;
        }

        // Ours: the inner frame's header must be whole, and the outer IPv4 header intact.
        if (udpLength - UdpVxlanLength < InnerMinLength
            || udp.Length < UdpVxlanLength + InnerMinLength
            || !Checksum.Verify(ip[..ihl]))
        {
            return Verdict.Malformed;
        }

        outerLength = VxlanFields.EthernetLength + ihl + UdpVxlanLength;
        innerLength = udpLength - UdpVxlanLength;
        return Verdict.Decap;
    }

    // The bytes of a multi-slot packet: its first slot and every continuation after it.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ChainLength(Span<Slot> slots, int first)
    {
        var length = 0;
        for (var j = first; j < slots.Length; j++)
        {
            length += slots[j].Len;
            if ((slots[j].Flags & SlotFlags.MoreFrag) == 0)
            {
                break;
            }
        }

        return length;
    }

    // Takes the excess (bytes after the outer IPv4 packet: Ethernet padding, a trailer) from the packet's end, slot by
    // slot backwards: a tail longer than the last slot empties it (a zero-length fragment, which every port passes
    // over) and goes on into the one before.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Trim(BatchView view, Span<Slot> slots, int first, int excess)
    {
        var last = first;
        while (last + 1 < slots.Length && (slots[last].Flags & SlotFlags.MoreFrag) != 0)
        {
            last++;
        }

        for (var j = last; j >= first && excess > 0; j--)
        {
            var fragment = view[j];
            var n = Math.Min(excess, fragment.Length);
            fragment.Take(n);
            excess -= n;
        }
    }

    private enum Verdict
    {
        Decap,
        Other,
        Malformed,
    }
}
