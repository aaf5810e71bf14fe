using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Netmap.Io.Packets;

/// <summary>
/// The Internet checksum (RFC 1071): one's-complement sum of big-endian 16-bit words, an odd trailing
/// byte as the high byte, folded and inverted; and its incremental update (RFC 1624).
/// </summary>
public static class Checksum
{
    /// <summary>The unfolded one's-complement sum of <paramref name="data"/>, added to <paramref name="sum"/>.</summary>
    public static ulong Sum(ReadOnlySpan<byte> data, ulong sum = 0)
    {
        var i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            var word = BinaryPrimitives.ReadUInt64BigEndian(data[i..]);
            sum += (word >> 48) + ((word >> 32) & 0xFFFF) + ((word >> 16) & 0xFFFF) + (word & 0xFFFF);
        }

        for (; i + 2 <= data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if (i < data.Length)
        {
            sum += (ulong)data[i] << 8;
        }

        return sum;
    }

    /// <summary>Folds a sum to 16 bits and inverts it: the value to store in a checksum field.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Finish(ulong sum)
    {
        while (sum >> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }

    /// <summary>The checksum of <paramref name="data"/> (an IPv4 header with its checksum field zeroed, say).</summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => Finish(Sum(data));

    /// <summary>True when <paramref name="data"/>, checksum field included, sums to 0xFFFF (the field is right).</summary>
    public static bool Verify(ReadOnlySpan<byte> data) => Finish(Sum(data)) == 0;

    /// <summary>
    /// RFC 1624 eqn. 3: the new checksum after a 16-bit field changed from <paramref name="oldValue"/> to
    /// <paramref name="newValue"/>: HC' = ~(~HC + ~m + m').
    /// </summary>
    public static ushort Update(ushort checksum, ushort oldValue, ushort newValue)
    {
        ulong sum = (ushort)~checksum;
        sum += (ushort)~oldValue;
        sum += newValue;
        return Finish(sum);
    }

    /// <summary>The IPv4 pseudo-header sum for TCP/UDP: source, destination, protocol, L4 length.</summary>
    public static ulong PseudoHeaderV4(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, byte protocol, int l4Length) =>
        Sum(source) + Sum(destination) + protocol + (ulong)l4Length;

    /// <summary>The IPv6 pseudo-header sum for TCP/UDP: source, destination, upper-layer length, next header.</summary>
    public static ulong PseudoHeaderV6(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, byte nextHeader, int l4Length) =>
        Sum(source) + Sum(destination) + (ulong)(l4Length >> 16) + (ulong)(l4Length & 0xFFFF) + nextHeader;
}
