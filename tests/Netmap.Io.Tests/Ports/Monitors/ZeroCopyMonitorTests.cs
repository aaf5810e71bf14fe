using Netmap.Io.Ports;
using Netmap.Io.Ports.Monitors;
using Netmap.Io.Rings;

namespace Netmap.Io.Tests.Ports.Monitors;

/// <summary>
/// Zero-copy monitors (<c>/z</c>) of VALE ports, chains of zero-copy monitors, overflow and the parent going
/// away (netmap-notes §6; netmap tests 015, 016, 025, 026).
/// </summary>
public sealed class ZeroCopyMonitorTests : NetmapTestBase
{
    private static byte[] Broadcast(int length, byte fill)
    {
        var frame = new byte[length];
        Array.Fill(frame, fill);
        frame.AsSpan(0, 6).Fill(0xff);
        return frame;
    }

    private static void AssertNone(PortHandle h)
    {
        h.RxSync();
        Assert.True(h.RxRing.IsEmpty);
    }

    /// <summary>Sends one frame per entry and syncs once.</summary>
    private static void Send(PortHandle h, params byte[][] frames)
    {
        foreach (var frame in frames)
        {
            PacketFill.Send(h.TxRing, frame);
        }

        h.TxSync();
    }

    /// <summary>Reads every packet at the RX head (without releasing them: no sync).</summary>
    private static List<byte[]> ReadAll(Ring rx)
    {
        var list = new List<byte[]>();
        while (!rx.IsEmpty)
        {
            list.Add(PacketFill.Receive(rx));
        }

        return list;
    }

    private void ReceivedFrameIsSeenOnlyOnceReleased(string parentSpec, string monitorSpec)
    {
        using var v0 = Domain.Open(parentSpec);
        using var v1 = Domain.Open("vale0:v1");
        using var monitor = Domain.Open(monitorSpec);
        Assert.Equal(v0.MemId, monitor.MemId); // the parent's private region: buffers are swapped, not copied
        Assert.NotEqual(NetmapDomain.DefaultMemId, monitor.MemId);
        var frame = Broadcast(150, (byte)'d');
        Send(v1, frame);
        AssertNone(monitor); // arrived, not yet read

        v0.RxSync();
        var rx = v0.RxRing;
        var slot = rx.Head;
        var buffer = rx[slot].BufIdx;
        Assert.Equal(frame, PacketFill.Receive(rx));
        AssertNone(monitor); // read, not yet released

        v0.RxSync(); // releases it
        Assert.NotEqual(buffer, rx[slot].BufIdx); // the monitor's old buffer took its place
        monitor.RxSync();
        var mon = monitor.RxRing;
        Assert.Equal(1u, mon.Space);
        Assert.Equal(buffer, mon[mon.Head].BufIdx);
        Assert.Equal(SlotFlags.None, mon[mon.Head].Flags & SlotFlags.TxMon);
        Assert.Equal(frame, PacketFill.Receive(mon));
        monitor.RxSync();

        // The swapped-in buffer takes the next frame normally.
        var next = Broadcast(90, (byte)'x');
        Send(v1, next);
        v0.RxSync();
        Assert.Equal(next, PacketFill.Receive(v0.RxRing));
        v0.RxSync();
        monitor.RxSync();
        Assert.Equal(next, PacketFill.Receive(monitor.RxRing));
        monitor.RxSync();
    }

    [Fact]
    public void A_vale_zero_copy_monitor_sees_a_received_frame_only_once_the_port_releases_it_test_015()
    {
        // netmap utils/tests/015_vale_zcopy_monitor_rx — objective: vale0:v0/z gets the frames v0 receives when
        // v0 releases them. Operations: 1) open vale0:v0, vale0:v1, vale0:v0/z; 2) v1 sends 1 x 150 B 'd';
        // 3) the monitor gets nothing while v0 has not read; 4) v0 reads; 5) the monitor gets the frame.
        ReceivedFrameIsSeenOnlyOnceReleased("vale0:v0", "vale0:v0/z");
    }

    [Fact]
    public void A_zero_copy_monitor_of_a_persistent_port_sees_a_frame_once_released_test_016()
    {
        // netmap utils/tests/016_vale_persistent_zcopy_monitor_rx — as 015, with netmap:v0/z on a persistent
        // v0 attached to vale0.
        Domain.CreatePersistentPort("v0");
        Domain.ValeAttach("vale0:v0");
        ReceivedFrameIsSeenOnlyOnceReleased("vale0:v0", "netmap:v0/z");
        Domain.ValeDetach("vale0:v0");
        Domain.DestroyPersistentPort("v0");
    }

    private void SentFrameIsSeenEvenIfNobodyReads(string parentSpec, string monitorSpec)
    {
        using var v0 = Domain.Open(parentSpec);
        using var v1 = Domain.Open("vale0:v1");
        using var monitor = Domain.Open(monitorSpec);
        var frame = Broadcast(150, (byte)'e');
        var tx = v0.TxRing;
        var slot = tx.Head;
        var buffer = tx[slot].BufIdx;
        Send(v0, frame);
        Assert.Equal(tx.Prev(tx.Head), tx.Tail); // VALE TX completes at once

        // v1 has not read: the monitor already has v0's own buffer, flagged as transmitted.
        monitor.RxSync();
        var mon = monitor.RxRing;
        Assert.Equal(1u, mon.Space);
        Assert.Equal(buffer, mon[mon.Head].BufIdx);
        Assert.Equal(SlotFlags.TxMon, mon[mon.Head].Flags & SlotFlags.TxMon);
        Assert.Equal(SlotFlags.BufChanged, tx[slot].Flags & SlotFlags.BufChanged);
        Assert.NotEqual(buffer, tx[slot].BufIdx);
        Assert.Equal(frame, PacketFill.Receive(mon));
        monitor.RxSync();

        // The switch copied the frame before the swap: v1 gets it intact.
        v1.RxSync();
        Assert.Equal(frame, PacketFill.Receive(v1.RxRing));
        v1.RxSync();
    }

    [Fact]
    public void A_vale_zero_copy_monitor_sees_sent_frames_even_if_the_receiver_never_reads_test_025()
    {
        // netmap utils/tests/025_vale_zcopy_monitor_tx — objective: VALE TX completes immediately (the switch
        // copies), so vale0:v0/z gets what v0 sends at that TX sync. Operations: 1) open vale0:v0, vale0:v1,
        // vale0:v0/z; 2) v0 sends 1 x 150 B; 3) the monitor receives it while v1 has not read; 4) v1 receives it.
        SentFrameIsSeenEvenIfNobodyReads("vale0:v0", "vale0:v0/z");
    }

    [Fact]
    public void A_zero_copy_monitor_of_a_persistent_port_sees_sent_frames_test_026()
    {
        // netmap utils/tests/026_vale_persistent_zcopy_monitor_tx — as 025, with netmap:v0/z on a persistent v0.
        Domain.CreatePersistentPort("v0");
        Domain.ValeAttach("vale0:v0");
        SentFrameIsSeenEvenIfNobodyReads("vale0:v0", "netmap:v0/z");
        Domain.ValeDetach("vale0:v0");
        Domain.DestroyPersistentPort("v0");
    }

    [Fact]
    public void A_second_zero_copy_monitor_of_a_vale_port_gets_what_the_first_ones_reader_releases()
    {
        using var v0 = Domain.Open("vale0:v0");
        using var v1 = Domain.Open("vale0:v1");
        using var first = Domain.Open("vale0:v0/z", new RegisterOptions { RxSlots = 64 });
        using var second = Domain.Open("vale0:v0/z", new RegisterOptions { RxSlots = 64 });
        Assert.Same(first.Port, ((MonitorPort)second.Port).Parent);
        var received = new[] { Broadcast(60, 1), Broadcast(61, 2), Broadcast(62, 3) };
        var sent = Broadcast(70, 4);
        Send(v1, received);
        Send(v0, sent);
        v0.RxSync();
        Assert.Equal(received, ReadAll(v0.RxRing));
        v0.RxSync();

        // The first monitor has them all (the sent frame at v0's TX sync, the received ones when released).
        first.RxSync();
        var m1 = first.RxRing;
        Assert.Equal(4u, m1.Space);
        var buffers = new uint[4];
        for (var i = 0u; i < 4; i++)
        {
            buffers[i] = m1[m1.Head + i].BufIdx;
        }

        AssertNone(second);
        Assert.Equal(sent, PacketFill.Receive(m1));
        Assert.Equal(received[0], PacketFill.Receive(m1));
        AssertNone(second); // read by the first monitor's reader, not released yet
        first.RxSync();     // releases two

        second.RxSync();
        var m2 = second.RxRing;
        Assert.Equal(2u, m2.Space);
        Assert.Equal(buffers[0], m2[m2.Head].BufIdx); // the very buffers, down the chain
        Assert.Equal(buffers[1], m2[m2.Head + 1].BufIdx);
        Assert.Equal(SlotFlags.TxMon, m2[m2.Head].Flags & SlotFlags.TxMon); // still says "transmitted by v0"
        Assert.Equal(sent, PacketFill.Receive(m2));
        Assert.Equal(SlotFlags.None, m2[m2.Head].Flags & SlotFlags.TxMon);
        Assert.Equal(received[0], PacketFill.Receive(m2));
        second.RxSync();

        Assert.Equal(received[1..], ReadAll(m1));
        first.RxSync();
        second.RxSync();
        Assert.Equal(received[1..], ReadAll(second.RxRing));
        second.RxSync();
    }

    [Fact]
    public void Zero_copy_monitors_of_a_pipe_end_chain_and_the_chain_closes_up_when_one_goes()
    {
        using var master = Domain.Open("netmap:pipe{1");
        using var slave = Domain.Open("netmap:pipe}1");
        var first = Domain.Open("netmap:pipe{1/z");
        using var second = Domain.Open("netmap:pipe{1/z");
        using var third = Domain.Open("netmap:pipe{1/z");
        Assert.Same(second.Port, ((MonitorPort)third.Port).Parent);
        var frame = PacketFill.Pattern(100, 1);
        var sentIndex = slave.TxRing[slave.TxRing.Head].BufIdx;
        Send(slave, frame);
        master.RxSync();
        Assert.Equal(frame, PacketFill.Receive(master.RxRing));
        master.RxSync();
        first.RxSync();
        Assert.Equal(sentIndex, first.RxRing[first.RxRing.Head].BufIdx);
        AssertNone(second);
        Assert.Equal(frame, PacketFill.Receive(first.RxRing));
        first.RxSync();
        AssertNone(third);
        second.RxSync();
        Assert.Equal(sentIndex, second.RxRing[second.RxRing.Head].BufIdx);
        Assert.Equal(frame, PacketFill.Receive(second.RxRing));
        second.RxSync();
        third.RxSync();
        Assert.Equal(sentIndex, third.RxRing[third.RxRing.Head].BufIdx);
        Assert.Equal(frame, PacketFill.Receive(third.RxRing));
        third.RxSync();

        // The first monitor closes: the second now monitors the pipe end itself, the third still the second.
        first.Dispose();
        Assert.Same(master.Port, ((MonitorPort)second.Port).Parent);
        Assert.Same(second.Port, ((MonitorPort)third.Port).Parent);
        var next = PacketFill.Pattern(80, 2);
        Send(slave, next);
        master.RxSync();
        Assert.Equal(next, PacketFill.Receive(master.RxRing));
        master.RxSync();
        second.RxSync();
        Assert.Equal(next, PacketFill.Receive(second.RxRing));
        second.RxSync();
        third.RxSync();
        Assert.Equal(next, PacketFill.Receive(third.RxRing));
        third.RxSync();
    }

    [Fact]
    public void A_full_vale_zero_copy_monitor_skips_the_oldest_and_never_slows_the_port()
    {
        using var v0 = Domain.Open("vale0:v0");
        using var v1 = Domain.Open("vale0:v1");
        using var monitor = Domain.Open("vale0:v0/z", new RegisterOptions { RxSlots = 4 }); // 3 free slots
        var frames = Enumerable.Range(0, 6).Select(i => Broadcast(60 + i, (byte)i)).ToArray();
        Send(v0, frames);
        Assert.Equal(v0.TxRing.Prev(v0.TxRing.Head), v0.TxRing.Tail); // all six sent and completed

        monitor.RxSync();
        Assert.Equal(frames[3..], ReadAll(monitor.RxRing)); // the oldest three were skipped
        monitor.RxSync();
        v1.RxSync();
        Assert.Equal(frames, ReadAll(v1.RxRing));
        v1.RxSync();

        // The skipped slots kept their buffers; the released monitor slots take new frames again.
        var more = Broadcast(99, 9);
        Send(v0, more);
        monitor.RxSync();
        Assert.Equal([more], ReadAll(monitor.RxRing));
        monitor.RxSync();
        var port = Assert.Single(Domain.ListVale()).Ports[1];
        Assert.Equal(7, port.DeliveredPackets);
        Assert.Equal(0, port.DroppedPackets);
    }

    [Fact]
    public void When_the_vale_port_goes_its_zero_copy_monitors_fail_EIO_and_its_region_waits_for_them()
    {
        var v0 = Domain.Open("vale0:v0");
        using var v1 = Domain.Open("vale0:v1");
        using var first = Domain.Open("vale0:v0/z", new RegisterOptions { RxSlots = 16 });
        using var second = Domain.Open("vale0:v0/z", new RegisterOptions { RxSlots = 16 });
        var region = v0.Arena;
        var memId = v0.MemId;
        Send(v0, Broadcast(60, 1), Broadcast(60, 2)); // two of v0's buffers now sit in the first monitor
        first.RxSync();
        Assert.Equal(2u, first.RxRing.Space);
        v1.RxSync();
        v1.RxRing.Head = v1.RxRing.Cur = v1.RxRing.Tail;
        v1.RxSync();

        v0.Dispose();
        Assert.Equal(NetmapError.EIO, Assert.Throws<NetmapException>(() => first.RxSync()).Code);
        Assert.Equal(NetmapError.EIO, Assert.Throws<NetmapException>(() => second.RxSync()).Code); // the whole chain
        Assert.Equal(32, region.InUse); // the monitors' buffers keep the region mapped

        // A new vale0:v0 is a new port in a new region; the old monitors stay dead.
        using (var again = Domain.Open("vale0:v0"))
        {
            Assert.NotEqual(memId, again.MemId);
            Assert.Equal(NetmapError.EIO, Assert.Throws<NetmapException>(() => first.RxSync()).Code);
            using var fresh = Domain.Open("vale0:v0/z", new RegisterOptions { RxSlots = 16 });
            Assert.Same(again.Port, ((MonitorPort)fresh.Port).Parent); // a new chain on the new port
        }

        // The end-of-test audit proves the monitors give every buffer back and the region goes with the last.
    }

    [Fact]
    public void A_vale_zero_copy_monitor_allocates_nothing_per_packet_in_steady_state()
    {
        using var v0 = Domain.Open("vale9:a");
        using var v1 = Domain.Open("vale9:b");
        using var monitor = Domain.Open("vale9:a/z", new RegisterOptions { RxSlots = 256 });
        var frame = Broadcast(60, 7);
        Run(10);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var seen = Run(1000);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1000 * 32L, seen);

        long Run(int rounds)
        {
            long count = 0;
            var tx = v0.TxRing;
            var mon = monitor.RxRing;
            var rx = v1.RxRing;
            for (var r = 0; r < rounds; r++)
            {
                for (var i = 0; i < 32; i++)
                {
                    var k = tx.Head;
                    frame.CopyTo(tx.Buffer(k));
                    tx[k].Len = (ushort)frame.Length;
                    tx[k].Flags = SlotFlags.None;
                    tx.Head = tx.Cur = tx.Next(k);
                }

                tx.TxSync();
                mon.RxSync();
                count += mon.Space;
                mon.Head = mon.Cur = mon.Tail;
                mon.RxSync();
                rx.RxSync();
                rx.Head = rx.Cur = rx.Tail;
                rx.RxSync();
            }

            return count;
        }
    }
}
