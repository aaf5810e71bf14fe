using System.Runtime.CompilerServices;

namespace Stages.Tunnels;

/// <summary>The label stack entry <see cref="MplsPush"/> pushes: YAML keys <c>label</c>, <c>tc</c>, <c>ttl</c>.</summary>
/// <remarks>Each value is checked when it is set, so a bad one is reported at its YAML key.</remarks>
public sealed record MplsPushOptions
{
    /// <summary>The largest label (20 bits).</summary>
    public const uint MaxLabel = MplsFields.MaxLabel;

    /// <summary>The largest traffic class (3 bits).</summary>
    public const byte MaxTc = MplsFields.MaxTc;

    /// <summary>The label, 0 to 1048575 (0 to 15 are reserved labels, such as 3, implicit null).</summary>
    public required uint Label
    {
        get;
        init => field = value <= MaxLabel ? value : OutOfRange<uint>("label", $"label must be from 0 to {MaxLabel} (20 bits), found {value}");
    }

    /// <summary>Traffic class (the former EXP bits), 0 to 7. <b>Default:</b> 0.</summary>
    public byte Tc
    {
        get;
        init => field = value <= MaxTc ? value : OutOfRange<byte>("tc", $"tc must be from 0 to {MaxTc} (3 bits), found {value}");
    }

    /// <summary>Time to live of the entry, 1 to 255 (an entry with TTL 0 is discarded by the next hop). <b>Default:</b> 64.</summary>
    public byte Ttl
    {
        get;
        init => field = value != 0 ? value : OutOfRange<byte>("ttl", "ttl must be from 1 to 255, found 0");
    } = 64;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T OutOfRange<T>(string key, string message) => throw new ArgumentOutOfRangeException(key, message);
}
