using Netmap.Io.Ports;
using Netmap.Io.Ports.Nic;
using Netmap.Io.Sync;

namespace Netmap.Io.Tests.Ports.Nic;

// A sync loop (netmap-notes §3) keeping a NIC port's rings synced on its own thread while the test plays the
// wire on another. Timeouts are generous upper bounds that turn a hang into a failure; nothing is timed.
public sealed class NicSyncLoopTests : NetmapTestBase
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(SyncLoopMode.Notification)]
    [InlineData(SyncLoopMode.Sleep)]
    [InlineData(SyncLoopMode.BusyPoll)]
    public void A_sync_loop_carries_wire_frames_both_ways(SyncLoopMode mode)
    {
        const int Frames = 500;
        var nic = Domain.CreateSoftInterface("nic0", queueCapacity: 64);
        using var handle = Domain.Open("netmap:nic0", new RegisterOptions { TxSlots = 64, RxSlots = 64 });
        Exception? loopError = null;
        var loop = new Thread(() =>
        {
            try
            {
                handle.StartSyncLoop(new SyncLoopOptions { Mode = mode, SleepInterval = TimeSpan.FromMilliseconds(1) });
            }
            catch (Exception ex)
            {
                loopError = ex;
            }
        }) { IsBackground = true, Name = "nic sync loop" };
        loop.Start();

        var rx = handle.RxRing;
        var tx = handle.TxRing;
        var received = new List<byte[]>();
        var onWire = new List<byte[]>();
        var injected = 0;
        var sent = 0;
        var deadline = DateTime.UtcNow + Patience;
        while (received.Count < Frames || onWire.Count < Frames)
        {
            Assert.True(DateTime.UtcNow < deadline, $"stuck: {received.Count} received, {onWire.Count} on the wire");
            Assert.Null(loopError);
            // The wire sends as fast as the NIC RX queue takes frames (a full queue drops: do not overrun it).
            while (injected < Frames && nic.IsInNetmapMode && injected - received.Count < nic.QueueCapacity && nic.InjectFromWire(NicFrames.Plain(64 + (injected % 100), injected)))
            {
                injected++;
            }

            while (!rx.IsEmpty)
            {
                received.Add(PacketFill.Receive(rx));
            }

            while (sent < Frames && tx.Space > 0)
            {
                PacketFill.Send(tx, NicFrames.Plain(200 + (sent % 50), 1000 + sent));
                sent++;
            }

            handle.KickSyncLoop();
            while (nic.ReadWire() is { } frame)
            {
                onWire.Add(frame);
            }

            Thread.Yield();
        }

        handle.StopSyncLoop();
        Assert.True(loop.Join(Patience), "the loop did not return after the stop");
        Assert.Null(loopError);
        for (var i = 0; i < Frames; i++)
        {
            Assert.Equal(NicFrames.Plain(64 + (i % 100), i), received[i]);
            Assert.Equal(NicFrames.Plain(200 + (i % 50), 1000 + i), onWire[i]);
        }

        Assert.Equal(0, nic.WireRxDrops);
        Assert.Equal(0, Assert.IsType<NicPort>(handle.Port).ReadCounters().DroppedTotal);
    }
}
