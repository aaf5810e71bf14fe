using System.Runtime.CompilerServices;

namespace Stages.Standard;

/// <summary>How often <see cref="Sample"/> picks a packet: YAML key <c>every</c>.</summary>
/// <remarks>The value is checked when it is set, so a bad one is reported at its key.</remarks>
public sealed record SampleOptions
{
    /// <summary>One packet in every <c>every</c> passes (the 1st, the every+1th, ...); 1 or more.</summary>
    public required int Every
    {
        get;
        init => field = value >= 1 ? value : OutOfRange<int>("every", $"every must be 1 or more, found {value}");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T OutOfRange<T>(string key, string message) => throw new ArgumentOutOfRangeException(key, message);
}
