using Netmap.Io.Ports;
using Netmap.Io.Ports.Nic;
using Netmap.Io.Rings;

namespace Netmap.Io.Tests.Ports.Nic;

// The NIC rings of a NicPort over a soft interface: wire → NIC RX ring → application and application → NIC TX
// ring → wire, netmap's emulated mode (netmap-notes §8 MOREFRAG, §2 offsets, §1.2 ownership).
public sealed class NicDataPathTests : NetmapTestBase
{
    [Fact]
    public void Wire_frames_reach_the_application_byte_for_byte()
    {
        var nic = Domain.CreateSoftInterface("nic0");
        using var handle = Domain.Open("netmap:nic0");
        var frames = new[] { NicFrames.Plain(60, 1), NicFrames.Plain(1514, 2), NicFrames.Plain(1000, 3) };
        foreach (var frame in frames)
        {
            Assert.True(nic.InjectFromWire(frame));
        }

        handle.RxSync();

        var rx = handle.RxRing;
        Assert.Equal(3u, rx.Space);
        foreach (var frame in frames)
        {
            Assert.Equal(frame, PacketFill.Receive(rx));
        }

        handle.RxSync();
        var counters = Port(handle).ReadCounters();
        Assert.Equal(3, counters.RxFrames);
        Assert.Equal(60 + 1514 + 1000, counters.RxBytes);
        Assert.Equal(0, counters.DroppedTotal);
        Assert.Null(nic.ReadHost()); // in netmap mode the host stack sees none of it
    }

    [Fact]
    public void Received_frames_are_placed_at_the_ring_initial_offset()
    {
        var nic = Domain.CreateSoftInterface("nic0", maxFrameSize: 4000);
        using var handle = Domain.Open("netmap:nic0", new RegisterOptions { Offsets = new OffsetOptions { InitialOffset = 64, MaxOffset = 128 } });
        var small = NicFrames.Plain(100, 4);
        var large = NicFrames.Plain(2000, 5); // 2048 - 64 = 1984 bytes per slot: two slots
        nic.InjectFromWire(small);
        nic.InjectFromWire(large);

        handle.RxSync();

        var rx = handle.RxRing;
        Assert.Equal(3u, rx.Space);
        Assert.Equal(64UL, rx.GetOffset(in rx[0]));
        Assert.Equal(small, rx.Packet(0).Data.ToArray());
        Assert.Equal((SlotFlags.MoreFrag, 1984), (rx[1].Flags, (int)rx[1].Len));
        Assert.Equal((SlotFlags.None, 16), (rx[2].Flags, (int)rx[2].Len));
        Assert.Equal(64UL, rx.GetOffset(in rx[2]));
        Assert.Equal(small, PacketFill.Receive(rx));
        Assert.Equal(large, PacketFill.Receive(rx));
        handle.RxSync();
    }

    [Fact]
    public void Application_frames_reach_the_wire_byte_for_byte_from_each_slot_offset()
    {
        var nic = Domain.CreateSoftInterface("nic0");
        using var handle = Domain.Open("netmap:nic0", new RegisterOptions { Offsets = new OffsetOptions { InitialOffset = 0, MaxOffset = 256 } });
        var tx = handle.TxRing;
        var frames = new[] { NicFrames.Plain(64, 1), NicFrames.Plain(1514, 2), NicFrames.Plain(333, 3) };
        ulong[] offsets = [0, 32, 200];
        for (var i = 0; i < frames.Length; i++)
        {
            var k = tx.Head;
            tx.SetOffset(ref tx[k], offsets[i]);
            frames[i].CopyTo(tx.Buffer(k)[(int)offsets[i]..]);
            tx[k].Len = (ushort)frames[i].Length;
            tx[k].Flags = SlotFlags.None;
            tx.Head = tx.Cur = tx.Next(k);
        }

        handle.TxSync();

        Assert.False(tx.TxPending); // emulated TX completes at once: Tail = Head - 1
        Assert.Equal(tx.NumSlots - 1, tx.Space);
        foreach (var frame in frames)
        {
            Assert.Equal(frame, nic.ReadWire());
        }

        Assert.Null(nic.ReadWire());
        Assert.Equal(1, nic.Flushes); // one kick for the whole sync
        var counters = Port(handle).ReadCounters();
        Assert.Equal((3L, 64L + 1514 + 333), (counters.TxFrames, counters.TxBytes));
    }

    [Fact]
    public void An_offset_past_the_max_is_cropped_and_a_length_past_the_buffer_is_clamped()
    {
        var nic = Domain.CreateSoftInterface("nic0", maxFrameSize: 4000);
        using var handle = Domain.Open("netmap:nic0", new RegisterOptions { Offsets = new OffsetOptions { MaxOffset = 64 } });
        var tx = handle.TxRing;
        var buffer = tx.Buffer(0);
        PacketFill.Pattern(2048, 9).CopyTo(buffer);
        tx.SetOffset(ref tx[0], 100); // cropped to 64
        tx[0].Len = 2040;             // clamped to 2048 - 64
        tx.Head = tx.Cur = 1;

        handle.TxSync();

        Assert.Equal(buffer[64..].ToArray(), nic.ReadWire());
    }

    [Fact]
    public void A_jumbo_wire_frame_arrives_as_a_MOREFRAG_chain_and_a_jumbo_chain_leaves_whole()
    {
        var nic = Domain.CreateSoftInterface("jumbo0", maxFrameSize: 9018);
        using var handle = Domain.Open("netmap:jumbo0");
        var inbound = NicFrames.Plain(9000, 11);
        var outbound = NicFrames.Plain(9018, 12);
        nic.InjectFromWire(inbound);

        handle.RxSync();

        var rx = handle.RxRing;
        Assert.Equal(5u, rx.Space); // 4 x 2048 + 808
        for (uint k = 0; k < 4; k++)
        {
            Assert.Equal((SlotFlags.MoreFrag, (ushort)2048), (rx[k].Flags, rx[k].Len));
        }

        Assert.Equal((SlotFlags.None, (ushort)808), (rx[4].Flags, rx[4].Len));
        Assert.Equal(inbound, PacketFill.Receive(rx));
        handle.RxSync();

        Assert.Equal(outbound.Length, handle.Inject(outbound)); // nm_inject splits it into 5 slots
        handle.TxSync();

        Assert.Equal(outbound, nic.ReadWire());
        Assert.Null(nic.ReadWire());
    }

    [Fact]
    public void A_chain_whose_last_fragment_is_not_there_yet_waits_for_it()
    {
        var nic = Domain.CreateSoftInterface("nic0");
        using var handle = Domain.Open("netmap:nic0");
        var tx = handle.TxRing;
        var frame = NicFrames.Plain(300, 5);
        WriteSlot(tx, frame.AsSpan(0, 100), SlotFlags.MoreFrag);
        WriteSlot(tx, frame.AsSpan(100, 100), SlotFlags.MoreFrag);

        handle.TxSync();

        Assert.Null(nic.ReadWire());
        Assert.Equal(0, nic.Flushes);
        Assert.Equal(tx.NumSlots - 3, tx.Space); // the two slots are still the port's

        WriteSlot(tx, frame.AsSpan(200, 100), SlotFlags.None);
        handle.TxSync();

        Assert.Equal(frame, nic.ReadWire());
        Assert.Equal(tx.NumSlots - 1, tx.Space);
    }

    [Fact]
    public void A_frame_the_device_refuses_stays_in_the_ring_until_the_next_sync()
    {
        var nic = Domain.CreateSoftInterface("nic0", queueCapacity: 2);
        using var handle = Domain.Open("netmap:nic0");
        var tx = handle.TxRing;
        var frames = new byte[5][];
        for (var i = 0; i < frames.Length; i++)
        {
            frames[i] = NicFrames.Plain(80, i);
            PacketFill.Send(tx, frames[i]);
        }

        handle.TxSync();

        Assert.Equal(2, nic.PendingOnWire());
        Assert.True(tx.TxPending);
        Assert.Equal(tx.NumSlots - 1 - 3, tx.Space); // three frames still in the port's part of the ring
        var received = new List<byte[]>();
        while (received.Count < frames.Length)
        {
            while (nic.ReadWire() is { } frame)
            {
                received.Add(frame);
            }

            handle.TxSync();
        }

        Assert.Equal(frames, received);
        Assert.False(tx.TxPending);
        Assert.Equal(0, Port(handle).ReadCounters().DroppedTotal);
    }

    [Fact]
    public void A_full_RX_ring_leaves_the_rest_with_the_device_in_order()
    {
        var nic = Domain.CreateSoftInterface("nic0");
        using var handle = Domain.Open("netmap:nic0", new RegisterOptions { RxSlots = 8 });
        var frames = new byte[10][];
        for (var i = 0; i < frames.Length; i++)
        {
            frames[i] = NicFrames.Plain(70 + i, i);
            nic.InjectFromWire(frames[i]);
        }

        var received = new List<byte[]>();
        handle.RxSync();
        Assert.Equal(7u, handle.RxRing.Space); // N - 1
        while (received.Count < frames.Length)
        {
            while (!handle.RxRing.IsEmpty)
            {
                received.Add(PacketFill.Receive(handle.RxRing));
            }

            handle.RxSync();
        }

        Assert.Equal(frames, received);
        Assert.Equal(0, nic.WireRxDrops);
        Assert.Equal(0, Port(handle).ReadCounters().DroppedTotal);
    }

    [Fact]
    public void A_frame_that_does_not_fit_the_free_slots_waits_and_keeps_its_place()
    {
        var nic = Domain.CreateSoftInterface("nic0", maxFrameSize: 5000);
        using var handle = Domain.Open("netmap:nic0", new RegisterOptions { RxSlots = 8 });
        var rx = handle.RxRing;
        var small = new byte[6][];
        for (var i = 0; i < small.Length; i++)
        {
            small[i] = NicFrames.Plain(60, i);
            nic.InjectFromWire(small[i]);
        }

        var big = NicFrames.Plain(5000, 42); // three slots; one is free
        var after = NicFrames.Plain(61, 43);
        nic.InjectFromWire(big);
        nic.InjectFromWire(after);

        handle.RxSync();

        Assert.Equal(6u, rx.Space);
        foreach (var frame in small)
        {
            Assert.Equal(frame, PacketFill.Receive(rx));
        }

        handle.RxSync();

        Assert.Equal(big, PacketFill.Receive(rx));
        Assert.Equal(after, PacketFill.Receive(rx));
        Assert.Equal(0, Port(handle).ReadCounters().DroppedTotal);
        handle.RxSync();
    }

    [Fact]
    public void Oversize_and_runt_wire_frames_are_dropped_and_counted()
    {
        var nic = Domain.CreateSoftInterface("nic0");
        using var handle = Domain.Open("netmap:nic0");
        var good = NicFrames.Plain(1518, 1);
        nic.InjectFromWire(NicFrames.Plain(1519, 2));
        nic.InjectFromWire(new byte[13]);
        nic.InjectFromWire([]);
        nic.InjectFromWire(good);

        handle.RxSync();

        Assert.Equal(good, PacketFill.Receive(handle.RxRing));
        Assert.True(handle.RxRing.IsEmpty);
        var counters = Port(handle).ReadCounters();
        Assert.Equal(1, counters.Dropped(NicDropReason.Oversize));
        Assert.Equal(2, counters.Dropped(NicDropReason.Runt));
        Assert.Equal((1L, 1518L), (counters.RxFrames, counters.RxBytes));
        handle.RxSync();
    }

    [Fact]
    public void A_wire_frame_needing_more_than_64_slots_is_dropped_and_counted()
    {
        var nic = Domain.CreateSoftInterface("big0", maxFrameSize: SoftNic.MaxWireFrame);
        // An initial offset of 1536 leaves 512 bytes per slot: 65535 bytes need 128 slots.
        using var handle = Domain.Open("netmap:big0", new RegisterOptions { Offsets = new OffsetOptions { InitialOffset = 1536, MaxOffset = 1536 } });
        var fits = NicFrames.Plain(64 * 512, 1);
        nic.InjectFromWire(NicFrames.Plain(SoftNic.MaxWireFrame, 2));
        nic.InjectFromWire(fits);

        handle.RxSync();

        Assert.Equal(64u, handle.RxRing.Space);
        Assert.Equal(fits, PacketFill.Receive(handle.RxRing));
        Assert.Equal(1, Port(handle).ReadCounters().Dropped(NicDropReason.TooManyFragments));
        handle.RxSync();
    }

    [Fact]
    public void A_wire_frame_larger_than_the_whole_ring_is_dropped_instead_of_blocking_it()
    {
        var nic = Domain.CreateSoftInterface("nic0", maxFrameSize: 9018);
        using var handle = Domain.Open("netmap:nic0", new RegisterOptions { RxSlots = 4 }); // 3 usable slots: 6144 bytes
        var after = NicFrames.Plain(100, 3);
        nic.InjectFromWire(NicFrames.Plain(9000, 1));
        nic.InjectFromWire(after);

        handle.RxSync();

        Assert.Equal(after, PacketFill.Receive(handle.RxRing));
        Assert.Equal(1, Port(handle).ReadCounters().Dropped(NicDropReason.TooManyFragments));
        handle.RxSync();
    }

    [Fact]
    public void Oversize_runt_bad_buffer_and_65_fragment_frames_are_not_sent_and_are_counted()
    {
        var nic = Domain.CreateSoftInterface("nic0");
        using var handle = Domain.Open("netmap:nic0");
        var tx = handle.TxRing;
        PacketFill.Send(tx, NicFrames.Plain(1519, 1));  // oversize
        PacketFill.Send(tx, new byte[10]);              // runt
        var bad = tx.Head;
        PacketFill.Send(tx, NicFrames.Plain(100, 2));
        var saved = tx[bad].BufIdx;
        tx[bad].BufIdx = 0;                             // invalid buffer
        for (var i = 0; i < 65; i++)
        {
            WriteSlot(tx, NicFrames.Plain(20, i), i < 64 ? SlotFlags.MoreFrag : SlotFlags.None);
        }

        var good = NicFrames.Plain(200, 3);
        PacketFill.Send(tx, good);

        handle.TxSync();

        tx[bad].BufIdx = saved; // the slot is the application's again: give its buffer back
        Assert.Equal(good, nic.ReadWire());
        Assert.Null(nic.ReadWire());
        Assert.False(tx.TxPending);
        var counters = Port(handle).ReadCounters();
        Assert.Equal(1, counters.Dropped(NicDropReason.Oversize));
        Assert.Equal(1, counters.Dropped(NicDropReason.Runt));
        Assert.Equal(1, counters.Dropped(NicDropReason.InvalidSlot));
        Assert.Equal(1, counters.Dropped(NicDropReason.TooManyFragments));
        Assert.Equal(1, counters.TxFrames);
    }

    [Fact]
    public void Each_NIC_ring_uses_its_own_device_queue_and_an_unbound_queue_still_feeds_the_host_stack()
    {
        var nic = Domain.CreateSoftInterface("mq0", txQueues: 2, rxQueues: 2);
        using var handle = Domain.Open("netmap:mq0-1");
        var toRing = NicFrames.Plain(90, 1);
        var toStack = NicFrames.Plain(91, 2);
        nic.InjectFromWire(toRing, queue: 1);
        nic.InjectFromWire(toStack, queue: 0); // RX ring 0 is not bound: netmap does not intercept it

        handle.RxSync();

        Assert.Equal(toRing, PacketFill.Receive(handle.RxRing));
        Assert.Equal(toStack, nic.ReadHost());
        var outbound = NicFrames.Plain(92, 3);
        PacketFill.Send(handle.TxRing, outbound);
        handle.TxSync();
        Assert.Null(nic.ReadWire(0));
        Assert.Equal(outbound, nic.ReadWire(1));
        handle.RxSync();
    }

    [Fact]
    public void Closing_with_frames_in_flight_leaks_nothing_and_counts_the_queued_ones()
    {
        var nic = Domain.CreateSoftInterface("nic0", maxFrameSize: 5000, queueCapacity: 4);
        var handle = Domain.Open("netmap:nic0", new RegisterOptions { RxSlots = 4 });
        for (var i = 0; i < 6; i++)
        {
            PacketFill.Send(handle.TxRing, NicFrames.Plain(100, i)); // four fit on the wire, two stay in the ring
        }

        for (var i = 0; i < 4; i++)
        {
            nic.InjectFromWire(NicFrames.Plain(3000, i)); // the ring takes one, the port keeps one waiting
        }

        handle.TxSync();
        handle.RxSync();
        handle.Dispose();

        Assert.Equal(0, Arena.InUse);
        Assert.False(nic.IsInNetmapMode);
        Assert.Equal(2, nic.WireRxDrops); // still queued for the ring when it went
        Assert.Equal(4, nic.PendingOnWire());
    }

    [Fact]
    public void A_second_open_shares_the_port_and_the_last_close_destroys_it()
    {
        var nic = Domain.CreateSoftInterface("nic0");
        var first = Domain.Open("netmap:nic0-0/T");
        var second = Domain.Open("netmap:nic0/R");
        Assert.Same(first.Port, second.Port);
        Assert.True(nic.IsInNetmapMode);

        first.Dispose();
        Assert.True(nic.IsInNetmapMode);
        Assert.False(first.Port.IsDestroyed);

        second.Dispose();
        Assert.False(nic.IsInNetmapMode);
        Assert.True(second.Port.IsDestroyed);

        using var third = Domain.Open("netmap:nic0");
        Assert.NotSame(first.Port, third.Port);
    }

    private static NicPort Port(PortHandle handle) => Assert.IsType<NicPort>(handle.Port);

    private static void WriteSlot(Ring tx, ReadOnlySpan<byte> data, SlotFlags flags)
    {
        var k = tx.Head;
        data.CopyTo(tx.Buffer(k));
        tx[k].Len = (ushort)data.Length;
        tx[k].Flags = flags;
        tx.Head = tx.Cur = tx.Next(k);
    }
}
