using System.Numerics;

namespace Stages.Ip;

/// <summary>
/// Longest-prefix match over addresses held as unsigned integers (<see cref="uint"/> for IPv4,
/// <see cref="UInt128"/> for IPv6, network order as a number): one hash table per prefix length in use,
/// searched from the longest length down. A lookup costs one probe per length in use and allocates nothing.
/// </summary>
/// <remarks>Built once when the stage starts; read-only afterwards.</remarks>
internal sealed class PrefixTable<T>
    where T : struct, IBinaryInteger<T>, IUnsignedNumber<T>
{
    private static readonly int Bits = T.AllBitsSet.GetByteCount() * 8;

    // Lengths in use, longest first, each with its table and mask.
    private readonly int[] _lengths;
    private readonly T[] _masks;
    private readonly Dictionary<T, int>[] _tables;

    /// <summary>A table of <paramref name="prefixes"/> (address, length, value); the first of two equal prefixes wins.</summary>
    public PrefixTable(IReadOnlyList<(T Address, int Length, int Value)> prefixes)
    {
        var byLength = new SortedDictionary<int, Dictionary<T, int>>(Comparer<int>.Create(static (a, b) => b.CompareTo(a)));
        foreach (var (address, length, value) in prefixes)
        {
            if (!byLength.TryGetValue(length, out var table))
            {
                byLength[length] = table = [];
            }

            table.TryAdd(address & MaskOf(length), value);
        }

        _lengths = new int[byLength.Count];
        _masks = new T[byLength.Count];
        _tables = new Dictionary<T, int>[byLength.Count];
        var i = 0;
        foreach (var (length, table) in byLength)
        {
            _lengths[i] = length;
            _masks[i] = MaskOf(length);
            _tables[i] = table;
            i++;
        }
    }

    /// <summary>Prefix lengths in use, longest first.</summary>
    public ReadOnlySpan<int> Lengths => _lengths;

    /// <summary>The value of the longest prefix holding <paramref name="address"/>; false when none does.</summary>
    public bool TryLookup(T address, out int value)
    {
        var tables = _tables;
        var masks = _masks;
        for (var i = 0; i < tables.Length && i < masks.Length; i++)
        {
            if (tables[i].TryGetValue(address & masks[i], out value))
            {
                return true;
            }
        }

        value = -1;
        return false;
    }

    /// <summary>The mask of a <paramref name="length"/>-bit prefix (0 for the default route: a shift by the width is not one).</summary>
    public static T MaskOf(int length) => length <= 0 ? T.Zero : T.AllBitsSet << (Bits - length);
}
