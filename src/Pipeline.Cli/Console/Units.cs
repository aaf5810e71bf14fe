using System.Globalization;

namespace Pipeline.Cli.Console;

/// <summary>How rates are printed.</summary>
internal static class Units
{
    /// <summary><c>617 pps</c>, <c>61.7 kpps</c>, <c>1.23 Mpps</c>.</summary>
    public static string PacketRate(double packetsPerSecond) => packetsPerSecond switch
    {
        >= 1e6 => Invariant($"{packetsPerSecond / 1e6:F2} Mpps"),
        >= 1e3 => Invariant($"{packetsPerSecond / 1e3:F1} kpps"),
        _ => Invariant($"{packetsPerSecond:F0} pps"),
    };

    /// <summary>Gigabits per second with two decimals: <c>0.63</c>.</summary>
    public static string Gbits(double bitsPerSecond) => Invariant($"{bitsPerSecond / 1e9:F2}");

    /// <summary>A count as plain digits: <c>1234567</c>.</summary>
    public static string Count(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Seconds with one decimal: <c>2.0</c>.</summary>
    public static string Seconds(TimeSpan time) => Invariant($"{time.TotalSeconds:F1}");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
