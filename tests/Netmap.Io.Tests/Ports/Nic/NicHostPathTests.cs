using Netmap.Io.Ports;
using Netmap.Io.Ports.Nic;
using Netmap.Io.Rings;

namespace Netmap.Io.Tests.Ports.Nic;

// The host rings of a NicPort and netmap's rules for what reaches the host stack and the wire
// (netmap-notes §8 "Host rings"), with a soft interface playing the wire and the host stack.
public sealed class NicHostPathTests : NetmapTestBase
{
    [Fact]
    public void Host_TX_frames_reach_the_host_stack_and_the_ring_is_free_at_once()
    {
        var nic = Domain.CreateSoftInterface("nic0");
        using var handle = Domain.Open("netmap:nic0^");
        var tx = handle.TxRing;
        Assert.True(tx.IsHostRing);
        var frames = new[] { NicFrames.Plain(60, 1), NicFrames.Plain(1514, 2), NicFrames.Plain(700, 3) };
        foreach (var frame in frames)
        {
            PacketFill.Send(tx, frame);
        }

        handle.TxSync();

        Assert.Equal(tx.NumSlots - 1, tx.Space); // netmap: tail = head - 1 after a host TX sync
        foreach (var frame in frames)
        {
            Assert.Equal(frame, nic.ReadHost());
        }

        Assert.Null(nic.ReadHost());
        Assert.Null(nic.ReadWire());
        var counters = Assert.IsType<NicPort>(handle.Port).ReadCounters();
        Assert.Equal((3L, 60L + 1514 + 700), (counters.HostTxFrames, counters.HostTxBytes));
        Assert.Equal(0, counters.TxFrames);
    }

    [Fact]
    public void Host_TX_frames_the_stack_has_no_room_for_are_dropped_and_counted()
    {
        var nic = Domain.CreateSoftInterface("nic0", queueCapacity: 2);
        using var handle = Domain.Open("netmap:nic0^");
        for (var i = 0; i < 4; i++)
        {
            PacketFill.Send(handle.TxRing, NicFrames.Plain(64, i));
        }

        handle.TxSync();

        Assert.Equal(handle.TxRing.NumSlots - 1, handle.TxRing.Space);
        Assert.Equal(NicFrames.Plain(64, 0), nic.ReadHost());
        Assert.Equal(NicFrames.Plain(64, 1), nic.ReadHost());
        Assert.Null(nic.ReadHost());
        var counters = Assert.IsType<NicPort>(handle.Port).ReadCounters();
        Assert.Equal(2, counters.Dropped(NicDropReason.HostRefused));
        Assert.Equal(2, counters.HostTxFrames);
    }

    [Fact]
    public void Host_stack_frames_reach_the_host_RX_ring_only_in_netmap_mode_with_the_NIC_TX_ring_bound()
    {
        var nic = Domain.CreateSoftInterface("nic0");
        var frame = NicFrames.Plain(200, 5);

        // Not in netmap mode: the stack's frames go to the wire.
        Assert.True(nic.HostTransmit(frame));
        Assert.Equal(frame, nic.ReadWire());

        // Netmap mode, but only the host rings are bound: NIC TX ring 0 is off, so still the wire.
        using (var hostOnly = Domain.Open("netmap:nic0^"))
        {
            Assert.True(nic.IsInNetmapMode);
            Assert.True(nic.HostTransmit(frame));
            Assert.Equal(frame, nic.ReadWire());
            hostOnly.RxSync();
            Assert.True(hostOnly.RxRing.IsEmpty);
        }

        // NIC and host rings bound: the host RX ring gets it, the wire does not.
        using (var both = Domain.Open("netmap:nic0*"))
        {
            Assert.True(nic.HostTransmit(frame));
            Assert.Null(nic.ReadWire());
            both.RxSync();
            var hostRx = both.RxRings[1];
            Assert.True(hostRx.IsHostRing);
            Assert.Equal(frame, PacketFill.Receive(hostRx));
            Assert.True(both.RxRings[0].IsEmpty);
            both.RxSync();
            var counters = Assert.IsType<NicPort>(both.Port).ReadCounters();
            Assert.Equal((1L, 200L), (counters.HostRxFrames, counters.HostRxBytes));
        }

        // Out of netmap mode again: back to the wire.
        Assert.True(nic.HostTransmit(frame));
        Assert.Equal(frame, nic.ReadWire());
    }

    [Fact]
    public void Wire_frames_reach_the_host_stack_unless_their_NIC_RX_ring_is_bound()
    {
        var nic = Domain.CreateSoftInterface("nic0");
        var frame = NicFrames.Plain(150, 6);

        nic.InjectFromWire(frame);
        Assert.Equal(frame, nic.ReadHost());

        using (var hostOnly = Domain.Open("netmap:nic0^"))
        {
            nic.InjectFromWire(frame);
            Assert.Equal(frame, nic.ReadHost());
        }

        using var nicRings = Domain.Open("netmap:nic0");
        nic.InjectFromWire(frame);
        Assert.Null(nic.ReadHost());
        nicRings.RxSync();
        Assert.Equal(frame, PacketFill.Receive(nicRings.RxRing));
        nicRings.RxSync();
    }

    [Fact]
    public void Host_stack_frames_go_to_host_RX_ring_queue_mod_the_host_RX_ring_count()
    {
        var nic = Domain.CreateSoftInterface("nic0");
        using var handle = Domain.Open("netmap:nic0*@conf:host-rings=2,slots=64");
        var frames = new[] { NicFrames.Plain(64, 0), NicFrames.Plain(65, 1), NicFrames.Plain(66, 2) };
        for (var q = 0; q < frames.Length; q++)
        {
            Assert.True(nic.HostTransmit(frames[q], queue: q));
        }

        handle.RxSync();

        var ring1 = handle.RxRings[1]; // host RX ring 0
        var ring2 = handle.RxRings[2]; // host RX ring 1
        Assert.Equal(frames[0], PacketFill.Receive(ring1));
        Assert.Equal(frames[2], PacketFill.Receive(ring1));
        Assert.Equal(frames[1], PacketFill.Receive(ring2));
        handle.RxSync();
    }

    [Fact]
    public void Host_stack_frames_beyond_a_full_host_RX_queue_are_dropped_and_counted()
    {
        var nic = Domain.CreateSoftInterface("nic0", queueCapacity: 4);
        using var handle = Domain.Open("netmap:nic0*");
        var accepted = 0;
        for (var i = 0; i < 6; i++)
        {
            accepted += nic.HostTransmit(NicFrames.Plain(64, i)) ? 1 : 0;
        }

        Assert.Equal(4, accepted);
        Assert.Equal(2, nic.HostRxDrops);
        handle.RxSync();
        Assert.Equal(4u, handle.RxRings[1].Space);
        handle.RxRings[1].Head = handle.RxRings[1].Cur = handle.RxRings[1].Tail;
        handle.RxSync();
    }

    [Fact]
    public void A_host_stack_frame_longer_than_one_buffer_is_dropped_as_netmap_does()
    {
        var nic = Domain.CreateSoftInterface("nic0", maxFrameSize: 9018);
        using var handle = Domain.Open("netmap:nic0*");
        var fits = NicFrames.Plain(2048, 1);
        nic.HostTransmit(NicFrames.Plain(2049, 2));
        nic.HostTransmit(fits);

        handle.RxSync();

        var hostRx = handle.RxRings[1];
        Assert.Equal(fits, PacketFill.Receive(hostRx));
        Assert.True(hostRx.IsEmpty);
        Assert.Equal(1, Assert.IsType<NicPort>(handle.Port).ReadCounters().Dropped(NicDropReason.Oversize));
        handle.RxSync();
    }

    [Fact]
    public void Host_frames_left_queued_for_the_host_RX_ring_are_counted_when_the_port_goes()
    {
        var nic = Domain.CreateSoftInterface("nic0");
        var handle = Domain.Open("netmap:nic0*");
        nic.HostTransmit(NicFrames.Plain(64, 1));
        nic.HostTransmit(NicFrames.Plain(64, 2));

        handle.Dispose();

        Assert.Equal(2, nic.HostRxDrops);
        Assert.Equal(0, Arena.InUse);
    }

    [Fact]
    public void Host_rings_carry_offsets_too()
    {
        var nic = Domain.CreateSoftInterface("nic0");
        using var handle = Domain.Open("netmap:nic0^", new RegisterOptions { Offsets = new OffsetOptions { InitialOffset = 32, MaxOffset = 64 } });
        using var nicRings = Domain.Open("netmap:nic0"); // NIC TX ring bound: the stack's frames come to the host RX ring
        var frame = NicFrames.Plain(100, 8);
        nic.HostTransmit(frame);

        handle.RxSync();

        var rx = handle.RxRing;
        Assert.Equal(32UL, rx.GetOffset(in rx[rx.Head]));
        Assert.Equal(frame, PacketFill.Receive(rx));
        handle.RxSync();

        var tx = handle.TxRing;
        var k = tx.Head;
        tx.SetOffset(ref tx[k], 48);
        frame.CopyTo(tx.Buffer(k)[48..]);
        tx[k].Len = (ushort)frame.Length;
        tx[k].Flags = SlotFlags.None;
        tx.Head = tx.Cur = tx.Next(k);
        handle.TxSync();
        Assert.Equal(frame, nic.ReadHost());
    }
}
