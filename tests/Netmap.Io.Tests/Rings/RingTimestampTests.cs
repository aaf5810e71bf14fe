using Netmap.Io.Rings;

namespace Netmap.Io.Tests.Rings;

// netmap's ring timestamp (netmap-notes §1.3): every RX sync stamps the ring, unless the no_timestamp knob is on;
// then only rings flagged NR_TIMESTAMP are stamped.
public sealed class RingTimestampTests : NetmapTestBase
{
    [Fact]
    public void Every_RX_sync_stamps_the_ring_by_default()
    {
        using var handle = Domain.Open("null");
        var rx = handle.RxRing;
        Assert.False(Domain.NoTimestamp);

        rx.RxSync();
        var first = rx.Timestamp;
        SpinWait.SpinUntil(() => System.Diagnostics.Stopwatch.GetTimestamp() > first);
        rx.RxSync();

        Assert.NotEqual(0L, first);
        Assert.True(rx.Timestamp > first);
    }

    [Fact]
    public void With_no_timestamp_only_rings_flagged_Timestamp_are_stamped()
    {
        Domain.NoTimestamp = true;
        using var plain = Domain.Open("null:a");
        using var flagged = Domain.Open("null:b");
        flagged.RxRing.Flags = RingFlags.Timestamp;

        plain.RxRing.RxSync();
        flagged.RxRing.RxSync();

        Assert.Equal(0L, plain.RxRing.Timestamp);
        Assert.NotEqual(0L, flagged.RxRing.Timestamp);

        Domain.NoTimestamp = false; // netmap's knob is read at each sync
        plain.RxRing.RxSync();
        Assert.NotEqual(0L, plain.RxRing.Timestamp);
    }
}
