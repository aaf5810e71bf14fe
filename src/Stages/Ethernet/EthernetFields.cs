namespace Stages.Ethernet;

// Offsets and values of the Ethernet and 802.1Q headers, in one place (PacketDotNet's *Fields).
internal static class EthernetFields
{
    /// <summary>Destination and source MAC addresses: the bytes a tag goes after.</summary>
    public const int MacsLength = 12;

    /// <summary>Offset of the EtherType (or of an outer tag's TPID).</summary>
    public const int EtherTypeOffset = 12;

    /// <summary>Two MACs and an EtherType.</summary>
    public const int HeaderLength = 14;

    /// <summary>An 802.1Q/802.1ad tag: TPID and TCI.</summary>
    public const int TagLength = 4;

    /// <summary>An Ethernet header with one tag.</summary>
    public const int TaggedHeaderLength = HeaderLength + TagLength;

    /// <summary>802.1Q customer tag.</summary>
    public const ushort Tpid8021Q = 0x8100;

    /// <summary>802.1ad service (QinQ outer) tag.</summary>
    public const ushort Tpid8021AD = 0x88a8;

    /// <summary>The smallest EtherType; smaller values in that field are 802.3 lengths.</summary>
    public const ushort MinEtherType = 0x0600;
}
