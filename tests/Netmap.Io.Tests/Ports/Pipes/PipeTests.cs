using Netmap.Io.Ports;
using Netmap.Io.Rings;

namespace Netmap.Io.Tests.Ports.Pipes;

public sealed class PipeTests : NetmapTestBase
{
    [Fact]
    public void The_buffer_one_end_transmits_is_the_buffer_the_other_receives()
    {
        using var master = Domain.Open("netmap:pipe{1");
        using var slave = Domain.Open("netmap:pipe}1");
        var tx = master.TxRing;
        var sentIndex = tx[tx.Head].BufIdx;
        var frame = PacketFill.Pattern(60, 7);
        PacketFill.Send(tx, frame);

        Assert.Equal(SyncStatus.Ok, master.TxSync());
        Assert.Equal(SyncStatus.Ok, slave.RxSync());

        var rx = slave.RxRing;
        Assert.Equal(1u, rx.Space);
        Assert.Equal(sentIndex, rx[rx.Head].BufIdx);
        Assert.Equal(frame, rx.Packet(rx.Head).Data.ToArray());
        rx.Head = rx.Cur = rx.Next(rx.Head);
        slave.RxSync();
    }

    [Fact]
    public void Both_directions_carry_packets()
    {
        // netmap utils/tests/023 — objective: a pipe carries frames both ways.
        using var master = Domain.Open("netmap:pipe{2");
        using var slave = Domain.Open("netmap:pipe}2");
        PacketFill.Send(master.TxRing, PacketFill.Pattern(100, 1));
        PacketFill.Send(slave.TxRing, PacketFill.Pattern(200, 2));
        master.TxSync();
        slave.TxSync();
        slave.RxSync();
        master.RxSync();

        Assert.Equal(PacketFill.Pattern(100, 1), PacketFill.Receive(slave.RxRing));
        Assert.Equal(PacketFill.Pattern(200, 2), PacketFill.Receive(master.RxRing));
        slave.RxSync();
        master.RxSync();
    }

    [Fact]
    public void Partial_read_leaves_the_rest_pending()
    {
        // netmap utils/tests/008_partial_read_pipe_test — objective: a reader that consumes only part of
        // what was sent leaves the rest pending, and the sender's TX space says so.
        // Operations: 1) pipe}1 sends 10 x 274 B; 2) pipe{1 reads 7 and syncs; 3) on the sender,
        // max_tx - avail == 3; 4) sending avail + 1 packets fails.
        using var master = Domain.Open("netmap:pipe{1");
        using var slave = Domain.Open("netmap:pipe}1");
        var tx = slave.TxRing;
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(274, slave.Inject(PacketFill.Pattern(274, i)));
        }

        slave.TxSync();
        master.RxSync();
        var rx = master.RxRing;
        Assert.Equal(10u, rx.Space);
        for (var i = 0; i < 7; i++)
        {
            Assert.Equal(PacketFill.Pattern(274, i), PacketFill.Receive(rx));
        }

        master.RxSync();
        slave.TxSync();

        var maxTx = tx.NumSlots - 1; // 274 B fits one buffer: one slot per packet
        var avail = tx.Space;
        Assert.Equal(3u, maxTx - avail);

        for (var i = 0; i < avail; i++)
        {
            Assert.Equal(274, slave.Inject(PacketFill.Pattern(274, 100 + i)));
        }

        Assert.Equal(0, slave.Inject(PacketFill.Pattern(274, 999)));
        slave.TxSync();

        // The three unread packets are still first in line, then the rest in order.
        master.RxSync();
        for (var i = 7; i < 10; i++)
        {
            Assert.Equal(PacketFill.Pattern(274, i), PacketFill.Receive(rx));
        }

        Assert.Equal(PacketFill.Pattern(274, 100), PacketFill.Receive(rx));
        rx.Head = rx.Cur = rx.Tail;
        master.RxSync();
    }

    [Fact]
    public void A_full_ring_refuses_more()
    {
        using var master = Domain.Open("netmap:pipe{3", new RegisterOptions { TxSlots = 8, RxSlots = 8 });
        using var slave = Domain.Open("netmap:pipe}3");
        var tx = master.TxRing;
        Assert.Equal(7u, tx.Space); // one slot always stays empty
        for (var i = 0; i < 7; i++)
        {
            PacketFill.Send(tx, PacketFill.Pattern(64, i));
        }

        Assert.Equal(0u, tx.Space);
        Assert.Equal(0, master.Inject(PacketFill.Pattern(64, 9)));
        master.TxSync();
        Assert.Equal(0u, tx.Space); // the receiver has not read anything: nothing comes back
        Assert.True(tx.TxPending);

        slave.RxSync();
        Assert.Equal(7u, slave.RxRing.Space);
        slave.RxRing.Head = slave.RxRing.Cur = slave.RxRing.Tail;
        slave.RxSync();
        master.TxSync();
        Assert.Equal(7u, tx.Space);
        Assert.False(tx.TxPending);
    }

    [Fact]
    public void An_exclusive_pipe_end_refuses_other_opens()
    {
        // netmap utils/tests/003 — objective: pipeA{1/x held open; pipeA{1 and pipeA{1/x both fail EBUSY.
        using var exclusive = Domain.Open("netmap:pipeA{1/x");
        var plain = Assert.Throws<NetmapException>(() => Domain.Open("netmap:pipeA{1"));
        Assert.Equal(NetmapError.EBUSY, plain.Code);
        Assert.StartsWith("netmap:pipeA{1: EBUSY:", plain.Message, StringComparison.Ordinal);
        var second = Assert.Throws<NetmapException>(() => Domain.Open("netmap:pipeA{1/x"));
        Assert.Equal(NetmapError.EBUSY, second.Code);

        using var other = Domain.Open("netmap:pipeA}1"); // the other end is not affected
    }

    [Fact]
    public void An_exclusive_open_of_an_end_in_use_fails()
    {
        using var plain = Domain.Open("netmap:pipeB{1");
        var ex = Assert.Throws<NetmapException>(() => Domain.Open("netmap:pipeB{1/x"));
        Assert.Equal(NetmapError.EBUSY, ex.Code);
    }

    [Fact]
    public void Closing_an_exclusive_handle_frees_the_end()
    {
        Domain.Open("netmap:pipeC{1/x").Dispose();
        using var again = Domain.Open("netmap:pipeC{1/x");
    }

    [Theory]
    [InlineData(RegisterMode.NicSw)]
    [InlineData(RegisterMode.Sw)]
    [InlineData(RegisterMode.OneSw)]
    public void A_pipe_end_takes_only_nic_modes(RegisterMode mode)
    {
        // ctrl-api-test pipe_master: NIC_SW fails EINVAL, ALL_NIC works.
        var ex = Assert.Throws<NetmapException>(() => Domain.Open("netmap:pipe{4", new RegisterOptions { Mode = mode }));
        Assert.Equal(NetmapError.EINVAL, ex.Code);
        using var ok = Domain.Open("netmap:pipe{4", new RegisterOptions { Mode = RegisterMode.AllNic });
    }

    [Fact]
    public void The_slave_gets_the_master_counts_swapped()
    {
        using var master = Domain.Open("netmap:pipe{5", new RegisterOptions { TxRings = 2, RxRings = 3, TxSlots = 64, RxSlots = 32 });
        using var slave = Domain.Open("netmap:pipe}5", new RegisterOptions { TxRings = 7 }); // later opens ignore hints
        Assert.Equal((2, 3), (master.Port.TxRingCount, master.Port.RxRingCount));
        Assert.Equal((3, 2), (slave.Port.TxRingCount, slave.Port.RxRingCount));
        Assert.Equal(64u, master.TxRing.NumSlots);
        Assert.Equal(64u, slave.RxRing.NumSlots);
        Assert.Equal(32u, slave.TxRing.NumSlots);
        Assert.Equal(2 * 64 + 3 * 32, Arena.InUse); // only TX rings own buffers
    }

    [Fact]
    public void One_nic_ring_k_of_one_end_feeds_ring_k_of_the_other()
    {
        using var master = Domain.Open("netmap:pipe{6-1", new RegisterOptions { TxRings = 2, RxRings = 2 });
        using var slave = Domain.Open("netmap:pipe}6");
        Assert.Equal(1, master.TxRing.RingId);
        PacketFill.Send(master.TxRing, PacketFill.Pattern(80, 3));
        master.TxSync();
        slave.RxSync();
        Assert.True(slave.RxRings[0].IsEmpty);
        Assert.Equal(PacketFill.Pattern(80, 3), PacketFill.Receive(slave.RxRings[1]));
        slave.RxSync();
    }

    [Fact]
    public void The_65th_pipe_of_a_parent_is_refused()
    {
        var ends = new List<PortHandle>();
        try
        {
            for (var i = 0; i < 64; i++)
            {
                ends.Add(Domain.Open($"netmap:many{{{i}", new RegisterOptions { TxSlots = 4, RxSlots = 4 }));
            }

            var ex = Assert.Throws<NetmapException>(() => Domain.Open("netmap:many{64"));
            Assert.Equal(NetmapError.EINVAL, ex.Code);
        }
        finally
        {
            ends.ForEach(e => e.Dispose());
        }
    }

    [Fact]
    public void A_pipe_without_a_parent_name_is_refused()
    {
        var ex = Assert.Throws<NetmapException>(() => Domain.Open("netmap:{x"));
        Assert.Equal(NetmapError.EINVAL, ex.Code);
    }

    [Fact]
    public void Offsets_survive_the_crossing()
    {
        var offsets = new RegisterOptions { Offsets = new OffsetOptions { MaxOffset = 128, InitialOffset = 64 } };
        using var master = Domain.Open("netmap:pipe{7", offsets);
        using var slave = Domain.Open("netmap:pipe}7", offsets);
        var tx = master.TxRing;
        Assert.Equal(64ul, tx.GetOffset(in tx[tx.Head]));

        var payload = PacketFill.Pattern(60, 5);
        var view = tx.Packet(tx.Head);
        payload.CopyTo(view.Buffer[64..]);
        tx[tx.Head].Len = 60;
        var tag = tx.Packet(tx.Head).Push(4); // a VLAN tag, pushed in place
        tag.Fill(0xAB);
        tx.Head = tx.Cur = tx.Next(tx.Head);
        master.TxSync();
        slave.RxSync();

        var rx = slave.RxRing;
        var got = rx.Packet(rx.Head);
        Assert.Equal(60, got.Offset);
        Assert.Equal(64, got.Length);
        Assert.Equal(new byte[] { 0xAB, 0xAB, 0xAB, 0xAB }, got.Data[..4].ToArray());
        Assert.Equal(payload, got.Data[4..].ToArray());
        got.Pop(4); // the receiver pops it without copying
        Assert.Equal(payload, rx.Packet(rx.Head).Data.ToArray());
        rx.Head = rx.Cur = rx.Next(rx.Head);
        slave.RxSync();
    }

    [Fact]
    public void An_offset_above_the_max_is_cropped_in_the_crossing()
    {
        var offsets = new RegisterOptions { Offsets = new OffsetOptions { MaxOffset = 100, InitialOffset = 0 } };
        using var master = Domain.Open("netmap:pipe{8", offsets);
        using var slave = Domain.Open("netmap:pipe}8");
        var tx = master.TxRing;
        tx.SetOffset(ref tx[tx.Head], 300);
        tx[tx.Head].Len = 10;
        tx.Head = tx.Cur = tx.Next(tx.Head);
        master.TxSync();
        slave.RxSync();
        var rx = slave.RxRing;
        Assert.Equal(100ul, rx.GetOffset(in rx[rx.Head]));
        Assert.Equal(100ul, slave.MaxOffset); // the receiver inherits the sender's offset configuration
        rx.Head = rx.Cur = rx.Tail;
        slave.RxSync();
    }

    [Fact]
    public void A_tx_offset_that_breaks_the_alignment_is_rejected()
    {
        var offsets = new RegisterOptions { Offsets = new OffsetOptions { MaxOffset = 128, InitialOffset = 64, TxAlign = 8 } };
        using var master = Domain.Open("netmap:pipe{9", offsets);
        using var slave = Domain.Open("netmap:pipe}9");
        var tx = master.TxRing;
        var first = tx.Head;
        tx[first].Len = 20;
        tx.SetOffset(ref tx[first], 61);
        tx.Head = tx.Cur = tx.Next(first);

        var ex = Assert.Throws<NetmapException>(() => master.TxSync());
        Assert.Equal(NetmapError.EINVAL, ex.Code);
        Assert.Contains("alignment 8", ex.Message, StringComparison.Ordinal);
        slave.RxSync();
        Assert.True(slave.RxRing.IsEmpty); // nothing was sent

        tx.SetOffset(ref tx[first], 56);
        Assert.Equal(SyncStatus.Ok, master.TxSync());
        slave.RxSync();
        Assert.Equal(1u, slave.RxRing.Space);
        Assert.Equal(56, slave.RxRing.Packet(slave.RxRing.Head).Offset);
        slave.RxRing.Head = slave.RxRing.Cur = slave.RxRing.Tail;
        slave.RxSync();
    }

    [Fact]
    public void A_second_binder_must_ask_for_a_subset_of_the_offsets()
    {
        using var first = Domain.Open("netmap:pipe{10", new RegisterOptions { Offsets = new OffsetOptions { MaxOffset = 128, Bits = 8 } });
        var wider = Assert.Throws<NetmapException>(() =>
            Domain.Open("netmap:pipe{10", new RegisterOptions { Offsets = new OffsetOptions { MaxOffset = 200, Bits = 8 } }));
        Assert.Equal(NetmapError.EBUSY, wider.Code);
        var moreBits = Assert.Throws<NetmapException>(() =>
            Domain.Open("netmap:pipe{10", new RegisterOptions { Offsets = new OffsetOptions { MaxOffset = 64, Bits = 16 } }));
        Assert.Equal(NetmapError.EBUSY, moreBits.Code);
        using var subset = Domain.Open("netmap:pipe{10", new RegisterOptions { Offsets = new OffsetOptions { MaxOffset = 64, Bits = 7 } });
        Assert.Equal(128ul, subset.MaxOffset); // it inherits the larger configuration
    }

    [Fact]
    public void A_long_packet_crosses_whole_as_a_morefrag_chain()
    {
        using var master = Domain.Open("netmap:pipe{11");
        using var slave = Domain.Open("netmap:pipe}11");
        var packet = PacketFill.Pattern(5000, 11);
        Assert.Equal(5000, master.Inject(packet));
        master.TxSync();
        slave.RxSync();

        var rx = slave.RxRing;
        Assert.Equal(3u, rx.Space);
        Assert.Equal(SlotFlags.MoreFrag, rx[rx.Head].Flags & SlotFlags.MoreFrag);
        Assert.Equal(new ushort[] { 2048, 2048, 904 }, new[] { rx[0].Len, rx[1].Len, rx[2].Len });
        var fragments = 0;
        foreach (var fragment in rx.Fragments(rx.Head))
        {
            fragments++;
            Assert.Equal(fragments < 3, (fragment.Flags & SlotFlags.MoreFrag) != 0);
        }

        Assert.Equal(3, fragments);
        Assert.Equal(packet, PacketFill.Receive(rx));
        slave.RxSync();
    }

    [Fact]
    public void An_incomplete_chain_stays_invisible_until_its_last_fragment_is_sent()
    {
        using var master = Domain.Open("netmap:pipe{12");
        using var slave = Domain.Open("netmap:pipe}12");
        var tx = master.TxRing;
        PacketFill.Send(tx, PacketFill.Pattern(64, 1)); // a complete packet
        PacketFill.Send(tx, PacketFill.Pattern(100, 2));
        tx[tx.Prev(tx.Head)].Flags = SlotFlags.MoreFrag; // first fragment of a second packet
        master.TxSync();
        slave.RxSync();
        Assert.Equal(1u, slave.RxRing.Space); // only the complete packet is visible

        PacketFill.Send(tx, PacketFill.Pattern(50, 3)); // the last fragment
        master.TxSync();
        slave.RxSync();
        Assert.Equal(3u, slave.RxRing.Space);
        Assert.Equal(PacketFill.Pattern(64, 1), PacketFill.Receive(slave.RxRing));
        var joined = PacketFill.Pattern(100, 2).Concat(PacketFill.Pattern(50, 3)).ToArray();
        Assert.Equal(joined, PacketFill.Receive(slave.RxRing));
        slave.RxSync();
    }

    [Fact]
    public void Closing_one_end_is_seen_by_the_other_and_unread_packets_wait_for_a_reopen()
    {
        using var master = Domain.Open("netmap:pipe{13");
        var slave = Domain.Open("netmap:pipe}13");
        Assert.False(master.PeerClosed);
        PacketFill.Send(master.TxRing, PacketFill.Pattern(70, 1));
        PacketFill.Send(master.TxRing, PacketFill.Pattern(71, 2));
        master.TxSync();
        slave.RxSync();
        Assert.Equal(PacketFill.Pattern(70, 1), PacketFill.Receive(slave.RxRing));
        slave.RxSync();
        slave.Dispose();

        Assert.True(master.PeerClosed);
        PacketFill.Send(master.TxRing, PacketFill.Pattern(72, 3)); // the sender keeps working
        Assert.Equal(SyncStatus.PeerClosed, master.TxSync());

        using var reopened = Domain.Open("netmap:pipe}13");
        Assert.False(master.PeerClosed);
        Assert.Equal(SyncStatus.Ok, reopened.RxSync());
        Assert.Equal(PacketFill.Pattern(71, 2), PacketFill.Receive(reopened.RxRing)); // resumes where it was
        Assert.Equal(PacketFill.Pattern(72, 3), PacketFill.Receive(reopened.RxRing));
        reopened.RxSync();
    }

    [Fact]
    public void Closing_both_ends_frees_everything_and_a_new_open_starts_fresh()
    {
        var master = Domain.Open("netmap:pipe{14");
        var slave = Domain.Open("netmap:pipe}14");
        PacketFill.Send(master.TxRing, PacketFill.Pattern(64, 1));
        master.TxSync();
        slave.RxSync(); // the receiver holds the packet when both close
        slave.Dispose();
        master.Dispose();
        Assert.Equal(0, Arena.InUse);

        using var fresh = Domain.Open("netmap:pipe}14");
        fresh.RxSync();
        Assert.True(fresh.RxRing.IsEmpty);
    }

    [Fact]
    public void A_reader_can_swap_a_buffer_in_and_the_sender_gets_it_back()
    {
        // netmap utils/tests/006 uses extra buffers on pipes; here the reader keeps a received buffer and
        // gives the ring one of its extra buffers instead (NS_BUF_CHANGED), which travels to the sender.
        using var master = Domain.Open("netmap:pipe{15");
        using var slave = Domain.Open("netmap:pipe}15", new RegisterOptions { ExtraBuffers = 2 });
        Assert.Equal(2, slave.ExtraBuffersGranted);
        var tx = master.TxRing;
        var slotIndex = tx.Head;
        PacketFill.Send(tx, PacketFill.Pattern(64, 1));
        master.TxSync();
        slave.RxSync();

        var rx = slave.RxRing;
        var kept = rx[rx.Head].BufIdx;
        var spare = slave.ExtraBuffersHead;
        var afterSpare = BitConverter.ToUInt32(Arena.GetBuffer(spare)[..4]);
        rx[rx.Head].BufIdx = spare;
        rx[rx.Head].Flags |= SlotFlags.BufChanged;
        BitConverter.TryWriteBytes(Arena.GetBuffer(kept)[..4], afterSpare); // kept takes spare's place on the list
        slave.ExtraBuffersHead = kept;
        rx.Head = rx.Cur = rx.Next(rx.Head);
        slave.RxSync();
        master.TxSync();

        Assert.Equal(spare, tx[slotIndex].BufIdx);
        Assert.Equal(SlotFlags.BufChanged, tx[slotIndex].Flags & SlotFlags.BufChanged); // the change is reported to the sender
        Assert.Equal(SlotFlags.None, rx[slotIndex].Flags & SlotFlags.BufChanged); // cleared on release
    }

    [Fact]
    public void A_released_slot_whose_buffer_the_reader_kept_in_place_is_not_copied_back()
    {
        // netmap_pipe_rxsync copies a released slot back to the sender only when the reader swapped its buffer
        // (NS_BUF_CHANGED): otherwise the sender's slot already names the same buffer, and keeps its own offset
        // and length; what the reader did to its copy (a header pop) stays on the reader's side.
        var offsets = new RegisterOptions { Offsets = new OffsetOptions { MaxOffset = 128, InitialOffset = 64 } };
        using var master = Domain.Open("netmap:pipe{16", offsets);
        using var slave = Domain.Open("netmap:pipe}16", offsets);
        var tx = master.TxRing;
        var slotIndex = tx.Head;
        var sentBuffer = tx[slotIndex].BufIdx;
        PacketFill.Send(tx, PacketFill.Pattern(64, 3));
        master.TxSync();
        slave.RxSync();

        var rx = slave.RxRing;
        rx.Packet(rx.Head).Pop(14); // the reader pops the Ethernet header: its offset moves to 78
        Assert.Equal(78, rx.Packet(rx.Head).Offset);
        rx.Head = rx.Cur = rx.Next(rx.Head);
        slave.RxSync();
        master.TxSync();

        Assert.Equal(sentBuffer, tx[slotIndex].BufIdx);
        Assert.Equal(64, tx.Packet(slotIndex).Offset);
        Assert.Equal(SlotFlags.None, tx[slotIndex].Flags & SlotFlags.BufChanged);
        Assert.Equal(tx.NumSlots - 1, tx.Space); // the slot is free again all the same
    }

    [Fact]
    public void A_sender_can_swap_an_extra_buffer_into_its_slot()
    {
        // netmap utils/tests/006_extra_bufs_pipe_test — objective: pipeA}1 sends 1 x 274 B 'c' through a
        // swapped-in extra buffer; pipeA{1 receives it.
        using var master = Domain.Open("netmap:pipeA{1");
        using var slave = Domain.Open("netmap:pipeA}1", new RegisterOptions { ExtraBuffers = 12 });
        var tx = slave.TxRing;
        var extra = slave.ExtraBuffersHead;
        var rest = BitConverter.ToUInt32(Arena.GetBuffer(extra)[..4]);
        var old = tx[tx.Head].BufIdx;
        BitConverter.TryWriteBytes(Arena.GetBuffer(old)[..4], rest);
        slave.ExtraBuffersHead = old;
        tx[tx.Head].BufIdx = extra;
        tx[tx.Head].Flags = SlotFlags.BufChanged;
        Arena.GetBuffer(extra)[..274].Fill((byte)'c');
        tx[tx.Head].Len = 274;
        tx.Head = tx.Cur = tx.Next(tx.Head);
        slave.TxSync();
        master.RxSync();

        var rx = master.RxRing;
        Assert.Equal(extra, rx[rx.Head].BufIdx);
        Assert.All(rx.Packet(rx.Head).Data.ToArray(), b => Assert.Equal((byte)'c', b));
        Assert.Equal(SlotFlags.None, tx[tx.Prev(tx.Head)].Flags & SlotFlags.BufChanged);
        rx.Head = rx.Cur = rx.Tail;
        master.RxSync();
    }

    [Fact]
    public void Share_puts_a_port_in_another_port_s_memory_region()
    {
        var second = Domain.CreateRegion(new Netmap.Io.Memory.ArenaOptions { BufferCount = 8192, Checked = true });
        using var master = Domain.Open($"netmap:sh{{0@{second}");
        using var shared = Domain.Open("null@share=sh{0");
        Assert.Equal(second, shared.MemId);
        Assert.Same(master.Arena, shared.Arena);

        var conflict = Assert.Throws<NetmapException>(() => Domain.Open("netmap:sh{1@1@share=sh{0"));
        Assert.Equal(NetmapError.EINVAL, conflict.Code);
        var missing = Assert.Throws<NetmapException>(() => Domain.Open("null@share=nowhere"));
        Assert.Equal(NetmapError.ENXIO, missing.Code);
        shared.Dispose();
        master.Dispose();
        Domain.GetRegion(second).AssertNoLeaks();
    }
}

