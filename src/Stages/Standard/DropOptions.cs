using System.Runtime.CompilerServices;
using Pipeline.Stages;

namespace Stages.Standard;

/// <summary>The reason <see cref="Drop"/> gives: YAML key <c>reason</c>.</summary>
public sealed record DropOptions
{
    /// <summary>
    /// The drop reason counted for every packet, by its counter name (<c>filtered</c>, <c>denied</c>, <c>discarded</c>,
    /// ...). <b>Default:</b> <c>discarded</c>, as the pipeline's <c>drop</c> sink.
    /// </summary>
    public DropReason Reason
    {
        get;
        init => field = Enum.IsDefined(value) ? value : OutOfRange<DropReason>("reason", $"reason must be a drop reason, found {value}");
    } = DropReason.Discarded;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T OutOfRange<T>(string key, string message) => throw new ArgumentOutOfRangeException(key, message);
}
