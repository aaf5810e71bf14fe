namespace Stages.Standard;

/// <summary>What <see cref="ChecksumStage"/> does with the checksums: YAML <c>verify</c> or <c>fix</c>.</summary>
public enum ChecksumMode
{
    /// <summary>Checks them; a packet with a wrong one is dropped as <c>malformed</c>.</summary>
    Verify,

    /// <summary>Recomputes them and writes them in place (the software checksum offload).</summary>
    Fix,
}
