using System.Runtime.CompilerServices;

namespace Pipeline.Cluster.Links;

/// <summary>
/// Rendezvous (highest random weight) hashing of flows onto nodes: a flow goes to the node whose score for it is
/// highest. When a node goes, only its flows move; when one comes, it takes only the flows it now wins.
/// </summary>
internal static class Rendezvous
{
    /// <summary>A node's salt from its name: stable across processes (not string.GetHashCode).</summary>
    public static uint Salt(string node)
    {
        var h = 2166136261u; // FNV-1a
        foreach (var c in node)
        {
            h = (h ^ c) * 16777619u;
        }

        return Mix(h);
    }

    /// <summary>The score of a flow hash on a node with <paramref name="salt"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Score(uint flowHash, uint salt) => Mix(flowHash ^ salt);

    // murmur3's finaliser: every input bit flips about half the output bits.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Mix(uint h)
    {
        h ^= h >> 16;
        h *= 0x85EBCA6B;
        h ^= h >> 13;
        h *= 0xC2B2AE35;
        h ^= h >> 16;
        return h;
    }
}
