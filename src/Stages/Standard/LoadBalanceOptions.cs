using System.Runtime.CompilerServices;
using Pipeline.Stages;

namespace Stages.Standard;

/// <summary>How <see cref="LoadBalance"/> spreads packets: YAML keys <c>gates</c> and <c>hash</c>.</summary>
/// <remarks>Each value is checked when it is set, so a bad one is reported at its YAML key.</remarks>
public sealed record LoadBalanceOptions : IStageGates
{
    /// <summary>The fewest gates.</summary>
    public const int MinGates = 2;

    /// <summary>The most gates.</summary>
    public const int MaxGates = 64;

    // out0 .. out63, made once.
    private static readonly string[] Names = MakeNames();

    /// <summary>How many gates, 2 to 64: they are named <c>out0</c> to <c>out{N-1}</c>.</summary>
    public required int Gates
    {
        get;
        init => field = value is >= MinGates and <= MaxGates
            ? value
            : OutOfRange<int>("gates", $"gates must be from {MinGates} to {MaxGates}, found {value}");
    }

    /// <summary>What the flow hash covers. <b>Default:</b> <c>five-tuple</c>.</summary>
    public LoadBalanceHash Hash { get; init; } = LoadBalanceHash.FiveTuple;

    IReadOnlyList<string> IStageGates.Gates => Names.AsSpan(0, Gates).ToArray();

    /// <summary>The name of gate <paramref name="index"/>: <c>out0</c>, <c>out1</c>, ...</summary>
    public static string GateName(int index) => Names[index];

    private static string[] MakeNames()
    {
        var names = new string[MaxGates];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = "out" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return names;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T OutOfRange<T>(string key, string message) => throw new ArgumentOutOfRangeException(key, message);
}
