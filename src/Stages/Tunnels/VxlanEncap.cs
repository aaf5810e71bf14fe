using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Netmap.Io.Packets;
using Netmap.Io.Rings;
using Pipeline.Runtime;
using Pipeline.Stages;
using Stages.Ethernet;

namespace Stages.Tunnels;

/// <summary>
/// Encapsulates the whole Ethernet frame in VXLAN (RFC 7348): outer Ethernet, IPv4, UDP and VXLAN headers, 50
/// bytes, go into the headroom with one push; the inner frame is not copied. The IPv4 header carries the total
/// length, a per-stage identification, DF, the TTL, protocol 17 and its checksum; the UDP header the length and
/// checksum 0 (allowed over IPv4); the VXLAN header the I flag and the VNI. With <c>udp-src: flow</c> the UDP
/// source port (49152 to 65535) comes from the packet's flow hash, computed from the inner frame (symmetric over
/// its addresses and ports) when no stage has set one, and stored in the packet's metadata.
/// </summary>
/// <remarks>
/// Gates: <c>out</c>. Drops: an inner frame shorter than an Ethernet header (<c>malformed</c>); one too long for an
/// IPv4 datagram, or with less than 50 bytes of headroom and too little room at the tail to move it along
/// (<c>too-big</c>). A packet with too little headroom but room at the tail takes the slow path: its bytes move
/// towards the tail just enough (<see cref="SlowPathPackets"/> counts them). A multi-slot (MOREFRAG) packet gets the
/// outer headers in its first slot, with lengths covering all its slots.
/// </remarks>
/// <example><code>
/// stages:
///   tunnel:
///     type: vxlan-encap
///     vni: 5001
///     src-ip: 192.0.2.1
///     dst-ip: 198.51.100.7
///     src-mac: 02:00:00:00:00:01
///     dst-mac: 02:00:00:00:00:fe
/// pipes:
///   - tenant -> tunnel -> underlay
/// </code></example>
/// <seealso cref="VxlanDecap"/>
/// <seealso cref="VxlanEncapOptions"/>
[Stage("vxlan-encap", Summary = "Encapsulates frames in outer Ethernet/IPv4/UDP/VXLAN headers")]
public sealed class VxlanEncap : IPacketStage
{
    // The largest inner frame: the IPv4 total length (16 bits) covers IPv4, UDP and VXLAN headers and the frame.
    private const int MaxInnerLength = ushort.MaxValue - (VxlanFields.Ipv4MinLength + VxlanFields.UdpLength + VxlanFields.VxlanLength);

    private readonly byte[] _template = new byte[VxlanFields.EncapLength];
    private readonly int _fixedSourcePort;
    private ushort _id;
    private long _slowPathPackets;

    /// <summary>A stage that writes the outer headers <paramref name="options"/> describes.</summary>
    public VxlanEncap(VxlanEncapOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _fixedSourcePort = options.FixedUdpSrc is { } port ? port : -1;

        // Everything but the per-packet fields (lengths, identification, checksum, source port), which stay 0 here.
        var t = _template.AsSpan();
        MacAddressText.Parse(options.DstMac).CopyTo(t);
        MacAddressText.Parse(options.SrcMac).CopyTo(t.Slice(6));
        BinaryPrimitives.WriteUInt16BigEndian(t.Slice(EthernetFields.EtherTypeOffset), VxlanFields.EtherTypeIpv4);

        var ip = t.Slice(VxlanFields.OuterIp, VxlanFields.Ipv4MinLength);
        ip[VxlanFields.Ipv4VersionIhl] = 0x45; // version 4, 5 words
        BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(VxlanFields.Ipv4FlagsFragment), VxlanFields.Ipv4DontFragment); // RFC 7348 §4.3: VTEPs do not fragment
        ip[VxlanFields.Ipv4Ttl] = options.Ttl;
        ip[VxlanFields.Ipv4Protocol] = VxlanFields.ProtocolUdp;
        options.SrcIp.TryWriteBytes(ip.Slice(VxlanFields.Ipv4Source, 4), out _);
        options.DstIp.TryWriteBytes(ip.Slice(VxlanFields.Ipv4Destination, 4), out _);

        var udp = t.Slice(VxlanFields.OuterUdp, VxlanFields.UdpLength);
        BinaryPrimitives.WriteUInt16BigEndian(udp.Slice(VxlanFields.UdpSourcePort), _fixedSourcePort < 0 ? (ushort)0 : (ushort)_fixedSourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.Slice(VxlanFields.UdpDestinationPort), options.UdpDst);

        var vxlan = t.Slice(VxlanFields.OuterVxlan, VxlanFields.VxlanLength);
        vxlan[VxlanFields.VxlanFlags] = VxlanFields.FlagI;
        BinaryPrimitives.WriteUInt32BigEndian(vxlan.Slice(VxlanFields.VxlanVni), options.Vni << 8); // VNI(24), reserved(8)
    }

    /// <summary>Packets encapsulated on the slow path (too little headroom, moved towards the tail) since the stage started.</summary>
    public long SlowPathPackets => Volatile.Read(ref _slowPathPackets);

    /// <inheritdoc/>
    public void OnBatch(PacketBatch batch, StageContext context)
    {
        var view = batch.Open();
        var slots = view.Slots;
        var meta = view.Meta;
        ReadOnlySpan<byte> template = _template;
        var flow = _fixedSourcePort < 0;
        var id = _id;
        long slow = 0;
        for (var i = 0; i < slots.Length; i++)
        {
            if (BatchView.IsContinuation(slots, i))
            {
                continue; // a multi-slot packet's headers and verdict are in its first slot
            }

            var continuation = (slots[i].Flags & SlotFlags.MoreFrag) != 0;

            var packet = view[i];
            var inner = packet.Data;
            if (inner.Length < EthernetFields.HeaderLength)
            {
                context.Drop(i, DropReason.Malformed);
                continue;
            }

            var innerLength = continuation ? ChainLength(slots, i) : inner.Length;
            if (innerLength > MaxInnerLength)
            {
                context.Drop(i, DropReason.TooBig);
                continue;
            }

            // Before the push, which may move the inner frame: the flow hash reads its headers. Stored once the
            // packet is sure to leave.
            uint hash = 0;
            if (flow)
            {
                hash = meta[i].FlowHash;
                if (hash == 0)
                {
                    hash = InnerFlowHash.Compute(inner);
                }
            }

            if (!packet.TryPush(VxlanFields.EncapLength, out var outer))
            {
                if (!TryPushAtTail(packet, out outer))
                {
                    context.Drop(i, DropReason.TooBig);
                    continue;
                }

                slow++;
            }

            template.CopyTo(outer);
            var ip = outer.Slice(VxlanFields.OuterIp, VxlanFields.Ipv4MinLength);
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(VxlanFields.Ipv4TotalLength), (ushort)(innerLength + VxlanFields.EncapLength - VxlanFields.EthernetLength));
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(VxlanFields.Ipv4Id), id++);
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(VxlanFields.Ipv4Checksum), Checksum.Compute(ip));

            var udp = outer.Slice(VxlanFields.OuterUdp, VxlanFields.UdpLength);
            if (flow)
            {
                meta[i].FlowHash = hash;
                BinaryPrimitives.WriteUInt16BigEndian(udp.Slice(VxlanFields.UdpSourcePort), (ushort)(VxlanFields.FlowPortBase | ((hash ^ (hash >> 16)) & VxlanFields.FlowPortMask)));
            }

            BinaryPrimitives.WriteUInt16BigEndian(udp.Slice(VxlanFields.UdpLengthField), (ushort)(innerLength + VxlanFields.UdpLength + VxlanFields.VxlanLength));
        }

        _id = id;
        if (slow != 0)
        {
            // One write per batch; Volatile so a reader on another thread (a live view) sees whole values.
            Volatile.Write(ref _slowPathPackets, _slowPathPackets + slow);
        }
    }

    // The bytes of a multi-slot packet: its first slot and every continuation after it.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ChainLength(Span<Slot> slots, int first)
    {
        var length = 0;
        var j = first;
        for (; j < slots.Length; j++)
        {
            length += slots[j].Len;
            if ((slots[j].Flags & SlotFlags.MoreFrag) == 0)
            {
                break;
            }
        }

        return length;
    }

    // Too little headroom: grow the packet at the tail by what is missing, move the frame along, then push the rest.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool TryPushAtTail(PacketView packet, out Span<byte> outer)
    {
        outer = default;
        var headroom = packet.Headroom;
        var shift = VxlanFields.EncapLength - headroom;
        var length = packet.Data.Length;
        if (packet.Tailroom < shift || length + VxlanFields.EncapLength > ushort.MaxValue)
        {
            return false;
        }

        packet.Put(shift);
        var data = packet.Data;
        data[..length].CopyTo(data.Slice(shift)); // memmove
        if (!packet.TryPush(headroom, out _))
        {
            return false;
        }

        outer = packet.Data[..VxlanFields.EncapLength];
        return true;
    }
}
