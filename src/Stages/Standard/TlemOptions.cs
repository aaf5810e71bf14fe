using System.Runtime.CompilerServices;

namespace Stages.Standard;

/// <summary>
/// The link <see cref="Tlem"/> emulates: YAML keys <c>delay</c>, <c>jitter</c>, <c>loss</c>, <c>rate</c>,
/// <c>max-queue</c>, <c>seed</c>.
/// </summary>
/// <remarks>
/// Units (netmap's tlem): durations take <c>ns</c>, <c>us</c>, <c>ms</c> or <c>s</c> (<c>10ms</c>, <c>2.5us</c>);
/// rates are bits per second with <c>k</c>, <c>m</c>, <c>g</c> (x1000) and an optional <c>bit</c>/<c>bps</c>
/// (<c>100m</c> = <c>100mbit</c> = 100 Mbit/s); sizes are bytes with <c>k</c>, <c>m</c> (x1000) and an optional
/// <c>b</c> (<c>50k</c> = 50000 bytes). Each value is checked when it is set, so a bad one is reported at its key.
/// </remarks>
public sealed record TlemOptions
{
    /// <summary>The bytes <c>max-queue</c> defaults to when a rate is set (netmap's tlem default).</summary>
    public const long DefaultMaxQueueBytes = 50_000;

    /// <summary>One-way delay added to every packet, a duration. <b>Default:</b> <c>0</c>.</summary>
    public string Delay
    {
        get;
        init
        {
            DelayNanoseconds = ShapingUnits.ParseDuration("delay", value);
            field = value;
        }
    } = "0";

    /// <summary><see cref="Delay"/> in nanoseconds.</summary>
    public long DelayNanoseconds { get; private init; }

    /// <summary>
    /// Each packet's delay varies by a uniform amount in [-jitter, +jitter] (never below zero, never reordering), a
    /// duration. <b>Default:</b> <c>0</c>.
    /// </summary>
    public string Jitter
    {
        get;
        init
        {
            JitterNanoseconds = ShapingUnits.ParseDuration("jitter", value);
            field = value;
        }
    } = "0";

    /// <summary><see cref="Jitter"/> in nanoseconds.</summary>
    public long JitterNanoseconds { get; private init; }

    /// <summary>Probability that a packet is lost, 0 to 1 (<c>0.01</c>: one in a hundred). <b>Default:</b> 0.</summary>
    public double Loss
    {
        get;
        init => field = value is >= 0 and <= 1 ? value : OutOfRange<double>("loss", $"loss must be a probability from 0 to 1, found {value}");
    }

    /// <summary>
    /// Link rate in bits per second (<c>100m</c>, <c>1g</c>): each packet takes len*8/rate to serialize, and
    /// packets queue behind each other. <c>0</c>: unlimited. <b>Default:</b> <c>0</c>.
    /// </summary>
    public string Rate
    {
        get;
        init
        {
            RateBitsPerSecond = ShapingUnits.ParseBitRate("rate", value);
            field = value;
        }
    } = "0";

    /// <summary><see cref="Rate"/> in bits per second; 0 when unlimited.</summary>
    public long RateBitsPerSecond { get; private init; }

    /// <summary>
    /// Bytes that may wait for the link (<c>50k</c>); a packet that does not fit is dropped as <c>queue-full</c>.
    /// <b>Default:</b> 50000 bytes when a rate is set, else unlimited.
    /// </summary>
    public string? MaxQueue
    {
        get;
        init
        {
            MaxQueueBytes = value is null ? null : ShapingUnits.ParseBytes("max-queue", value);
            field = value;
        }
    }

    /// <summary><see cref="MaxQueue"/> in bytes; null when not set.</summary>
    public long? MaxQueueBytes { get; private init; }

    /// <summary>Seed of the loss and jitter draws: the same seed and traffic give the same run. <b>Default:</b> 1.</summary>
    public int Seed { get; init; } = 1;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T OutOfRange<T>(string key, string message) => throw new ArgumentOutOfRangeException(key, message);
}
