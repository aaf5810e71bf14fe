using Pipeline.Runtime;
using Pipeline.Stages;

namespace Stages.Standard;

/// <summary>
/// Passes one packet in every <c>every</c>, deterministically (the 1st, the every+1th, ... counted across
/// batches), as Click's <c>RandomSample</c> does at random. The others leave by <c>rest</c> when a pipe connects it,
/// else are dropped as <c>sampled-out</c>.
/// </summary>
/// <remarks>
/// Gates: <c>out</c> (the sampled packets); <c>rest</c> (the others), used only when connected. Drops:
/// <c>sampled-out</c>. A multi-slot (MOREFRAG) packet counts once.
/// </remarks>
/// <example><code>
/// stages:
///   one-in-100: { type: sample, every: 100 }
/// pipes:
///   - wan -> one-in-100 -> capture
///   - one-in-100.rest -> lan
/// </code></example>
/// <seealso cref="SampleOptions"/>
/// <seealso cref="Mirror"/>
[Stage("sample", Gates = ["out", RestGate], Summary = "Passes one packet in every N; the others to 'rest' if connected, else dropped")]
public sealed class Sample : IPacketStage
{
    private const string RestGate = "rest";

    private readonly int _every;
    private int _seen;

    /// <summary>A sampler as <paramref name="options"/> describes.</summary>
    public Sample(SampleOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _every = options.Every;
    }

    /// <inheritdoc/>
    public void OnBatch(PacketBatch batch, StageContext context)
    {
        var rest = context.Gate(RestGate);
        var divert = context.IsConnected(rest);
        var slots = batch.Open().Slots;
        var seen = _seen; // packets since the last one picked
        for (var i = 0; i < slots.Length;)
        {
            var first = i;
            i = Fragments.End(slots, first, out _);
            if (seen == 0)
            {
                // Picked: it goes on by out (the default).
            }
            else if (divert)
            {
                context.Next(first, rest);
            }
            else
            {
                context.Drop(first, DropReason.SampledOut);
            }

            seen = seen + 1 == _every ? 0 : seen + 1;
        }

        _seen = seen;
    }
}
