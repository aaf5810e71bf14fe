using System.Buffers.Binary;
using Stages.Ethernet;

namespace Stages.Ip;

// Where the network header of an Ethernet frame starts: after the MACs and any 802.1Q/802.1ad tags.
internal static class NetworkLayer
{
    /// <summary>Tags skipped at most (QinQ needs 2); past them the TPID is taken as the EtherType, so the frame is not IP.</summary>
    public const int MaxTags = 4;

    /// <summary>
    /// The EtherType after the tags and the offset of the header it names; false when <paramref name="frame"/> is
    /// shorter than an Ethernet header or a tag is cut short.
    /// </summary>
    public static bool TryFind(ReadOnlySpan<byte> frame, out ushort etherType, out int offset)
    {
        offset = EthernetFields.HeaderLength;
        etherType = 0;
        if (frame.Length < EthernetFields.HeaderLength)
        {
            return false;
        }

        etherType = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(EthernetFields.EtherTypeOffset));
        for (var tags = 0; tags < MaxTags && etherType is EthernetFields.Tpid8021Q or EthernetFields.Tpid8021AD; tags++)
        {
            // The tag's TCI is at offset; the next EtherType (or an inner TPID) follows it.
            if (frame.Length < offset + EthernetFields.TagLength)
            {
                return false;
            }

            etherType = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(offset + 2));
            offset += EthernetFields.TagLength;
        }

        return true;
    }
}
