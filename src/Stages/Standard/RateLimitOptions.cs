using System.Runtime.CompilerServices;

namespace Stages.Standard;

/// <summary>
/// The token bucket of <see cref="RateLimit"/>: YAML keys <c>pps</c> or <c>bps</c> (exactly one), and <c>burst</c>.
/// </summary>
/// <remarks>
/// <c>pps</c> and <c>bps</c> are checked together when the record is made (the loader reports a problem at the
/// stage); <c>burst</c> is checked when it is set (reported at its key).
/// </remarks>
public sealed record RateLimitOptions
{
    /// <summary>The largest packet rate, a billion packets per second.</summary>
    public const long MaxPps = 1_000_000_000;

    /// <summary>The largest bit rate, 10 Tbit/s.</summary>
    public const long MaxBps = 10_000_000_000_000;

    /// <summary>The largest burst, a billion packets or bytes.</summary>
    public const long MaxBurst = 1_000_000_000;

    /// <summary>The smallest default burst of a <c>bps</c> bucket: one full-size 802.1Q-tagged Ethernet frame.</summary>
    public const long MinDefaultBurstBytes = 1518;

    /// <summary>A bucket of <paramref name="pps"/> packets or <paramref name="bps"/> bits per second: give exactly one.</summary>
    public RateLimitOptions(long? pps = null, long? bps = null)
    {
        if (pps is null == bps is null)
        {
            throw new ArgumentException("rate-limit needs exactly one of 'pps' (packets per second) or 'bps' (bits per second)", pps is null ? nameof(pps) : nameof(bps));
        }

        if (pps is { } packets && packets is < 1 or > MaxPps)
        {
            throw new ArgumentOutOfRangeException(nameof(pps), $"pps must be from 1 to {MaxPps}, found {packets}");
        }

        if (bps is { } bits && bits is < 1 or > MaxBps)
        {
            throw new ArgumentOutOfRangeException(nameof(bps), $"bps must be from 1 to {MaxBps} (bits per second), found {bits}");
        }

        Pps = pps;
        Bps = bps;
    }

    /// <summary>Packets per second, or null when the bucket counts bits.</summary>
    public long? Pps { get; }

    /// <summary>Bits per second (every byte of the frame counts 8), or null when the bucket counts packets.</summary>
    public long? Bps { get; }

    /// <summary>
    /// The bucket's depth: packets with <c>pps</c>, bytes with <c>bps</c>. <b>Default:</b> a tenth of a second's worth,
    /// at least one packet (<c>pps</c>) or <see cref="MinDefaultBurstBytes"/> bytes (<c>bps</c>). A packet larger than
    /// the burst never passes.
    /// </summary>
    public long? Burst
    {
        get;
        init => field = value is null or (>= 1 and <= MaxBurst) ? value : OutOfRange<long?>("burst", $"burst must be from 1 to {MaxBurst}, found {value}");
    }

    /// <summary>The burst in effect: <see cref="Burst"/>, or its default for the rate.</summary>
    public long EffectiveBurst => Burst ?? (Pps is { } pps ? Math.Max(pps / 10, 1) : Math.Max(Bps!.Value / 80, MinDefaultBurstBytes));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T OutOfRange<T>(string key, string message) => throw new ArgumentOutOfRangeException(key, message);
}
