using Pipeline.Runtime;
using Pipeline.Stages;

namespace Stages.Standard;

/// <summary>
/// Sends every packet on by <c>out</c> and a copy of it by <c>copy</c> (a port mirror, Click's <c>Tee</c>): the one
/// stage that copies packets. The original keeps its buffers; the copy gets new ones, taken from the arena when the
/// stage returns (<see cref="StageContext.TryCopyTo"/>).
/// </summary>
/// <remarks>
/// Gates: <c>out</c>; <c>copy</c>, copied to only when a pipe connects it. Drops: none. When no buffer is free the
/// copy is skipped, never the original: <see cref="SkippedCopies"/> counts the copies the stage could not ask for,
/// and the runtime counts those it could not make as <c>overflow</c> drops. A multi-slot (MOREFRAG) packet is copied
/// whole.
/// </remarks>
/// <example><code>
/// stages:
///   tap: { type: mirror }
/// pipes:
///   - wan -> tap -> lan
///   - tap.copy -> capture
/// </code></example>
/// <seealso cref="Sample"/>
[Stage("mirror", Gates = ["out", CopyGate], Summary = "Passes every packet on and a copy of it to 'copy'")]
public sealed class Mirror : IPacketStage
{
    private const string CopyGate = "copy";

    private long _skippedCopies;

    /// <summary>Copies not made for want of a free buffer, since the stage started.</summary>
    public long SkippedCopies => Volatile.Read(ref _skippedCopies);

    /// <inheritdoc/>
    public void OnBatch(PacketBatch batch, StageContext context)
    {
        var copy = context.Gate(CopyGate);
        if (!context.IsConnected(copy))
        {
            return; // nothing takes copies: every packet just goes on
        }

        var slots = batch.Open().Slots;
        long skipped = 0;
        for (var i = 0; i < slots.Length;)
        {
            var first = i;
            i = Fragments.End(slots, first, out _);
            if (!context.TryCopyTo(first, copy))
            {
                skipped++;
            }
        }

        if (skipped != 0)
        {
            // One write per batch; Volatile so a reader on another thread (a live view) sees whole values.
            Volatile.Write(ref _skippedCopies, _skippedCopies + skipped);
        }
    }
}
