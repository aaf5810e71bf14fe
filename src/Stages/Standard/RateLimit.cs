using System.Runtime.CompilerServices;
using Pipeline.Runtime;
using Pipeline.Stages;

namespace Stages.Standard;

/// <summary>
/// A token bucket policer (Click's <c>RatedSplitter</c>/<c>BandwidthRatedSplitter</c>, dropping the excess): the bucket fills at <c>pps</c>
/// packets or <c>bps</c> bits per second on the pipeline's clock (<see cref="StageContext.Time"/>), up to
/// <c>burst</c>; a packet passes when the bucket holds its cost (one packet, or its bytes) and takes it out, and is
/// dropped as <c>rate</c> otherwise. The bucket starts full.
/// </summary>
/// <remarks>
/// Gates: <c>out</c>. Drops: <c>rate</c>. The bucket is refilled once per batch, at the batch's arrival. A multi-slot
/// (MOREFRAG) packet is one packet, with the bytes of all its slots. The arithmetic is exact (integers scaled by the
/// clock's frequency), so a rate holds over any time span.
/// </remarks>
/// <example><code>
/// stages:
///   police: { type: rate-limit, bps: 10000000, burst: 15000 }
///   calm: { type: rate-limit, pps: 1000 }
/// pipes:
///   - wan -> police -> calm -> lan
/// </code></example>
/// <seealso cref="RateLimitOptions"/>
/// <seealso cref="Tlem"/>
[Stage("rate-limit", Summary = "Token bucket on packets or bits per second; excess is dropped as 'rate'")]
public sealed class RateLimit : IPacketStage
{
    private readonly long _rate;
    private readonly bool _bits;
    private readonly long _burst;

    // Tokens scaled by the clock's frequency: one tick adds _rate; a packet costs _frequency (pps) or bytes*8*_frequency (bps).
    private long _frequency;
    private long _capacity;
    private long _fillTicks;
    private long _tokens;
    private long _last;

    /// <summary>A bucket as <paramref name="options"/> describes.</summary>
    public RateLimit(RateLimitOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _bits = options.Bps is not null;
        _rate = options.Pps ?? options.Bps!.Value;
        _burst = options.EffectiveBurst;
    }

    /// <inheritdoc/>
    public void OnBatch(PacketBatch batch, StageContext context)
    {
        var now = context.Time.GetTimestamp();
        if (_frequency == 0)
        {
            Start(context.Time, now);
        }

        // Bounded first, so the product cannot overflow: past _fillTicks the bucket is full anyway.
        var elapsed = Math.Clamp(now - _last, 0, _fillTicks);
        _last = now;
        var tokens = Math.Min(_tokens + (elapsed * _rate), _capacity);
        var perByte = 8 * _frequency;
        var slots = batch.Open().Slots;
        for (var i = 0; i < slots.Length;)
        {
            var first = i;
            i = Fragments.End(slots, first, out var bytes);
            var cost = _bits ? bytes * perByte : _frequency;
            if (tokens >= cost)
            {
                tokens -= cost;
            }
            else
            {
                context.Drop(first, DropReason.Rate);
            }
        }

        _tokens = tokens;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Start(TimeProvider time, long now)
    {
        var frequency = ShapingUnits.FrequencyOf(time);
        var capacity = (Int128)_burst * frequency * (_bits ? 8 : 1);
        _capacity = (long)Int128.Min(capacity, long.MaxValue / 4);
        _fillTicks = (_capacity / _rate) + 1;
        _tokens = _capacity;
        _last = now;
        _frequency = frequency;
    }
}
