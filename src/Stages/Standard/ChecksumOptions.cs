using System.Runtime.CompilerServices;

namespace Stages.Standard;

/// <summary>The mode of <see cref="ChecksumStage"/>: YAML key <c>mode</c>, <c>verify</c> or <c>fix</c>.</summary>
public sealed record ChecksumOptions
{
    /// <summary>Verify or fix the checksums. <b>Default:</b> <c>verify</c>.</summary>
    public ChecksumMode Mode
    {
        get;
        init => field = Enum.IsDefined(value) ? value : OutOfRange<ChecksumMode>("mode", $"mode must be verify or fix, found {value}");
    } = ChecksumMode.Verify;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T OutOfRange<T>(string key, string message) => throw new ArgumentOutOfRangeException(key, message);
}
