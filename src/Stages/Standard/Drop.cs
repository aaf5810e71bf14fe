using Pipeline.Runtime;
using Pipeline.Stages;

namespace Stages.Standard;

/// <summary>
/// Drops every packet, counted under <c>reason</c> (Click's <c>Discard</c>): a sink that says why, where the
/// pipeline's <c>drop</c> sink counts every packet as <c>discarded</c>.
/// </summary>
/// <remarks>Gates: <c>out</c> (never used). Drops: every packet, as <c>reason</c>; a multi-slot (MOREFRAG) packet once.</remarks>
/// <example><code>
/// stages:
///   blocked: { type: drop, reason: filtered }
/// pipes:
///   - acl.deny -> blocked
/// </code></example>
/// <seealso cref="DropOptions"/>
/// <seealso cref="Sample"/>
[Stage("drop", Summary = "Drops every packet with the given reason (default 'discarded')")]
public sealed class Drop : IPacketStage
{
    private readonly DropReason _reason;

    /// <summary>A sink that drops as <paramref name="options"/> says.</summary>
    public Drop(DropOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _reason = options.Reason;
    }

    /// <inheritdoc/>
    public void OnBatch(PacketBatch batch, StageContext context)
    {
        var slots = batch.Open().Slots;
        for (var i = 0; i < slots.Length;)
        {
            var first = i;
            i = Fragments.End(slots, first, out _);
            context.Drop(first, _reason);
        }
    }
}
