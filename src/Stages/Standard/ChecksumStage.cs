using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Netmap.Io.Packets;
using Pipeline.Runtime;
using Pipeline.Stages;
using static Stages.Standard.ChecksumFields;

namespace Stages.Standard;

/// <summary>
/// The software checksum offload (netmap's checksum emulation, Click's <c>CheckIPHeader</c> and
/// <c>SetIPChecksum</c>/<c>SetTCPChecksum</c>/<c>SetUDPChecksum</c>): the IPv4 header checksum and the TCP and UDP
/// checksums (RFC 1071, with the IPv4 or IPv6 pseudo-header) of Ethernet frames, after up to two VLAN tags.
/// <c>mode: verify</c> drops a packet with a wrong checksum; <c>mode: fix</c> recomputes them and writes them in place.
/// </summary>
/// <remarks>
/// <para>Gates: <c>out</c>. Drops: <c>malformed</c> (a wrong checksum in verify mode; in both modes a frame shorter
/// than its headers, an IP version that does not match the EtherType, an IPv4 header length below 20 or past the
/// frame, an IP length past the frame, a UDP length or TCP data offset outside the IP payload). Frames that are not
/// IPv4 or IPv6 pass unchanged; so do the L4 bytes of IPv4 fragments, of protocols other than TCP and UDP, of IPv6
/// packets behind a fragment header or a routing header with segments left (their pseudo-header is another).</para>
/// <para>UDP: over IPv4 a checksum of 0 means none and passes in verify mode (fix mode computes one); over IPv6 it is
/// invalid. A computed UDP checksum of 0 is written as 0xFFFF. The sums cover the IP length (not the Ethernet
/// padding) and the UDP length. A multi-slot (MOREFRAG) packet's headers are in its first slot; its TCP/UDP sum
/// runs over all its slots.</para>
/// </remarks>
/// <example><code>
/// stages:
///   check: { type: checksum, mode: verify }
///   offload: { type: checksum, mode: fix }
/// pipes:
///   - wan -> check -> nat -> offload -> lan
/// </code></example>
/// <seealso cref="ChecksumOptions"/>
/// <seealso cref="Checksum"/>
[Stage("checksum", Summary = "Verifies (drops bad ones) or fixes IPv4 header and TCP/UDP checksums over IPv4 and IPv6")]
public sealed class ChecksumStage : IPacketStage
{
    private readonly bool _fix;

    /// <summary>A stage in the mode <paramref name="options"/> gives.</summary>
    public ChecksumStage(ChecksumOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _fix = options.Mode == ChecksumMode.Fix;
    }

    /// <inheritdoc/>
    public void OnBatch(PacketBatch batch, StageContext context)
    {
        var view = batch.Open();
        var slots = view.Slots;
        for (var i = 0; i < slots.Length;)
        {
            var first = i;
            i = Fragments.End(slots, first, out var total);
            if (!Process(view, first, i, total))
            {
                context.Drop(first, DropReason.Malformed);
            }
        }
    }

    // False: malformed, or a wrong checksum in verify mode.
    private bool Process(BatchView view, int first, int end, int total)
    {
        var data = view[first].Data;
        if (data.Length < EthernetLength)
        {
            return false;
        }

        var offset = EthernetLength;
        var etherType = BinaryPrimitives.ReadUInt16BigEndian(data[EtherTypeOffset..]);
        for (var tags = 0; tags < MaxVlanTags && etherType is Tpid8021Q or Tpid8021AD; tags++)
        {
            if (data.Length < offset + VlanTagLength)
            {
                return false;
            }

            etherType = BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 2)..]);
            offset += VlanTagLength;
        }

        return etherType switch
        {
            EtherTypeIpv4 => Ipv4(view, first, end, data, offset, total),
            EtherTypeIpv6 => Ipv6(view, first, end, data, offset, total),
            _ => true,
        };
    }

    private bool Ipv4(BatchView view, int first, int end, Span<byte> data, int offset, int total)
    {
        if (data.Length - offset < Ipv4MinLength)
        {
            return false;
        }

        var ip = data[offset..];
        var headerLength = (ip[0] & 0x0F) * 4;
        if (ip[0] >> 4 != 4 || headerLength < Ipv4MinLength || headerLength > ip.Length)
        {
            return false;
        }

        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(ip[Ipv4TotalLengthOffset..]);
        if (totalLength < headerLength || totalLength > total - offset)
        {
            return false;
        }

        var header = ip[..headerLength];
        if (_fix)
        {
            BinaryPrimitives.WriteUInt16BigEndian(header[Ipv4ChecksumOffset..], 0);
            BinaryPrimitives.WriteUInt16BigEndian(header[Ipv4ChecksumOffset..], Checksum.Compute(header));
        }
        else if (!Checksum.Verify(header))
        {
            return false;
        }

        // A fragment's TCP/UDP checksum covers the whole datagram: there is nothing to check here.
        var protocol = ip[Ipv4ProtocolOffset];
        if ((BinaryPrimitives.ReadUInt16BigEndian(ip[Ipv4FragmentOffset..]) & Ipv4MoreFragmentsAndOffsetMask) != 0
            || protocol is not (ProtocolTcp or ProtocolUdp))
        {
            return true;
        }

        return Transport(
            view, first, end, data, offset + headerLength, totalLength - headerLength, protocol, ipv4: true,
            ip.Slice(Ipv4SourceOffset, Ipv4AddressLength), ip.Slice(Ipv4DestinationOffset, Ipv4AddressLength));
    }

    private bool Ipv6(BatchView view, int first, int end, Span<byte> data, int offset, int total)
    {
        if (data.Length - offset < Ipv6Length)
        {
            return false;
        }

        var ip = data[offset..];
        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(ip[Ipv6PayloadLengthOffset..]);
        if (ip[0] >> 4 != 6 || payloadLength > total - offset - Ipv6Length)
        {
            return false;
        }

        var next = ip[Ipv6NextHeaderOffset];
        var position = offset + Ipv6Length;
        var remaining = payloadLength;
        if (payloadLength == 0)
        {
            return true; // no payload, or a jumbogram (RFC 2675): nothing to check
        }

        for (var n = 0; n < MaxIpv6Extensions && next is Ipv6HopByHop or Ipv6Routing or Ipv6DestinationOptions; n++)
        {
            if (remaining < Ipv6ExtensionUnit || data.Length < position + Ipv6ExtensionUnit)
            {
                return false;
            }

            if (next == Ipv6Routing && data[position + Ipv6RoutingSegmentsLeftOffset] != 0)
            {
                return true; // the pseudo-header's destination is the last segment's, not this header's
            }

            var length = (data[position + 1] + 1) * Ipv6ExtensionUnit;
            if (length > remaining)
            {
                return false;
            }

            next = data[position];
            position += length;
            remaining -= length;
        }

        if (next is not (ProtocolTcp or ProtocolUdp))
        {
            return true;
        }

        return Transport(
            view, first, end, data, position, remaining, next, ipv4: false,
            ip.Slice(Ipv6SourceOffset, Ipv6AddressLength), ip.Slice(Ipv6DestinationOffset, Ipv6AddressLength));
    }

    // The TCP or UDP segment at [start, start + available) of the packet; its header is in the first slot.
    private bool Transport(
        BatchView view, int first, int end, Span<byte> data, int start, int available, byte protocol, bool ipv4,
        ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination)
    {
        int length;
        int field;
        var udp = protocol == ProtocolUdp;
        if (udp)
        {
            if (available < UdpLength || data.Length < start + UdpLength)
            {
                return false;
            }

            length = BinaryPrimitives.ReadUInt16BigEndian(data[(start + UdpLengthOffset)..]);
            if (length < UdpLength || length > available)
            {
                return false;
            }

            field = start + UdpChecksumOffset;
            var stored = BinaryPrimitives.ReadUInt16BigEndian(data[field..]);
            if (stored == 0 && !_fix)
            {
                return ipv4; // IPv4: no checksum; IPv6: a checksum is mandatory (RFC 8200 8.1)
            }
        }
        else
        {
            if (available < TcpMinLength || data.Length < start + TcpMinLength)
            {
                return false;
            }

            var headerLength = (data[start + TcpDataOffsetOffset] >> 4) * 4;
            if (headerLength < TcpMinLength || headerLength > available)
            {
                return false;
            }

            length = available;
            field = start + TcpChecksumOffset;
        }

        var pseudo = ipv4
            ? Checksum.PseudoHeaderV4(source, destination, protocol, length)
            : Checksum.PseudoHeaderV6(source, destination, protocol, length);
        if (!_fix)
        {
            return Checksum.Finish(Sum(view, first, end, data, start, length, pseudo)) == 0;
        }

        BinaryPrimitives.WriteUInt16BigEndian(data[field..], 0);
        var checksum = Checksum.Finish(Sum(view, first, end, data, start, length, pseudo));
        BinaryPrimitives.WriteUInt16BigEndian(data[field..], udp && checksum == 0 ? (ushort)0xFFFF : checksum);
        return true;
    }

    // The one's-complement sum of the packet's bytes [start, start + length), which may run past the first slot.
    private static ulong Sum(BatchView view, int first, int end, Span<byte> data, int start, int length, ulong sum)
    {
        return start + length <= data.Length
            ? Checksum.Sum(data.Slice(start, length), sum)
            : SumSlots(view, first, end, data, start, length, sum);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong SumSlots(BatchView view, int first, int end, Span<byte> data, int start, int length, ulong sum)
    {
        var take = Math.Min(data.Length - start, length);
        sum = Checksum.Sum(data.Slice(start, take), sum);
        var done = take;
        for (var k = first + 1; k < end && done < length; k++)
        {
            var slot = view[k].Data;
            take = Math.Min(slot.Length, length - done);
            var part = Checksum.Sum(slot[..take]);
            if ((done & 1) != 0)
            {
                // This slot starts at an odd byte of the segment: its 16-bit words straddle, so its sum is byte-swapped.
                part = BinaryPrimitives.ReverseEndianness(Fold(part));
            }

            sum += part;
            done += take;
        }

        return sum;
    }

    private static ushort Fold(ulong sum)
    {
        while (sum >> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)sum;
    }
}
