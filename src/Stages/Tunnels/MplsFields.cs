using System.Buffers.Binary;
using Stages.Ethernet;

namespace Stages.Tunnels;

// Offsets and values of an MPLS label stack entry (RFC 3032), in one place (PacketDotNet's *Fields).
internal static class MplsFields
{
    /// <summary>One label stack entry: label(20) TC(3) S(1) TTL(8).</summary>
    public const int EntryLength = 4;

    /// <summary>MPLS unicast.</summary>
    public const ushort EtherTypeUnicast = 0x8847;

    /// <summary>MPLS multicast (RFC 5332): a stack too, kept as it is when pushed over.</summary>
    public const ushort EtherTypeMulticast = 0x8848;

    /// <summary>IPv4, restored when the bottom entry is popped over a version-4 payload.</summary>
    public const ushort EtherTypeIpv4 = 0x0800;

    /// <summary>IPv6, restored when the bottom entry is popped over a version-6 payload.</summary>
    public const ushort EtherTypeIpv6 = 0x86DD;

    /// <summary>The largest label (20 bits).</summary>
    public const uint MaxLabel = (1u << 20) - 1;

    /// <summary>The largest traffic class (3 bits).</summary>
    public const byte MaxTc = 7;

    public const int LabelShift = 12;
    public const int TcShift = 9;

    /// <summary>The bottom-of-stack bit in an entry read as a big-endian uint.</summary>
    public const uint BottomOfStack = 1u << 8;

    /// <summary>
    /// The length of the Ethernet header with its 802.1Q/802.1ad tags (the bytes an entry goes after), or -1 when
    /// a tag is cut short; <paramref name="data"/> holds at least an Ethernet header.
    /// </summary>
    public static int L2HeaderLength(ReadOnlySpan<byte> data)
    {
        var etherTypeOffset = EthernetFields.EtherTypeOffset;
        while (BinaryPrimitives.ReadUInt16BigEndian(data.Slice(etherTypeOffset)) is EthernetFields.Tpid8021Q or EthernetFields.Tpid8021AD)
        {
            etherTypeOffset += EthernetFields.TagLength;
            if ((uint)(etherTypeOffset + 2) > (uint)data.Length)
            {
                return -1;
            }
        }

        return etherTypeOffset + 2;
    }
}
