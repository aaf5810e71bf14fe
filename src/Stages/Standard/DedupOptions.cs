using System.Runtime.CompilerServices;

namespace Stages.Standard;

/// <summary>What <see cref="Dedup"/> remembers: YAML keys <c>window</c> (a duration) and <c>max</c> (packets).</summary>
/// <remarks>Each value is checked when it is set, so a bad one is reported at its key.</remarks>
public sealed record DedupOptions
{
    /// <summary>The most packets the stage remembers (the lookup is linear in it).</summary>
    public const int MaxRemembered = 1024;

    /// <summary>
    /// How long a packet is remembered: a duration with <c>ns</c>, <c>us</c>, <c>ms</c> or <c>s</c>, more than zero.
    /// <b>Default:</b> <c>50us</c> (netmap's dedup).
    /// </summary>
    public string Window
    {
        get;
        init
        {
            var nanoseconds = ShapingUnits.ParseDuration("window", value);
            WindowNanoseconds = nanoseconds > 0 ? nanoseconds : OutOfRange<long>("window", $"window must be longer than 0, found '{value}'");
            field = value;
        }
    } = "50us";

    /// <summary><see cref="Window"/> in nanoseconds.</summary>
    public long WindowNanoseconds { get; private init; } = 50_000;

    /// <summary>How many of the last packets are remembered, 1 to 1024. <b>Default:</b> 10 (netmap's dedup).</summary>
    public int Max
    {
        get;
        init => field = value is >= 1 and <= MaxRemembered ? value : OutOfRange<int>("max", $"max must be from 1 to {MaxRemembered} packets, found {value}");
    } = 10;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T OutOfRange<T>(string key, string message) => throw new ArgumentOutOfRangeException(key, message);
}
