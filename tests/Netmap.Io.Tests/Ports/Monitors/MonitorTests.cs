using Netmap.Io.Ports;
using Netmap.Io.Ports.Monitors;
using Netmap.Io.Rings;

namespace Netmap.Io.Tests.Ports.Monitors;

public sealed class MonitorTests : NetmapTestBase
{
    [Fact]
    public void An_rx_monitor_sees_a_frame_before_the_monitored_port_reads_it()
    {
        // netmap utils/tests/014_pipe_monitor_rx — objective: a copy monitor of a pipe end's RX side sees
        // frames on arrival. Operations: 1) open pipe{1 and pipe}1/r ... here pipe{1/r; 2) pipe}1 sends
        // 1 x 150 B 'd'; 3) the monitor receives it while pipe{1 has not read; 4) pipe{1 receives it too.
        using var master = Domain.Open("netmap:pipe{1");
        using var slave = Domain.Open("netmap:pipe}1");
        using var monitor = Domain.Open("netmap:pipe{1/r");
        var frame = Filled(150, (byte)'d');

        monitor.RxSync();
        Assert.True(monitor.RxRing.IsEmpty);

        PacketFill.Send(slave.TxRing, frame);
        slave.TxSync();
        monitor.RxSync();

        var mon = monitor.RxRing;
        Assert.Equal(1u, mon.Space);
        Assert.Equal(SlotFlags.None, mon[mon.Head].Flags & SlotFlags.TxMon);
        Assert.NotEqual(slave.TxRing[0].BufIdx, mon[mon.Head].BufIdx); // a copy, in the monitor's own buffer
        Assert.Equal(frame, PacketFill.Receive(mon));
        monitor.RxSync();

        master.RxSync();
        Assert.Equal(frame, PacketFill.Receive(master.RxRing));
        master.RxSync();

        // The master's own sync does not show the frame to the monitor a second time.
        monitor.RxSync();
        Assert.True(monitor.RxRing.IsEmpty);
    }

    [Fact]
    public void A_tx_monitor_sees_a_frame_at_submission_then_the_peer_receives_it()
    {
        // netmap utils/tests/020_pipe_monitor_tx — objective: a copy monitor of a pipe end's TX side sees
        // frames when they are handed to the port. Operations: 1) open pipe{1, pipe}1 and pipe{1/t;
        // 2) pipe{1 sends 1 x 150 B; 3) pipe{1/t receives it; 4) pipe}1 receives it.
        using var master = Domain.Open("netmap:pipe{1");
        using var slave = Domain.Open("netmap:pipe}1");
        using var monitor = Domain.Open("netmap:pipe{1/t");
        var frame = Filled(150, (byte)'e');

        PacketFill.Send(master.TxRing, frame);
        monitor.RxSync();
        Assert.True(monitor.RxRing.IsEmpty); // not handed to the port yet

        master.TxSync();
        monitor.RxSync();
        var mon = monitor.RxRing;
        Assert.Equal(1u, mon.Space);
        Assert.Equal(SlotFlags.TxMon, mon[mon.Head].Flags);
        Assert.Equal(frame, PacketFill.Receive(mon));
        monitor.RxSync();

        slave.RxSync();
        Assert.Equal(frame, PacketFill.Receive(slave.RxRing));
        slave.RxSync();
    }

    [Fact]
    public void A_monitor_has_the_shape_netmap_gives_it()
    {
        using var master = Domain.Open("netmap:pipe{1", new RegisterOptions { TxRings = 2, RxRings = 3, TxSlots = 64, RxSlots = 32 });
        using var monitor = Domain.Open("netmap:pipe{1/rt");
        var port = Assert.IsType<MonitorPort>(monitor.Port);
        Assert.Same(master.Port, port.Parent);
        Assert.Equal(MonitorKind.Copy, port.Kind);
        Assert.True(port.MonitorsRx);
        Assert.True(port.MonitorsTx);
        Assert.Equal(3, port.RxRingCount);
        Assert.Equal(1, port.TxRingCount);
        Assert.Equal(32u, port.RxRings[0].NumSlots); // the parent's
        Assert.StartsWith("pipe{1/rt#", port.Name, StringComparison.Ordinal);
    }

    [Fact]
    public void A_monitor_cannot_transmit()
    {
        using var master = Domain.Open("netmap:pipe{1");
        using var monitor = Domain.Open("netmap:pipe{1/r");
        var ex = Assert.Throws<NetmapException>(() => monitor.TxSync());
        Assert.Equal(NetmapError.EIO, ex.Code);
        // The ring is usable again afterwards (the busy flag went back).
        ex = Assert.Throws<NetmapException>(() => monitor.TxSync());
        Assert.Equal(NetmapError.EIO, ex.Code);
    }

    [Theory]
    [InlineData("no_such_pipe", "netmap:pipe{9/r")]
    [InlineData("other_end_of_an_open_pipe_not_bound", "netmap:pipe{1/t")]
    public void No_monitor_without_a_bound_parent(string name, string spec)
    {
        _ = name;
        using var slave = Domain.Open("netmap:pipe}1");
        var ex = Assert.Throws<NetmapException>(() => Domain.Open(spec));
        Assert.Equal(NetmapError.EINVAL, ex.Code);
    }

    [Fact]
    public void Two_monitors_on_one_port_both_see_its_traffic()
    {
        using var master = Domain.Open("netmap:pipe{1");
        using var slave = Domain.Open("netmap:pipe}1");
        using var rx = Domain.Open("netmap:pipe{1/r");
        using var both = Domain.Open("netmap:pipe{1/rt");
        var sent = PacketFill.Pattern(80, 1);
        var received = PacketFill.Pattern(90, 2);

        PacketFill.Send(master.TxRing, sent);
        master.TxSync();
        PacketFill.Send(slave.TxRing, received);
        slave.TxSync();
        master.RxSync();

        rx.RxSync();
        Assert.Equal(1u, rx.RxRing.Space);
        Assert.Equal(received, PacketFill.Receive(rx.RxRing));
        rx.RxSync();

        both.RxSync();
        var ring = both.RxRing;
        Assert.Equal(2u, ring.Space);
        Assert.Equal(SlotFlags.TxMon, ring[ring.Head].Flags);
        Assert.Equal(sent, PacketFill.Receive(ring));
        Assert.Equal(SlotFlags.None, ring[ring.Head].Flags);
        Assert.Equal(received, PacketFill.Receive(ring));
        both.RxSync();

        Assert.Equal(received, PacketFill.Receive(master.RxRing));
        master.RxSync();
        slave.RxSync();
        Assert.Equal(sent, PacketFill.Receive(slave.RxRing));
        slave.RxSync();
    }

    [Fact]
    public void A_full_monitor_skips_the_oldest_frames_and_never_slows_the_port()
    {
        using var master = Domain.Open("netmap:pipe{1");
        using var slave = Domain.Open("netmap:pipe}1");
        using var monitor = Domain.Open("netmap:pipe{1/t", new RegisterOptions { RxSlots = 4 }); // 3 free slots
        for (var i = 0; i < 6; i++)
        {
            PacketFill.Send(master.TxRing, PacketFill.Pattern(60, i));
        }

        master.TxSync();
        monitor.RxSync();
        var mon = monitor.RxRing;
        Assert.Equal(3u, mon.Space);
        for (var i = 3; i < 6; i++)
        {
            Assert.Equal(PacketFill.Pattern(60, i), PacketFill.Receive(mon));
        }

        monitor.RxSync();
        slave.RxSync();
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(PacketFill.Pattern(60, i), PacketFill.Receive(slave.RxRing));
        }

        slave.RxSync();

        // Released monitor slots take new frames again.
        PacketFill.Send(master.TxRing, PacketFill.Pattern(60, 9));
        master.TxSync();
        monitor.RxSync();
        Assert.Equal(PacketFill.Pattern(60, 9), PacketFill.Receive(monitor.RxRing));
        monitor.RxSync();
    }

    [Fact]
    public void A_copy_longer_than_the_room_after_the_monitor_offset_is_truncated()
    {
        using var master = Domain.Open("netmap:pipe{1");
        using var slave = Domain.Open("netmap:pipe}1");
        var offsets = new OffsetOptions { InitialOffset = 100, MaxOffset = 100, Bits = 16 };
        using var monitor = Domain.Open("netmap:pipe{1/t", new RegisterOptions { Offsets = offsets });
        var frame = PacketFill.Pattern(Arena.BufferSize, 3);
        PacketFill.Send(master.TxRing, frame);
        master.TxSync();
        monitor.RxSync();

        var mon = monitor.RxRing;
        Assert.Equal(Arena.BufferSize - 100, mon[mon.Head].Len);
        Assert.Equal(frame.AsSpan(0, Arena.BufferSize - 100).ToArray(), mon.Packet(mon.Head).Data.ToArray());
        mon.Head = mon.Cur = mon.Next(mon.Head);
        monitor.RxSync();
        slave.RxSync();
        Assert.Equal(frame, PacketFill.Receive(slave.RxRing));
        slave.RxSync();
    }

    [Fact]
    public void When_the_parent_goes_away_monitor_syncs_fail_EIO()
    {
        var master = Domain.Open("netmap:pipe{1");
        using var slave = Domain.Open("netmap:pipe}1");
        using var monitor = Domain.Open("netmap:pipe{1/r");
        master.Dispose();

        var ex = Assert.Throws<NetmapException>(() => monitor.RxSync());
        Assert.Equal(NetmapError.EIO, ex.Code);

        // The parent coming back does not revive the monitor.
        using var again = Domain.Open("netmap:pipe{1");
        ex = Assert.Throws<NetmapException>(() => monitor.RxSync());
        Assert.Equal(NetmapError.EIO, ex.Code);
    }

    [Fact]
    public void A_monitor_gives_back_every_buffer_it_took()
    {
        using var master = Domain.Open("netmap:pipe{1");
        using var slave = Domain.Open("netmap:pipe}1");
        var before = Arena.InUse;
        var monitor = Domain.Open("netmap:pipe{1/rt", new RegisterOptions { RxSlots = 16 });
        Assert.Equal(before + 16 + 16, Arena.InUse); // one RX ring and the TX ring, 16 slots each
        PacketFill.Send(master.TxRing, PacketFill.Pattern(60, 1));
        master.TxSync();
        monitor.Dispose();
        Assert.Equal(before, Arena.InUse);
        Assert.Empty(master.Port.Monitors);

        // The parent keeps working without it.
        slave.RxSync();
        Assert.Equal(PacketFill.Pattern(60, 1), PacketFill.Receive(slave.RxRing));
        slave.RxSync();
    }

    [Fact]
    public void A_zero_copy_monitor_sees_a_received_frame_only_once_the_port_releases_it()
    {
        // netmap utils/tests/017_pipe_zcopy_monitor_rx — objective: a zero-copy monitor gets RX frames when
        // the monitored app releases them. Operations: 1) open pipe{1, pipe}1 and pipe{1/z; 2) pipe}1 sends;
        // 3) the monitor sees nothing while pipe{1 has not read; 4) pipe{1 reads; 5) the monitor gets it.
        using var master = Domain.Open("netmap:pipe{1");
        using var slave = Domain.Open("netmap:pipe}1");
        using var monitor = Domain.Open("netmap:pipe{1/z");
        Assert.Equal(MonitorKind.ZeroCopy, Assert.IsType<MonitorPort>(monitor.Port).Kind);
        Assert.Equal(master.MemId, monitor.MemId);
        var frame = Filled(150, (byte)'f');
        var sentIndex = slave.TxRing[0].BufIdx;
        PacketFill.Send(slave.TxRing, frame);
        slave.TxSync();

        monitor.RxSync();
        Assert.True(monitor.RxRing.IsEmpty);

        master.RxSync();
        Assert.Equal(frame, PacketFill.Receive(master.RxRing));
        monitor.RxSync();
        Assert.True(monitor.RxRing.IsEmpty); // not released yet
        master.RxSync();

        monitor.RxSync();
        var mon = monitor.RxRing;
        Assert.Equal(1u, mon.Space);
        Assert.Equal(sentIndex, mon[mon.Head].BufIdx); // the same buffer, swapped in
        Assert.Equal(SlotFlags.None, mon[mon.Head].Flags);
        Assert.Equal(frame, PacketFill.Receive(mon));
        monitor.RxSync();
    }

    [Fact]
    public void A_zero_copy_monitor_sees_a_sent_frame_at_the_next_sync_after_completion()
    {
        // netmap utils/tests/027_pipe_zcopy_monitor_tx — objective: pipe TX slots complete only when the
        // peer reads, and the zero-copy monitor sees them at the next TX sync of the monitored end.
        // Operations: 1) open pipe{1, pipe}1, pipe{1/z; 2) pipe{1 sends; 3) pipe}1 receives; 4) pipe{1 syncs
        // again; 5) the monitor receives the frame (TXMON), and pipe{1's slot carries BUF_CHANGED.
        using var master = Domain.Open("netmap:pipe{1");
        using var slave = Domain.Open("netmap:pipe}1");
        using var monitor = Domain.Open("netmap:pipe{1/z");
        var frame = Filled(150, (byte)'g');
        var tx = master.TxRing;
        var sentIndex = tx[0].BufIdx;
        PacketFill.Send(tx, frame);
        master.TxSync();
        monitor.RxSync();
        Assert.True(monitor.RxRing.IsEmpty); // not completed

        slave.RxSync();
        Assert.Equal(frame, PacketFill.Receive(slave.RxRing));
        slave.RxSync();
        monitor.RxSync();
        Assert.True(monitor.RxRing.IsEmpty); // completed, but the master has not synced

        master.TxSync();
        Assert.NotEqual(sentIndex, tx[0].BufIdx);
        Assert.Equal(SlotFlags.BufChanged, tx[0].Flags & SlotFlags.BufChanged);
        monitor.RxSync();
        var mon = monitor.RxRing;
        Assert.Equal(1u, mon.Space);
        Assert.Equal(sentIndex, mon[mon.Head].BufIdx);
        Assert.Equal(SlotFlags.TxMon, mon[mon.Head].Flags);
        Assert.Equal(frame, PacketFill.Receive(mon));
        monitor.RxSync();

        // The swapped-in buffer carries the next frame normally.
        PacketFill.Send(tx, PacketFill.Pattern(70, 5));
        master.TxSync();
        slave.RxSync();
        Assert.Equal(PacketFill.Pattern(70, 5), PacketFill.Receive(slave.RxRing));
        slave.RxSync();
    }

    [Fact]
    public void A_zero_copy_monitor_takes_no_offsets_and_a_second_one_chains_after_it()
    {
        using var master = Domain.Open("netmap:pipe{1");
        var before = Arena.InUse;
        var offsets = new OffsetOptions { InitialOffset = 0, MaxOffset = 64, Bits = 16 };
        var ex = Assert.Throws<NetmapException>(() => Domain.Open("netmap:pipe{1/z", new RegisterOptions { Offsets = offsets }));
        Assert.Equal(NetmapError.EOPNOTSUPP, ex.Code);
        Assert.Equal(before, Arena.InUse); // the refused monitor gave its buffers back

        using var first = Domain.Open("netmap:pipe{1/z", new RegisterOptions { RxSlots = 32 });
        Assert.Equal(before + 32, Arena.InUse); // RX ring only: the TX ring of a /z monitor never sends
        using var second = Domain.Open("netmap:pipe{1/z");
        Assert.Same(first.Port, Assert.IsType<MonitorPort>(second.Port).Parent);
        Assert.Same(master.Port, Assert.IsType<MonitorPort>(first.Port).Parent);
        using var copy = Domain.Open("netmap:pipe{1/r"); // copy monitors still attach to the port itself
        Assert.Same(master.Port, Assert.IsType<MonitorPort>(copy.Port).Parent);
    }

    [Fact]
    public void A_zero_copy_monitor_that_outlives_its_parent_gives_back_the_swapped_buffers()
    {
        var master = Domain.Open("netmap:pipe{1");
        var slave = Domain.Open("netmap:pipe}1");
        using var monitor = Domain.Open("netmap:pipe{1/z");
        for (var i = 0; i < 3; i++)
        {
            PacketFill.Send(slave.TxRing, PacketFill.Pattern(64, i));
        }

        slave.TxSync();
        master.RxSync();
        var rx = master.RxRing;
        rx.Head = rx.Cur = rx.Tail; // read and release all three
        master.RxSync();
        monitor.RxSync();
        Assert.Equal(3u, monitor.RxRing.Space); // three of the pipe's buffers now sit in the monitor
        master.Dispose();
        slave.Dispose();

        var ex = Assert.Throws<NetmapException>(() => monitor.RxSync());
        Assert.Equal(NetmapError.EIO, ex.Code);
        // The end-of-test audit proves the monitor's close returns them.
    }

    [Fact]
    public async Task A_monitor_read_on_its_own_thread_sees_frames_in_order_while_the_pipe_runs()
    {
        const int Frames = 20000;
        using var master = Domain.Open("netmap:pipe{1");
        using var slave = Domain.Open("netmap:pipe}1");
        using var monitor = Domain.Open("netmap:pipe{1/r", new RegisterOptions { RxSlots = 64 });
        using var done = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var token = done.Token;
        var received = 0;
        string? monitorError = null;
        var monitorSeen = 0;

        var sender = Task.Run(() =>
        {
            var tx = slave.TxRing;
            for (var i = 0; i < Frames && !token.IsCancellationRequested;)
            {
                if (tx.Space == 0)
                {
                    slave.TxSync();
                    continue;
                }

                var frame = new byte[64];
                BitConverter.TryWriteBytes(frame, i);
                frame[63] = (byte)i;
                PacketFill.Send(tx, frame);
                i++;
                if ((i & 7) == 0)
                {
                    slave.TxSync();
                }
            }

            slave.TxSync();
        }, token);
        var reader = Task.Run(() =>
        {
            var rx = master.RxRing;
            while (received < Frames && !token.IsCancellationRequested)
            {
                master.RxSync();
                while (!rx.IsEmpty)
                {
                    var frame = PacketFill.Receive(rx);
                    Assert.Equal(received, BitConverter.ToInt32(frame));
                    Volatile.Write(ref received, received + 1);
                }
            }

            master.RxSync();
        }, token);
        var watcher = Task.Run(() =>
        {
            var rx = monitor.RxRing;
            var last = -1;
            var finished = false;
            while (!token.IsCancellationRequested && !finished)
            {
                finished = Volatile.Read(ref received) == Frames; // one more pass after the reader is done
                monitor.RxSync();
                while (!rx.IsEmpty)
                {
                    var frame = PacketFill.Receive(rx);
                    var seq = BitConverter.ToInt32(frame);
                    if (seq <= last || frame[63] != (byte)seq)
                    {
                        monitorError ??= $"frame {seq} after {last}";
                    }

                    last = seq;
                    monitorSeen++;
                }
            }
        }, token);

        await Task.WhenAll(sender, reader, watcher);
        Assert.Equal(Frames, received);
        Assert.Null(monitorError);
        Assert.InRange(monitorSeen, 1, Frames);
    }

    private static byte[] Filled(int length, byte value)
    {
        var bytes = new byte[length];
        bytes.AsSpan().Fill(value);
        return bytes;
    }
}
