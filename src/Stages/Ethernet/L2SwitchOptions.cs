using System.Runtime.CompilerServices;
using Pipeline.Stages;
using Stages.Standard;

namespace Stages.Ethernet;

/// <summary>The ports <see cref="L2Switch"/> bridges: YAML keys <c>gates</c>, <c>age-seconds</c>, <c>max-entries</c>.</summary>
/// <remarks>Each value is checked when it is set, so a bad one is reported at its YAML key.</remarks>
public sealed record L2SwitchOptions : IStageGates
{
    /// <summary>The most gates a switch can have.</summary>
    public const int MaxGates = 64;

    /// <summary>The longest aging time: about 11.5 days.</summary>
    public const int MaxAgeSeconds = 1_000_000;

    /// <summary>The largest address table.</summary>
    public const int MaxTableEntries = 1 << 20;

    /// <summary>
    /// The output gates, 2 to 64 distinct names, each named after the pipeline port whose packets it stands for: a
    /// packet that came in on port <c>lan</c> is learned on gate <c>lan</c> and never flooded back to it.
    /// </summary>
    public required string[] Gates
    {
        get;
        init => field = GateNames.ValidateList("gates", value, 2, MaxGates);
    }

    /// <summary>Seconds a learned address lasts without a packet from it, 1 to 1,000,000. <b>Default:</b> 300 (802.1D's).</summary>
    public int AgeSeconds
    {
        get;
        init => field = value is >= 1 and <= MaxAgeSeconds
            ? value
            : OutOfRange<int>("age-seconds", $"age-seconds must be from 1 to {MaxAgeSeconds}, found {value}");
    } = 300;

    /// <summary>Addresses the table holds, 1 to 1,048,576; when full, the least recently seen is forgotten. <b>Default:</b> 4096.</summary>
    public int MaxEntries
    {
        get;
        init => field = value is >= 1 and <= MaxTableEntries
            ? value
            : OutOfRange<int>("max-entries", $"max-entries must be from 1 to {MaxTableEntries}, found {value}");
    } = 4096;

    IReadOnlyList<string> IStageGates.Gates => Gates ?? [];

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T OutOfRange<T>(string key, string message) => throw new ArgumentOutOfRangeException(key, message);
}
