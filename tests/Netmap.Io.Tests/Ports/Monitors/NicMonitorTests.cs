using Netmap.Io.Ports;
using Netmap.Io.Ports.Monitors;
using Netmap.Io.Ports.Nic;
using Netmap.Io.Rings;
using Netmap.Io.Tests.Ports.Nic;

namespace Netmap.Io.Tests.Ports.Monitors;

// Monitors of NIC ports (netmap-notes §6) over a soft interface that plays the wire and the host stack:
// `netmap:IF/r` sees wire frames on arrival (a forced sync of the parent ring pulls them from the device),
// `/t` sees frames on submission, `/z` swaps buffers, host rings are monitored when the parent has them.
public sealed class NicMonitorTests : NetmapTestBase
{
    private static readonly RegisterOptions Small = new() { TxSlots = 64, RxSlots = 64 };

    [Fact]
    public void An_rx_monitor_sees_wire_frames_on_arrival_even_if_the_port_never_syncs()
    {
        var nic = Domain.CreateSoftInterface("nic0");
        using var port = Domain.Open("netmap:nic0", Small);
        using var monitor = Domain.Open("netmap:nic0/r");
        var frames = new[] { NicFrames.Plain(60, 1), NicFrames.Plain(1514, 2) };
        foreach (var frame in frames)
        {
            Assert.True(nic.InjectFromWire(frame));
        }

        monitor.RxSync(); // the port's reader has not synced: the monitor's look pulls the frames from the device

        var mon = monitor.RxRing;
        Assert.Equal(SlotFlags.None, mon[mon.Head].Flags & SlotFlags.TxMon);
        Assert.Equal(frames[0], PacketFill.Receive(mon));
        Assert.Equal(frames[1], PacketFill.Receive(mon));
        monitor.RxSync();
        Assert.True(mon.IsEmpty);

        // The port still gets them, once, and its own sync does not show them to the monitor again.
        Assert.True(port.RxRing.IsEmpty); // its Tail moves only at its own sync
        port.RxSync();
        Assert.Equal(frames[0], PacketFill.Receive(port.RxRing));
        Assert.Equal(frames[1], PacketFill.Receive(port.RxRing));
        port.RxSync();
        monitor.RxSync();
        Assert.True(mon.IsEmpty);
        Assert.Equal(2, Assert.IsType<NicPort>(port.Port).ReadCounters().RxFrames);
    }

    [Fact]
    public void A_tx_monitor_sees_frames_on_submission_then_the_wire_carries_them()
    {
        var nic = Domain.CreateSoftInterface("nic0");
        using var port = Domain.Open("netmap:nic0", Small);
        using var monitor = Domain.Open("netmap:nic0/t");
        var frame = NicFrames.Plain(300, 5);

        PacketFill.Send(port.TxRing, frame);
        monitor.RxSync();
        Assert.True(monitor.RxRing.IsEmpty); // not handed to the port yet

        port.TxSync();
        monitor.RxSync();
        var mon = monitor.RxRing;
        Assert.Equal(SlotFlags.TxMon, mon[mon.Head].Flags);
        Assert.Equal(frame, PacketFill.Receive(mon));
        monitor.RxSync();
        Assert.Equal(frame, nic.ReadWire());
    }

    [Fact]
    public void A_zero_copy_monitor_gets_the_buffers_the_reader_released_and_those_the_device_sent()
    {
        var nic = Domain.CreateSoftInterface("nic0");
        using var port = Domain.Open("netmap:nic0", Small);
        using var monitor = Domain.Open("netmap:nic0/z");
        Assert.Equal(MonitorKind.ZeroCopy, Assert.IsType<MonitorPort>(monitor.Port).Kind);
        var inbound = NicFrames.Plain(200, 7);
        Assert.True(nic.InjectFromWire(inbound));

        // RX: nothing until the port's reader releases the slot; then the same buffer moves to the monitor.
        port.RxSync();
        monitor.RxSync();
        Assert.True(monitor.RxRing.IsEmpty);
        var rx = port.RxRing;
        var slot = rx.Head;
        var buffer = rx[slot].BufIdx;
        Assert.Equal(inbound, PacketFill.Receive(rx));
        port.RxSync();
        Assert.NotEqual(buffer, rx[slot].BufIdx); // the monitor's old buffer took its place
        monitor.RxSync();
        var mon = monitor.RxRing;
        Assert.Equal(buffer, mon[mon.Head].BufIdx);
        Assert.Equal(inbound, PacketFill.Receive(mon));
        monitor.RxSync();

        // TX: the device completes a frame at the sync that hands it over; the monitor then owns its buffer.
        var outbound = NicFrames.Plain(120, 8);
        var tx = port.TxRing;
        var txBuffer = tx[tx.Head].BufIdx;
        PacketFill.Send(tx, outbound);
        port.TxSync();
        Assert.Equal(outbound, nic.ReadWire()); // the device copied it before the swap
        monitor.RxSync();
        Assert.Equal(txBuffer, mon[mon.Head].BufIdx);
        Assert.Equal(SlotFlags.TxMon, mon[mon.Head].Flags & SlotFlags.TxMon);
        Assert.Equal(outbound, PacketFill.Receive(mon));
        monitor.RxSync();
        Assert.True((tx[(tx.Head + tx.NumSlots - 1) % tx.NumSlots].Flags & SlotFlags.BufChanged) != 0);
    }

    [Fact]
    public void Host_rings_are_monitored_when_the_monitor_selects_them_and_NIC_monitors_do_not_see_them()
    {
        var nic = Domain.CreateSoftInterface("nic0");
        using var port = Domain.Open("netmap:nic0*", Small);
        using var hostMonitor = Domain.Open("netmap:nic0^/rt");
        using var nicMonitor = Domain.Open("netmap:nic0/rt");
        var monitorPort = Assert.IsType<MonitorPort>(hostMonitor.Port);
        Assert.True(monitorPort.HasHostRings);
        Assert.Equal(1, monitorPort.HostRxRingCount);
        Assert.True(hostMonitor.RxRing.IsHostRing);

        // The host stack sends (host RX ring), the app hands a frame to the stack (host TX ring).
        var fromStack = NicFrames.Plain(90, 11);
        var toStack = NicFrames.Plain(95, 12);
        Assert.True(nic.HostTransmit(fromStack));
        PacketFill.Send(port.TxRings[1], toStack);
        Assert.Equal(SyncStatus.Ok, port.TxRings[1].TxSync());
        Assert.Equal(toStack, nic.ReadHost());

        hostMonitor.RxSync(); // the forced look pulls the stack's frame into the parent's host RX ring
        var mon = hostMonitor.RxRing;
        var seen = new List<(byte[] Frame, bool Tx)>();
        while (!mon.IsEmpty)
        {
            var tx = (mon[mon.Head].Flags & SlotFlags.TxMon) != 0;
            seen.Add((PacketFill.Receive(mon), tx));
        }

        hostMonitor.RxSync();
        Assert.Equal(2, seen.Count);
        Assert.Contains(seen, s => s.Tx && s.Frame.AsSpan().SequenceEqual(toStack));
        Assert.Contains(seen, s => !s.Tx && s.Frame.AsSpan().SequenceEqual(fromStack));

        nicMonitor.RxSync();
        Assert.True(nicMonitor.RxRing.IsEmpty); // bound to the NIC rings only

        port.RxRings[1].RxSync();
        Assert.Equal(fromStack, PacketFill.Receive(port.RxRings[1]));
        port.RxRings[1].RxSync();
    }

    [Fact]
    public void A_parent_without_host_rings_gives_monitors_none_and_host_modes_are_EINVAL()
    {
        Domain.CreateSoftInterface("nic0", hostRings: false);
        using var port = Domain.Open("netmap:nic0", Small);
        using var monitor = Domain.Open("netmap:nic0/r");
        Assert.False(monitor.Port.HasHostRings);
        Assert.Equal(NetmapError.EINVAL, Assert.Throws<NetmapException>(() => Domain.Open("netmap:nic0^/r")).Code);
        Assert.Equal(NetmapError.EINVAL, Assert.Throws<NetmapException>(() => Domain.Open("netmap:nic0*/t")).Code);
    }

    [Fact]
    public void A_monitor_needs_the_interface_open_and_fails_EIO_once_it_closes()
    {
        Domain.CreateSoftInterface("nic0");
        var closed = Assert.Throws<NetmapException>(() => Domain.Open("netmap:nic0/r"));
        Assert.Equal(NetmapError.EINVAL, closed.Code); // known, but not in netmap mode
        Assert.Equal(NetmapError.ENXIO, Assert.Throws<NetmapException>(() => Domain.Open("netmap:nic9/r")).Code);

        var port = Domain.Open("netmap:nic0", Small);
        using var monitor = Domain.Open("netmap:nic0/rt");
        port.Dispose();

        Assert.Equal(NetmapError.EIO, Assert.Throws<NetmapException>(() => monitor.RxSync()).Code);
        Assert.True(Assert.IsType<MonitorPort>(monitor.Port).IsOrphaned);
    }

    [Fact]
    public void A_full_rx_monitor_skips_the_oldest_frames_and_the_port_loses_none()
    {
        var nic = Domain.CreateSoftInterface("nic0");
        using var port = Domain.Open("netmap:nic0", Small);
        using var monitor = Domain.Open("netmap:nic0/r", new RegisterOptions { RxSlots = 4 });
        for (var i = 0; i < 10; i++)
        {
            Assert.True(nic.InjectFromWire(NicFrames.Plain(64, i)));
        }

        monitor.RxSync();
        var mon = monitor.RxRing;
        var seen = new List<byte[]>();
        while (!mon.IsEmpty)
        {
            seen.Add(PacketFill.Receive(mon));
        }

        monitor.RxSync();
        Assert.Equal([NicFrames.Plain(64, 7), NicFrames.Plain(64, 8), NicFrames.Plain(64, 9)], seen);

        port.RxSync();
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(NicFrames.Plain(64, i), PacketFill.Receive(port.RxRing));
        }

        port.RxSync();
    }
}
