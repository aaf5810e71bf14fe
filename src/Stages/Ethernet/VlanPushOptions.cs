using System.Runtime.CompilerServices;

namespace Stages.Ethernet;

/// <summary>The tag <see cref="VlanPush"/> pushes: YAML keys <c>vid</c>, <c>pcp</c>, <c>dei</c>, <c>tpid</c>.</summary>
/// <remarks>Each value is checked when it is set, so a bad one is reported at its YAML key.</remarks>
public sealed record VlanPushOptions
{
    /// <summary>The largest VLAN id (12 bits).</summary>
    public const ushort MaxVid = 4095;

    /// <summary>The largest priority code point (3 bits).</summary>
    public const byte MaxPcp = 7;

    /// <summary>The largest drop-eligible indicator (1 bit).</summary>
    public const byte MaxDei = 1;

    /// <summary>VLAN id, 0 to 4095 (0: a priority tag with no VLAN).</summary>
    public required ushort Vid
    {
        get;
        init => field = value <= MaxVid ? value : OutOfRange<ushort>("vid", $"vid must be from 0 to {MaxVid} (12 bits), found {value}");
    }

    /// <summary>Priority code point, 0 to 7. <b>Default:</b> 0.</summary>
    public byte Pcp
    {
        get;
        init => field = value <= MaxPcp ? value : OutOfRange<byte>("pcp", $"pcp must be from 0 to {MaxPcp} (3 bits), found {value}");
    }

    /// <summary>Drop-eligible indicator, 0 or 1. <b>Default:</b> 0.</summary>
    public byte Dei
    {
        get;
        init => field = value <= MaxDei ? value : OutOfRange<byte>("dei", $"dei must be 0 or 1, found {value}");
    }

    /// <summary>Tag protocol id: 0x8100 (802.1Q), 0x88a8 for a QinQ outer tag (802.1ad). <b>Default:</b> 0x8100.</summary>
    public ushort Tpid
    {
        get;
        init => field = value >= EthernetFields.MinEtherType
            ? value
            : OutOfRange<ushort>("tpid", $"tpid must be an EtherType (0x0600 or more, usually 0x8100 or 0x88a8), found 0x{value:x4}");
    } = EthernetFields.Tpid8021Q;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T OutOfRange<T>(string key, string message) => throw new ArgumentOutOfRangeException(key, message);
}
