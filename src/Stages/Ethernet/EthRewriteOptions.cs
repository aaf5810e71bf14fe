namespace Stages.Ethernet;

/// <summary>The MAC addresses <see cref="EthRewrite"/> writes: YAML keys <c>src</c>, <c>dst</c> (one or both).</summary>
/// <remarks>Each value is checked when it is set, so a bad one is reported at its YAML key.</remarks>
public sealed record EthRewriteOptions
{
    /// <summary>The new source MAC, <c>aa:bb:cc:dd:ee:ff</c> (unicast), or null to keep each frame's own.</summary>
    public string? Src
    {
        get;
        init => field = value is null ? null : MacAddressText.Validate("src", value, unicast: true);
    }

    /// <summary>The new destination MAC, <c>aa:bb:cc:dd:ee:ff</c>, or null to keep each frame's own.</summary>
    public string? Dst
    {
        get;
        init => field = value is null ? null : MacAddressText.Validate("dst", value, unicast: false);
    }
}
