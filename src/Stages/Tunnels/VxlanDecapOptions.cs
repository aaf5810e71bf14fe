using System.Runtime.CompilerServices;

namespace Stages.Tunnels;

/// <summary>The tunnel <see cref="VxlanDecap"/> terminates: YAML keys <c>vni</c>, <c>udp-dst</c>.</summary>
/// <remarks>Each value is checked when it is set, so a bad one is reported at its YAML key.</remarks>
public sealed record VxlanDecapOptions
{
    /// <summary>The largest VNI (24 bits).</summary>
    public const uint MaxVni = VxlanFields.MaxVni;

    /// <summary>The VXLAN network identifier to decapsulate, 0 to 16777215; other VNIs leave by <c>other</c>.</summary>
    public required uint Vni
    {
        get;
        init => field = value <= MaxVni ? value : OutOfRange<uint>("vni", $"vni must be from 0 to {MaxVni} (24 bits), found {value}");
    }

    /// <summary>The UDP destination port that carries VXLAN, 1 to 65535. <b>Default:</b> 4789 (IANA's VXLAN port).</summary>
    public ushort UdpDst
    {
        get;
        init => field = value != 0 ? value : OutOfRange<ushort>("udp-dst", "udp-dst must be from 1 to 65535, found 0");
    } = VxlanFields.DefaultPort;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T OutOfRange<T>(string key, string message) => throw new ArgumentOutOfRangeException(key, message);
}
