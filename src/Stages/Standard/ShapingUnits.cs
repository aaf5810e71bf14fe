using System.Globalization;
using System.Runtime.CompilerServices;

namespace Stages.Standard;

// The units of the shaping stages' options, parsed once when an options record is bound (never per packet):
// durations with ns/us/ms/s, rates in bits per second and sizes in bytes with decimal k/m/g multipliers
// (netmap's tlem units: k = 1000). Errors name the YAML key, so the loader reports them there.
internal static class ShapingUnits
{
    public const long NanosecondsPerSecond = 1_000_000_000;

    /// <summary>The largest timestamp frequency the shaping stages' integer arithmetic allows (10 GHz).</summary>
    public const long MaxTimestampFrequency = 10_000_000_000;

    /// <summary>A duration such as <c>10ms</c>, <c>2.5us</c>, <c>1s</c>, <c>500ns</c> (<c>0</c> needs no unit), in nanoseconds.</summary>
    public static long ParseDuration(string key, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var span = text.AsSpan().Trim();
        var (number, unit) = Split(span);
        long scale = unit switch
        {
            "ns" => 1,
            "us" or "µs" => 1_000,
            "ms" => 1_000_000,
            "s" => NanosecondsPerSecond,
            _ => 0,
        };
        if (!TryNumber(number, out var value) || (scale == 0 && !(unit.Length == 0 && value == 0)))
        {
            throw new ArgumentException($"{key} must be a duration such as 10ms (units ns, us, ms, s), found '{text}'", key);
        }

        var nanoseconds = Math.Round(value * scale);
        if (nanoseconds > long.MaxValue / 4)
        {
            throw new ArgumentOutOfRangeException(key, $"{key} is too long, found '{text}'");
        }

        return (long)nanoseconds;
    }

    /// <summary>A rate in bits per second: <c>100m</c>, <c>100mbit</c>, <c>1g</c>, <c>1gbps</c>, <c>64k</c>, <c>2000000</c>.</summary>
    public static long ParseBitRate(string key, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var span = text.AsSpan().Trim();
        var (number, unit) = Split(span);
        var multiplier = Multiplier(unit, out var rest);
        if (!TryNumber(number, out var value) || multiplier == 0 || rest is not ("" or "bit" or "bps" or "b"))
        {
            throw new ArgumentException($"{key} must be a rate in bits per second such as 100m or 1gbit (k, m, g: x1000), found '{text}'", key);
        }

        var rate = Math.Round(value * multiplier);
        if (rate > 1e13)
        {
            throw new ArgumentOutOfRangeException(key, $"{key} must be at most 10000g (10 Tbit/s), found '{text}'");
        }

        return (long)rate;
    }

    /// <summary>A size in bytes: <c>50000</c>, <c>50k</c>, <c>50kb</c>, <c>2m</c> (k, m, g: x1000).</summary>
    public static long ParseBytes(string key, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var span = text.AsSpan().Trim();
        var (number, unit) = Split(span);
        var multiplier = Multiplier(unit, out var rest);
        if (!TryNumber(number, out var value) || multiplier == 0 || rest is not ("" or "b"))
        {
            throw new ArgumentException($"{key} must be a size in bytes such as 50000 or 50k (k, m, g: x1000), found '{text}'", key);
        }

        var bytes = Math.Round(value * multiplier);
        if (bytes > 1e12)
        {
            throw new ArgumentOutOfRangeException(key, $"{key} must be at most 1000g bytes, found '{text}'");
        }

        return (long)bytes;
    }

    /// <summary><paramref name="nanoseconds"/> in ticks of a clock running at <paramref name="frequency"/> per second.</summary>
    public static long ToTicks(long nanoseconds, long frequency) =>
        (long)Int128.Min((Int128)nanoseconds * frequency / NanosecondsPerSecond, long.MaxValue / 4);

    /// <summary>The clock's timestamp frequency, checked to be in the range the stages' arithmetic allows.</summary>
    public static long FrequencyOf(TimeProvider time)
    {
        var frequency = time.TimestampFrequency;
        if (frequency <= 0 || frequency > MaxTimestampFrequency)
        {
            ThrowFrequency(frequency);
        }

        return frequency;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowFrequency(long frequency) =>
        throw new NotSupportedException($"a clock with {frequency} ticks per second: the shaping stages support up to {MaxTimestampFrequency}");

    // "12.5ms" -> ("12.5", "ms"), the unit lower-cased.
    private static (string Number, string Unit) Split(ReadOnlySpan<char> text)
    {
        var end = 0;
        while (end < text.Length && (char.IsAsciiDigit(text[end]) || text[end] == '.'))
        {
            end++;
        }

        return (text[..end].ToString(), text[end..].Trim().ToString().ToLowerInvariant());
    }

    private static long Multiplier(string unit, out string rest)
    {
        if (unit.Length == 0)
        {
            rest = string.Empty;
            return 1;
        }

        rest = unit[1..];
        return unit[0] switch
        {
            'k' => 1_000,
            'm' => 1_000_000,
            'g' => 1_000_000_000,
            _ => Plain(unit, out rest),
        };

        static long Plain(string unit, out string rest)
        {
            rest = unit;
            return 1;
        }
    }

    private static bool TryNumber(string text, out double value) =>
        double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
}
