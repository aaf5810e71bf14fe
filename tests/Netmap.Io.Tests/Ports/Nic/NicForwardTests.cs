using Netmap.Io.Ports;
using Netmap.Io.Ports.Nic;
using Netmap.Io.Rings;

namespace Netmap.Io.Tests.Ports.Nic;

// netmap's transparent mode (netmap-notes, slot flags: NS_FORWARD): with NR_FORWARD on an RX ring of a NIC port (or
// dev.netmap.fwd, NetmapDomain.Forward), released NIC RX slots marked NS_FORWARD go to the host stack and released
// host RX slots so marked go to the wire; too short, too long and chained slots are skipped; a soft interface plays
// the wire and the host stack.
public sealed class NicForwardTests : NetmapTestBase
{
    [Fact]
    public void Released_NIC_RX_slots_marked_forward_reach_the_host_stack_in_order_and_only_those()
    {
        var nic = Domain.CreateSoftInterface("nic0");
        using var handle = Domain.Open("netmap:nic0*");
        var rx = NicRx(handle);
        rx.Flags |= RingFlags.Forward;
        var frames = Enumerable.Range(0, 5).Select(i => NicFrames.Plain(100 + i, i)).ToArray();
        foreach (var frame in frames)
        {
            Assert.True(nic.InjectFromWire(frame));
        }

        handle.RxSync();
        Assert.Equal(5u, rx.Space);
        var first = rx.Head;
        Mark(rx, first, 1);
        Mark(rx, first, 3);
        Mark(rx, first, 4);
        rx[Index(rx, first, 4)].Len = 10; // shorter than an Ethernet header: skipped, as netmap skips it
        rx.Head = rx.Cur = rx.Tail;
        handle.RxSync(); // the release forwards

        Assert.Equal(frames[1], nic.ReadHost());
        Assert.Equal(frames[3], nic.ReadHost());
        Assert.Null(nic.ReadHost());
        Assert.Null(nic.ReadWire());
        var counters = Port(handle).ReadCounters();
        Assert.Equal(1, counters.Dropped(NicDropReason.ForwardSkipped));
        Assert.Equal(0, counters.Dropped(NicDropReason.ForwardRefused));
    }

    [Fact]
    public void Without_NR_FORWARD_marked_slots_are_only_released_until_the_domain_wide_knob_is_on()
    {
        var nic = Domain.CreateSoftInterface("nic0");
        using var handle = Domain.Open("netmap:nic0*");
        var rx = NicRx(handle);

        ReceiveAndForwardAll(nic, handle, rx, NicFrames.Plain(80, 1));
        Assert.Null(nic.ReadHost()); // the ring has no NR_FORWARD, the domain no fwd

        Domain.Forward = true; // netmap's dev.netmap.fwd
        ReceiveAndForwardAll(nic, handle, rx, NicFrames.Plain(80, 2));
        Assert.Equal(NicFrames.Plain(80, 2), nic.ReadHost());
    }

    [Fact]
    public void Released_host_RX_slots_marked_forward_leave_on_the_wire()
    {
        var nic = Domain.CreateSoftInterface("nic0");
        using var handle = Domain.Open("netmap:nic0*"); // NIC TX ring bound: the host stack's frames reach the host RX ring
        var hostRx = HostRx(handle);
        hostRx.Flags |= RingFlags.Forward;
        var frames = new[] { NicFrames.Plain(60, 1), NicFrames.Plain(1514, 2), NicFrames.Plain(300, 3) };
        foreach (var frame in frames)
        {
            Assert.True(nic.HostTransmit(frame));
        }

        handle.RxSync();
        Assert.Equal(3u, hostRx.Space);
        Mark(hostRx, hostRx.Head, 0);
        Mark(hostRx, hostRx.Head, 2);
        hostRx.Head = hostRx.Cur = hostRx.Tail;
        handle.RxSync();

        Assert.Equal(frames[0], nic.ReadWire());
        Assert.Equal(frames[2], nic.ReadWire());
        Assert.Null(nic.ReadWire());
        Assert.Null(nic.ReadHost());
    }

    [Fact]
    public void Host_frames_go_out_through_a_NIC_TX_ring_no_other_thread_is_syncing_and_are_refused_when_every_one_is()
    {
        var nic = Domain.CreateSoftInterface("nic0", txQueues: 2, rxQueues: 2);
        using var handle = Domain.Open("netmap:nic0*");
        var hostRx = HostRx(handle);
        hostRx.Flags |= RingFlags.Forward;
        var nicTx = handle.TxRings.ToArray().Where(r => !r.IsHostRing).ToArray();
        Assert.Equal(2, nicTx.Length);

        // Ring 0 is being synced by another thread: the frame leaves through ring 1's queue.
        ForwardFromHost(nic, handle, hostRx, NicFrames.Plain(90, 1), busy: [nicTx[0]]);
        Assert.Null(nic.ReadWire(0));
        Assert.Equal(NicFrames.Plain(90, 1), nic.ReadWire(1));

        // Both are: refused, and counted.
        ForwardFromHost(nic, handle, hostRx, NicFrames.Plain(90, 2), busy: nicTx);
        Assert.Null(nic.ReadWire(0));
        Assert.Null(nic.ReadWire(1));
        Assert.Equal(1, Port(handle).ReadCounters().Dropped(NicDropReason.ForwardRefused));
    }

    [Fact]
    public void Frames_the_other_side_has_no_room_for_are_dropped_and_counted()
    {
        var nic = Domain.CreateSoftInterface("nic0", queueCapacity: 2); // the host stack takes two frames at a time
        using var handle = Domain.Open("netmap:nic0*");
        var rx = NicRx(handle);
        rx.Flags |= RingFlags.Forward;
        for (var i = 0; i < 3; i++)
        {
            Assert.True(nic.InjectFromWire(NicFrames.Plain(64, i)));
            handle.RxSync(); // into the ring, one at a time (the wire's queue holds two too)
        }

        Assert.Equal(3u, rx.Space);
        for (var n = 0; n < 3; n++)
        {
            Mark(rx, rx.Head, n);
        }

        rx.Head = rx.Cur = rx.Tail;
        handle.RxSync();

        Assert.Equal(NicFrames.Plain(64, 0), nic.ReadHost());
        Assert.Equal(NicFrames.Plain(64, 1), nic.ReadHost());
        Assert.Null(nic.ReadHost());
        Assert.Equal(1, Port(handle).ReadCounters().Dropped(NicDropReason.ForwardRefused));
    }

    // The host stack sends frame; the host RX ring takes it; the release forwards it while another thread holds the
    // busy flags of the rings in busy (as if syncing them).
    private static void ForwardFromHost(SoftNic nic, PortHandle handle, Ring hostRx, byte[] frame, Ring[] busy)
    {
        Assert.True(nic.HostTransmit(frame));
        handle.RxSync();
        Mark(hostRx, hostRx.Head, 0);
        hostRx.Head = hostRx.Cur = hostRx.Tail;
        using var held = new ManualResetEventSlim();
        using var done = new ManualResetEventSlim();
        var holder = new Thread(() =>
        {
            foreach (var ring in busy)
            {
                Assert.True(ring.TryEnterBusy());
            }

            held.Set();
            done.Wait();
            foreach (var ring in busy)
            {
                ring.ExitBusy();
            }
        });
        holder.Start();
        held.Wait();
        try
        {
            hostRx.RxSync(); // the host RX ring alone: the NIC TX rings stay the holder's
        }
        finally
        {
            done.Set();
            holder.Join();
        }
    }

    private static Ring NicRx(PortHandle handle) => handle.RxRings.ToArray().Single(r => !r.IsHostRing);

    private static Ring HostRx(PortHandle handle) => handle.RxRings.ToArray().Single(r => r.IsHostRing);

    private static NicPort Port(PortHandle handle) => Assert.IsType<NicPort>(handle.Port);

    private static uint Index(Ring ring, uint from, int n)
    {
        var i = from;
        for (var k = 0; k < n; k++)
        {
            i = ring.Next(i);
        }

        return i;
    }

    private static void Mark(Ring ring, uint from, int n) => ring[Index(ring, from, n)].Flags |= SlotFlags.Forward;

    private static void ReceiveAndForwardAll(SoftNic nic, PortHandle handle, Ring rx, byte[] frame)
    {
        Assert.True(nic.InjectFromWire(frame));
        handle.RxSync();
        for (var i = rx.Head; i != rx.Tail; i = rx.Next(i))
        {
            rx[i].Flags |= SlotFlags.Forward;
        }

        rx.Head = rx.Cur = rx.Tail;
        handle.RxSync();
    }
}
