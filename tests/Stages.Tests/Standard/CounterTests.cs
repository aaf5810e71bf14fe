using Netmap.Io.Rings;
using Pipeline.Stages;
using Stages.Standard;

namespace Stages.Tests.Standard;

public sealed class CounterTests
{
    [Fact]
    public void Counts_packets_and_bytes_across_batches_and_passes_them_unchanged()
    {
        using var bench = new StageBench();
        var small = TestPackets.Ipv4Frame(payloadLength: 6);   // 40 bytes
        var large = TestPackets.Ipv4Frame(payloadLength: 966); // 1000 bytes
        bench.Add(small);
        bench.Add(large);
        bench.Add(small);
        var before = bench.Slot(1);
        var counter = new Counter();
        var context = bench.Context("counter");

        bench.Run(counter, context);

        Assert.Equal(3, counter.Packets);
        Assert.Equal(1080, counter.Bytes);
        for (var i = 0; i < 3; i++)
        {
            StageBench.AssertGate(context, i, GateId.Out);
        }

        Assert.Equal(before, bench.Slot(1));
        Assert.Equal(large, bench.Data(1));

        bench.Recycle();
        bench.Add(large);
        bench.Run(counter, bench.Context("counter"));
        Assert.Equal(4, counter.Packets);
        Assert.Equal(2080, counter.Bytes);
    }

    [Fact]
    public void Multi_slot_packet_counts_once_with_the_bytes_of_every_slot()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame(payloadLength: 166); // 200 bytes in three slots
        bench.Add(frame.AsSpan(0, 100), flags: SlotFlags.MoreFrag);
        bench.Add(frame.AsSpan(100, 60), flags: SlotFlags.MoreFrag);
        bench.Add(frame.AsSpan(160));
        bench.Add(frame);
        var counter = new Counter();

        bench.Run(counter, bench.Context("counter"));

        Assert.Equal(2, counter.Packets);
        Assert.Equal(400, counter.Bytes);
    }

    [Fact]
    public void Empty_batch_counts_nothing()
    {
        using var bench = new StageBench();
        var counter = new Counter();

        bench.Run(counter, bench.Context("counter"));

        Assert.Equal(0, counter.Packets);
        Assert.Equal(0, counter.Bytes);
    }

    [Fact]
    public void Steady_state_allocates_nothing()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame();
        var counter = new Counter();
        var context = bench.Context("counter");

        Assert.Equal(0, SteadyState.BytesPerBatch(() => OneBatch(bench, counter, context, frame)));
        Assert.Equal(SteadyState.Calls * 32, counter.Packets);
        Assert.Equal((long)SteadyState.Calls * 32 * frame.Length, counter.Bytes);

        static void OneBatch(StageBench bench, Counter counter, StageContext context, byte[] frame)
        {
            bench.Recycle();
            for (var i = 0; i < 32; i++)
            {
                bench.Add(frame);
            }

            bench.Run(counter, context);
        }
    }
}
