using System.Runtime.CompilerServices;
using Pipeline.Runtime;
using Pipeline.Stages;

namespace Stages.Standard;

/// <summary>
/// A link emulator, as netmap's tlem: each packet may be lost (<c>loss</c>), waits for the link (<c>rate</c>:
/// len*8/rate to serialize, behind the packets before it, in a queue of at most <c>max-queue</c> bytes), then
/// travels for <c>delay</c> ± <c>jitter</c>. The runtime holds it until its departure on the pipeline's clock
/// (<see cref="StageContext.Time"/>) and releases packets in order: jitter never reorders. Loss and jitter are drawn
/// from a <see cref="Random"/> seeded with <c>seed</c>, so the same traffic gives the same run.
/// </summary>
/// <remarks>
/// <para>Departure (netmap's tlem): the link is free at F (at least the batch's arrival time); a packet of L bytes
/// leaves the queue at F += L*8/rate and departs at max(F + delay + jitter, previous departure + L*8/rate), the
/// delay part never below zero. With neither rate, delay nor jitter, packets that are not lost pass at once.</para>
/// <para>Queue: with a rate, a packet that arrives while the link is busy is dropped as <c>queue-full</c> when the
/// bytes still waiting for the link, its own included, exceed <c>max-queue</c> (a packet always fits an idle
/// link, so <c>max-queue: 0</c> means no queue). Without a rate, <c>max-queue</c> bounds the bytes the stage holds
/// in its delay line (<see cref="StageContext.DelayedBytes"/>).</para>
/// <para>Gates: <c>out</c>. Drops: <c>loss</c> (drawn), <c>queue-full</c>. A multi-slot (MOREFRAG) packet counts
/// with the bytes of all its slots. The draws are per packet, in order: loss (when <c>loss</c> &gt; 0), then jitter
/// (when <c>jitter</c> &gt; 0, for packets that are queued).</para>
/// </remarks>
/// <example><code>
/// stages:
///   wan-link: { type: tlem, delay: 10ms, jitter: 2ms, loss: 0.01, rate: 100m, max-queue: 50k, seed: 7 }
/// pipes:
///   - lan -> wan-link -> wan
/// </code></example>
/// <seealso cref="TlemOptions"/>
/// <seealso cref="RateLimit"/>
[Stage("tlem", Summary = "Link emulator (netmap's tlem): delay, jitter, loss, rate and a bounded queue, with seeded draws")]
public sealed class Tlem : IPacketStage
{
    private readonly Random _random;
    private readonly double _loss;
    private readonly long _rate;
    private readonly long _maxQueueBytes;
    private readonly long _delayNanoseconds;
    private readonly long _jitterNanoseconds;
    private readonly bool _passThrough;

    // In ticks of the pipeline's clock, set at the first batch (the clock is not known before).
    private long _frequency;
    private long _delayTicks;
    private long _jitterTicks;
    private long _maxQueueTicks;
    private long _bitTicks;

    private long _linkFreeAt;
    private long _remainder;
    private long _lastDeparture = long.MinValue / 4;

    /// <summary>A link as <paramref name="options"/> describes.</summary>
    public Tlem(TlemOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
#pragma warning disable CA5394 // a seeded, repeatable draw is the point: this is emulation, not security
        _random = new Random(options.Seed);
#pragma warning restore CA5394
        _loss = options.Loss;
        _rate = options.RateBitsPerSecond;
        _maxQueueBytes = options.MaxQueueBytes ?? (_rate > 0 ? TlemOptions.DefaultMaxQueueBytes : long.MaxValue);
        _delayNanoseconds = options.DelayNanoseconds;
        _jitterNanoseconds = options.JitterNanoseconds;
        _passThrough = _rate == 0 && _delayNanoseconds == 0 && _jitterNanoseconds == 0;
    }

    /// <inheritdoc/>
    public void OnBatch(PacketBatch batch, StageContext context)
    {
        var time = context.Time;
        if (_frequency == 0)
        {
            Start(time);
        }

        var now = time.GetTimestamp();
        if (_linkFreeAt < now)
        {
            _linkFreeAt = now; // the link went idle: the queue is empty
            _remainder = 0;
        }

        var slots = batch.Open().Slots;
        var heldBytes = context.DelayedBytes;
        for (var i = 0; i < slots.Length;)
        {
            var first = i;
            i = Fragments.End(slots, first, out var bytes);
#pragma warning disable CA5394 // seeded emulation draws
            if (_loss > 0 && _random.NextDouble() < _loss)
            {
                context.Drop(first, DropReason.Loss);
                continue;
            }

            long serialization = 0;
            var remainder = _remainder;
            if (_rate > 0)
            {
                // len*8/rate in ticks, the fraction carried to the next packet so the rate is exact over time.
                var bitTicks = (bytes * _bitTicks) + remainder;
                serialization = bitTicks / _rate;
                remainder = bitTicks - (serialization * _rate);
                var backlog = _linkFreeAt - now;
                if (backlog > 0 && backlog + serialization > _maxQueueTicks)
                {
                    context.Drop(first, DropReason.QueueFull);
                    continue;
                }
            }
            else if (heldBytes > 0 && heldBytes + bytes > _maxQueueBytes)
            {
                context.Drop(first, DropReason.QueueFull);
                continue;
            }

            if (_passThrough)
            {
                continue;
            }

            _linkFreeAt += serialization;
            _remainder = remainder;
            var extra = _delayTicks;
            if (_jitterTicks > 0)
            {
                extra = Math.Max(0, extra + _random.NextInt64(-_jitterTicks, _jitterTicks + 1));
            }
#pragma warning restore CA5394

            // No reordering: never before the previous packet, which holds the link for this one's serialization.
            var departure = Math.Max(_linkFreeAt + extra, _lastDeparture + serialization);
            _lastDeparture = departure;
            heldBytes += bytes;
            context.Delay(first, GateId.Out, time.GetElapsedTime(now, departure));
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Start(TimeProvider time)
    {
        var frequency = ShapingUnits.FrequencyOf(time);
        _delayTicks = ShapingUnits.ToTicks(_delayNanoseconds, frequency);
        _jitterTicks = ShapingUnits.ToTicks(_jitterNanoseconds, frequency);
        _bitTicks = 8 * frequency;
        _maxQueueTicks = _rate == 0 ? long.MaxValue : (long)Int128.Min((Int128)_maxQueueBytes * _bitTicks / _rate, long.MaxValue / 4);
        _frequency = frequency;
    }
}
