using Netmap.Io.Memory;
using Netmap.Io.Ports;
using Netmap.Io.Rings;

namespace Netmap.Io.Tests.Rings;

// Ring indices, the sync contract and inject (netmap-notes §1.2, §1.3, §8), over null ports: their
// syncs do nothing, so every index the test sees is the one the ring logic computed.
public sealed class RingTests : NetmapTestBase
{
    private PortHandle OpenNull(int slots = 8, int txRings = 1, OffsetOptions? offsets = null, string spec = "null") =>
        Domain.Open(spec, new RegisterOptions { TxSlots = slots, RxSlots = slots, TxRings = txRings, Offsets = offsets });

    private static byte[] Pattern(int length, int seed = 0)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)(((i + seed) * 7) % 251);
        }

        return bytes;
    }

    // ---------------------------------------------------------------- indices

    [Fact]
    public void Fresh_TX_ring_gives_the_user_N_minus_1_slots()
    {
        using var handle = OpenNull();
        var tx = handle.TxRing;

        Assert.Equal(RingKind.Tx, tx.Kind);
        Assert.Equal(0, tx.RingId);
        Assert.False(tx.IsHostRing);
        Assert.True(tx.IsBound);
        Assert.Equal(8u, tx.NumSlots);
        Assert.Equal(8, tx.Slots.Length);
        Assert.Equal(2048, tx.BufferSize);
        Assert.Equal(2048, tx.HwBufLen);
        Assert.Same(handle.Port, tx.Port);
        Assert.Same(Arena, tx.Arena);
        Assert.Equal(0u, tx.Head);
        Assert.Equal(0u, tx.Cur);
        Assert.Equal(7u, tx.Tail);
        Assert.Equal(7u, tx.Space);
        Assert.False(tx.IsEmpty);
        Assert.False(tx.TxPending); // all TX done <=> head == tail + 1
    }

    [Fact]
    public void Fresh_RX_ring_is_empty()
    {
        using var handle = OpenNull();
        var rx = handle.RxRing;

        Assert.Equal(RingKind.Rx, rx.Kind);
        Assert.Equal(0u, rx.Head);
        Assert.Equal(0u, rx.Cur);
        Assert.Equal(0u, rx.Tail);
        Assert.Equal(0u, rx.Space);
        Assert.True(rx.IsEmpty);
        Assert.Equal(0L, rx.Timestamp);
    }

    [Fact]
    public void Next_and_Prev_wrap_at_the_slot_count()
    {
        using var eight = OpenNull(8);
        using var five = OpenNull(5); // not a power of two
        var r8 = eight.TxRing;
        var r5 = five.TxRing;

        Assert.Equal(1u, r8.Next(0));
        Assert.Equal(7u, r8.Next(6));
        Assert.Equal(0u, r8.Next(7));
        Assert.Equal(7u, r8.Prev(0));
        Assert.Equal(2u, r8.Prev(3));
        Assert.Equal(0u, r5.Next(4));
        Assert.Equal(4u, r5.Prev(0));
        Assert.Equal(4u, r5.Tail);
        Assert.Equal(4u, r5.Space);
    }

    [Fact]
    public void Space_and_IsEmpty_follow_head_and_tail_modulo_N()
    {
        using var handle = OpenNull();
        var tx = handle.TxRing;

        tx.Head = 3;
        Assert.Equal(4u, tx.Space);
        tx.Head = 7;
        Assert.Equal(0u, tx.Space);
        Assert.True(tx.IsEmpty);

        // Wrapped: tail behind head.
        tx.Tail = 2;
        tx.Head = 6;
        Assert.Equal(4u, tx.Space);
        Assert.False(tx.IsEmpty);
        tx.Head = 2;
        Assert.True(tx.IsEmpty);
    }

    [Fact]
    public void TxPending_is_true_while_the_port_holds_slots()
    {
        using var handle = OpenNull();
        var tx = handle.TxRing;
        Assert.False(tx.TxPending);

        tx.Head = tx.Cur = 3;
        Assert.Equal(SyncStatus.Ok, tx.TxSync());

        // A null port never completes anything: slots 0..2 stay with it.
        Assert.Equal(7u, tx.Tail);
        Assert.True(tx.TxPending);
    }

    // ---------------------------------------------------------------- sync-time validation (§1.3)

    public sealed record BadIndices(string Name, uint AdvanceTo, uint Head, uint Cur)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<BadIndices> BadTxIndices => new()
    {
        new("head = N + 3", 0, 11, 11),
        new("head = N", 0, 8, 8),
        new("cur = N", 0, 0, 8),
        new("cur behind head", 0, 3, 2),
        new("head behind the last synced head", 4, 2, 2),
        new("cur beyond tail (wrapped past it)", 4, 5, 1),
        new("cur behind head after a sync", 4, 6, 5),
    };

    [Theory]
    [MemberData(nameof(BadTxIndices))]
    public void TX_sync_with_indices_outside_the_user_range_reinitialises_the_ring(BadIndices row)
    {
        using var handle = OpenNull();
        var tx = handle.TxRing;
        if (row.AdvanceTo != 0)
        {
            tx.Head = tx.Cur = row.AdvanceTo;
            Assert.Equal(SyncStatus.Ok, tx.TxSync());
        }

        tx.Head = row.Head;
        tx.Cur = row.Cur;

        Assert.Equal(SyncStatus.RingReinitialized, tx.TxSync());

        // Reset to the port's view: head = cur = hwcur (0: a null port consumed nothing), tail = hwtail.
        Assert.Equal(0u, tx.Head);
        Assert.Equal(0u, tx.Cur);
        Assert.Equal(7u, tx.Tail);
        // The ring works again afterwards.
        tx.Head = tx.Cur = 2;
        Assert.Equal(SyncStatus.Ok, tx.TxSync());
        Assert.Equal(7u, tx.Tail);
    }

    public static TheoryData<BadIndices> GoodTxIndices => new()
    {
        new("head = cur = tail (ring full)", 0, 7, 7),
        new("cur ahead of head, up to tail", 0, 2, 7),
        new("nothing moved", 0, 0, 0),
        new("head = cur after a sync", 4, 4, 4),
        new("head moves on after a sync", 4, 6, 7),
    };

    [Theory]
    [MemberData(nameof(GoodTxIndices))]
    public void TX_sync_with_indices_inside_the_user_range_is_Ok(BadIndices row)
    {
        using var handle = OpenNull();
        var tx = handle.TxRing;
        if (row.AdvanceTo != 0)
        {
            tx.Head = tx.Cur = row.AdvanceTo;
            Assert.Equal(SyncStatus.Ok, tx.TxSync());
        }

        tx.Head = row.Head;
        tx.Cur = row.Cur;

        Assert.Equal(SyncStatus.Ok, tx.TxSync());

        Assert.Equal(row.Head, tx.Head);
        Assert.Equal(row.Cur, tx.Cur);
        Assert.Equal(7u, tx.Tail);
    }

    [Theory]
    [InlineData(1u, 1u)] // head beyond hwtail (the RX ring is empty)
    [InlineData(0u, 1u)] // cur beyond tail
    [InlineData(9u, 9u)] // head >= N
    public void RX_sync_with_indices_outside_the_user_range_reinitialises_the_ring(uint head, uint cur)
    {
        using var handle = OpenNull();
        var rx = handle.RxRing;
        rx.Head = head;
        rx.Cur = cur;

        Assert.Equal(SyncStatus.RingReinitialized, rx.RxSync());

        Assert.Equal(0u, rx.Head);
        Assert.Equal(0u, rx.Cur);
        Assert.Equal(0u, rx.Tail);
        Assert.NotEqual(0L, rx.Timestamp); // RX: the port sync still ran
    }

    [Fact]
    public void Reinit_sanitises_slots_with_invalid_buffers_or_lengths()
    {
        using var handle = OpenNull();
        var tx = handle.TxRing;
        var lost3 = tx[3].BufIdx;
        var lost5 = tx[5].BufIdx;
        var kept6 = tx[6].BufIdx;
        tx[2].Len = 2048;                           // a full buffer: fine
        tx[3] = tx[3] with { BufIdx = 1, Len = 60 }; // reserved index
        tx[5] = tx[5] with { BufIdx = (uint)Arena.BufferCount, Len = 70 }; // past the arena
        tx[6].Len = 2049;                           // longer than a buffer
        tx[1].Flags = SlotFlags.MoreFrag;
        tx.Head = tx.Cur = 11;

        Assert.Equal(SyncStatus.RingReinitialized, tx.TxSync());

        Assert.Equal(new Slot { BufIdx = 0, Len = 0 }, tx[3]);
        Assert.Equal(new Slot { BufIdx = 0, Len = 0 }, tx[5]);
        Assert.Equal(kept6, tx[6].BufIdx);
        Assert.Equal(0, tx[6].Len);
        Assert.Equal(2048, tx[2].Len);
        Assert.Equal(SlotFlags.MoreFrag, tx[1].Flags); // flags are not touched

        // The test overwrote two buffer indices: the port lost them. Give them back so the audit passes.
        tx[3].BufIdx = lost3;
        tx[5].BufIdx = lost5;
    }

    [Fact]
    public void Reinit_of_an_RX_ring_sanitises_its_slots_too()
    {
        using var handle = OpenNull();
        var rx = handle.RxRing;
        var lost = rx[4].BufIdx;
        rx[4] = rx[4] with { BufIdx = 0, Len = 100 };
        rx[7].Len = 5000;
        rx.Head = 3;

        Assert.Equal(SyncStatus.RingReinitialized, rx.RxSync());

        Assert.Equal(new Slot(), rx[4]);
        Assert.Equal(0, rx[7].Len);
        rx[4].BufIdx = lost;
    }

    [Fact]
    public void Valid_sync_does_not_sanitise()
    {
        using var handle = OpenNull();
        var tx = handle.TxRing;
        tx[6].Len = 3000;

        Assert.Equal(SyncStatus.Ok, tx.TxSync());

        Assert.Equal(3000, tx[6].Len);
    }

    [Fact]
    public void Buffer_lost_to_sanitising_is_reported_as_a_leak()
    {
        var handle = OpenNull();
        var tx = handle.TxRing;
        var owner = handle.Port.Owner;
        var lost = tx[3].BufIdx;
        tx[3].BufIdx = 1;
        tx.Head = 9;
        Assert.Equal(SyncStatus.RingReinitialized, tx.TxSync());
        handle.Dispose();

        var e = Assert.Throws<ArenaException>(Domain.AssertNoLeaks);

        Assert.Equal(ArenaViolation.Leak, e.Violation);
        Assert.Equal($"1 of 8190 buffers are out: null#1 holds 1 (indices {lost})", e.Message);
        Arena.Free(lost, owner); // so that this test's own audit passes
    }

    [Fact]
    public void User_write_to_Tail_is_silently_restored_at_the_next_sync()
    {
        using var handle = OpenNull();
        var tx = handle.TxRing;
        var rx = handle.RxRing;
        tx.Tail = 3;
        rx.Tail = 5;

        Assert.Equal(SyncStatus.Ok, tx.TxSync());
        Assert.Equal(SyncStatus.Ok, rx.RxSync());

        Assert.Equal(7u, tx.Tail);
        Assert.Equal(0u, rx.Tail);
        Assert.Equal(0u, tx.Head);
        Assert.Equal(0u, rx.Head);
    }

    [Fact]
    public void Sync_dispatches_on_the_ring_direction()
    {
        using var handle = OpenNull();
        handle.TxRing.Head = handle.TxRing.Cur = 2;

        Assert.Equal(SyncStatus.Ok, handle.TxRing.Sync());
        Assert.Equal(SyncStatus.Ok, handle.RxRing.Sync());

        Assert.Equal(2u, handle.TxRing.Head);
        Assert.NotEqual(0L, handle.RxRing.Timestamp);
    }

    [Fact]
    public void Sync_of_the_wrong_direction_is_EINVAL()
    {
        using var handle = OpenNull();
        var tx = handle.TxRing;
        var rx = handle.RxRing;

        Assert.Equal(NetmapError.EINVAL, Assert.Throws<NetmapException>(() => tx.RxSync()).Code);
        Assert.Equal(NetmapError.EINVAL, Assert.Throws<NetmapException>(() => rx.TxSync()).Code);
        Assert.Equal(NetmapError.EINVAL, Assert.Throws<NetmapException>(() => rx.TryInject([1, 2, 3])).Code);
    }

    [Fact]
    public void Sync_on_a_ring_whose_handle_is_closed_is_ENXIO()
    {
        var handle = OpenNull();
        var tx = handle.TxRing;
        var rx = handle.RxRing;
        handle.Dispose();

        Assert.False(tx.IsBound);
        Assert.False(rx.IsBound);
        var e = Assert.Throws<NetmapException>(() => tx.TxSync());
        Assert.Equal(NetmapError.ENXIO, e.Code);
        Assert.Equal("null#1", e.Subject);
        Assert.Equal(NetmapError.ENXIO, Assert.Throws<NetmapException>(() => rx.RxSync()).Code);
        Assert.Equal(NetmapError.ENXIO, Assert.Throws<NetmapException>(() => tx.Sync()).Code);
        Assert.Equal(NetmapError.ENXIO, Assert.Throws<NetmapException>(() => handle.TxSync()).Code);
        Assert.Equal(NetmapError.ENXIO, Assert.Throws<NetmapException>(() => handle.RxSync()).Code);
    }

    // ---------------------------------------------------------------- inject (§8)

    [Fact]
    public void Inject_splits_5000_bytes_into_2048_2048_904_with_MoreFrag_on_the_first_two()
    {
        // netmap-notes §8: "buf 2048, 5000 B -> slots 2048+2048+904, needs 3 free slots".
        using var handle = OpenNull();
        var tx = handle.TxRing;
        tx[0].Flags = SlotFlags.Report | SlotFlags.Forward;
        tx[2].Flags = SlotFlags.MoreFrag | SlotFlags.BufChanged;
        tx[3].Flags = SlotFlags.Report;
        var packet = Pattern(5000);

        Assert.True(tx.TryInject(packet));

        Assert.Equal(2048, tx[0].Len);
        Assert.Equal(2048, tx[1].Len);
        Assert.Equal(904, tx[2].Len);
        // Flags are overwritten, not OR-ed.
        Assert.Equal(SlotFlags.MoreFrag, tx[0].Flags);
        Assert.Equal(SlotFlags.MoreFrag, tx[1].Flags);
        Assert.Equal(SlotFlags.None, tx[2].Flags);
        Assert.Equal(SlotFlags.Report, tx[3].Flags);
        Assert.Equal(0, tx[3].Len);
        Assert.Equal(packet.AsSpan(0, 2048), tx.Buffer(0));
        Assert.Equal(packet.AsSpan(2048, 2048), tx.Buffer(1));
        Assert.Equal(packet.AsSpan(4096, 904), tx.Buffer(2)[..904]);
        Assert.Equal(3u, tx.Head);
        Assert.Equal(3u, tx.Cur);
        Assert.Equal(7u, tx.Tail);
    }

    [Fact]
    public void PortHandle_Inject_returns_the_length_and_issues_no_sync()
    {
        using var handle = OpenNull();
        var tx = handle.TxRing;
        var packet = Pattern(5000, seed: 3);

        Assert.Equal(5000, handle.Inject(packet));

        Assert.Equal(3u, tx.Head);
        Assert.Equal(3u, tx.Cur);
        Assert.Equal([2048, 2048, 904], new int[] { tx[0].Len, tx[1].Len, tx[2].Len });
        // No sync ran: the next one hands [0, 3) to the port.
        Assert.True(tx.TxPending);
        Assert.Equal(SyncStatus.Ok, handle.TxSync());
        Assert.Equal(3u, tx.Head);
    }

    [Fact]
    public void Inject_without_enough_slots_writes_nothing()
    {
        using var handle = OpenNull(slots: 4); // 3 free slots
        var tx = handle.TxRing;
        Assert.True(tx.TryInject(Pattern(100)));
        Assert.Equal(1u, tx.Head);
        for (uint i = 1; i < 4; i++)
        {
            tx.Buffer(i).Fill(0xEE);
            tx[i].Flags = SlotFlags.Report;
        }

        Assert.False(tx.TryInject(Pattern(5000))); // needs 3, has 2
        Assert.Equal(0, handle.Inject(Pattern(5000)));

        Assert.Equal(1u, tx.Head);
        Assert.Equal(1u, tx.Cur);
        for (uint i = 1; i < 4; i++)
        {
            Assert.Equal(0, tx[i].Len);
            Assert.Equal(SlotFlags.Report, tx[i].Flags);
            Assert.True(tx.Buffer(i).IndexOfAnyExcept((byte)0xEE) < 0);
        }
    }

    [Fact]
    public void Inject_can_fill_the_ring_exactly()
    {
        using var handle = OpenNull(slots: 4);
        var tx = handle.TxRing;

        Assert.True(tx.TryInject(Pattern(5000)));
        Assert.Equal(3u, tx.Head);
        Assert.Equal(0u, tx.Space);

        Assert.False(tx.TryInject(Pattern(1)));
        Assert.False(tx.TryInject([])); // netmap's quirk writes into the tail slot here; we do not
        Assert.Equal(0, tx[3].Len);
        Assert.Equal(3u, tx.Head);
    }

    [Fact]
    public void Inject_of_an_empty_packet_takes_one_slot_of_length_0()
    {
        using var handle = OpenNull();
        var tx = handle.TxRing;
        tx[0] = tx[0] with { Len = 55, Flags = SlotFlags.MoreFrag };

        Assert.True(tx.TryInject([]));

        Assert.Equal(0, tx[0].Len);
        Assert.Equal(SlotFlags.None, tx[0].Flags);
        Assert.Equal(1u, tx.Head);
        Assert.Equal(1u, tx.Cur);
    }

    [Fact]
    public void Inject_writes_from_Cur_and_moves_Head_to_Cur()
    {
        using var handle = OpenNull();
        var tx = handle.TxRing;
        tx.Cur = 2;

        Assert.True(tx.TryInject(Pattern(100)));

        Assert.Equal(0, tx[0].Len);
        Assert.Equal(0, tx[1].Len);
        Assert.Equal(100, tx[2].Len);
        Assert.Equal(3u, tx.Head);
        Assert.Equal(3u, tx.Cur);
    }

    [Fact]
    public void Inject_stops_at_Tail_near_the_end_of_the_ring()
    {
        using var handle = OpenNull();
        var tx = handle.TxRing;
        tx.Head = tx.Cur = 6;
        Assert.Equal(SyncStatus.Ok, tx.TxSync()); // rhead = 6; tail stays 7

        Assert.True(tx.TryInject(Pattern(100)));
        Assert.Equal(7u, tx.Head);

        // Slot 7 is the tail: nothing fits any more.
        Assert.False(tx.TryInject(Pattern(100)));
    }

    [Fact]
    public void Inject_writes_after_the_slot_offset()
    {
        using var handle = OpenNull(offsets: new OffsetOptions { MaxOffset = 128, InitialOffset = 64 });
        var tx = handle.TxRing;
        var packet = Pattern(5000);

        Assert.True(tx.TryInject(packet));

        // 2048 - 64 = 1984 bytes per slot.
        Assert.Equal(1984, tx[0].Len);
        Assert.Equal(1984, tx[1].Len);
        Assert.Equal(1032, tx[2].Len);
        Assert.Equal(3u, tx.Head);
        Assert.Equal(packet.AsSpan(0, 1984), tx.Buffer(0)[64..]);
        Assert.Equal(packet.AsSpan(1984, 1984), tx.Buffer(1)[64..]);
        Assert.Equal(packet.AsSpan(3968, 1032), tx.Buffer(2).Slice(64, 1032));
        Assert.True(tx.Buffer(0)[..64].IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void Inject_refuses_a_packet_of_more_than_64_fragments()
    {
        var memId = Domain.CreateRegion(new ArenaOptions { BufferCount = 256, BufferSize = 64, Checked = true });
        using var handle = Domain.Open($"null@{memId}", new RegisterOptions { TxSlots = 100, RxSlots = 1 });
        var tx = handle.TxRing;
        Assert.Equal(64, tx.BufferSize);

        Assert.False(tx.TryInject(Pattern((64 * 64) + 1))); // 65 fragments
        Assert.Equal(0u, tx.Head);

        Assert.True(tx.TryInject(Pattern(64 * 64)));
        Assert.Equal(64u, tx.Head);
        Assert.Equal(SlotFlags.MoreFrag, tx[62].Flags);
        Assert.Equal(SlotFlags.None, tx[63].Flags);
    }

    [Fact]
    public void Inject_tries_the_TX_rings_round_robin_from_the_last_one_used()
    {
        using var handle = OpenNull(slots: 4, txRings: 2); // 3 free slots per ring
        var r0 = handle.TxRings[0];
        var r1 = handle.TxRings[1];
        var twoSlots = Pattern(2100);
        var oneSlot = Pattern(100);

        Assert.Equal(2100, handle.Inject(twoSlots)); // ring 0: 2 slots, 1 left
        Assert.Equal((2u, 0u), (r0.Head, r1.Head));

        Assert.Equal(2100, handle.Inject(twoSlots)); // ring 0 too full -> ring 1
        Assert.Equal((2u, 2u), (r0.Head, r1.Head));

        Assert.Equal(100, handle.Inject(oneSlot)); // starts at ring 1, the last one used
        Assert.Equal((2u, 3u), (r0.Head, r1.Head));

        Assert.Equal(100, handle.Inject(oneSlot)); // ring 1 full -> ring 0
        Assert.Equal((3u, 3u), (r0.Head, r1.Head));

        Assert.Equal(0, handle.Inject(oneSlot)); // no ring has room
        Assert.Equal((3u, 3u), (r0.Head, r1.Head));
    }

    // ---------------------------------------------------------------- gathering fragments

    [Fact]
    public void Fragments_walk_the_MoreFrag_chain()
    {
        using var handle = OpenNull();
        var tx = handle.TxRing;
        Assert.True(tx.TryInject(Pattern(5000)));
        Assert.True(tx.TryInject(Pattern(10)));

        var fragments = tx.Fragments(0);
        Assert.True(fragments.MoveNext());
        Assert.Equal(0u, fragments.CurrentIndex);
        Assert.Equal(2048, fragments.Current.Length);
        Assert.Equal(tx[0].BufIdx, fragments.Current.BufIdx);
        Assert.False(fragments.Complete);
        Assert.True(fragments.MoveNext());
        Assert.Equal(1u, fragments.CurrentIndex);
        Assert.Equal(2048, fragments.Current.Length);
        Assert.True(fragments.MoveNext());
        Assert.Equal(2u, fragments.CurrentIndex);
        Assert.Equal(904, fragments.Current.Length);
        Assert.Equal(SlotFlags.None, fragments.Current.Flags);
        Assert.False(fragments.MoveNext()); // the next packet is not part of this one

        Assert.True(fragments.Complete);
        Assert.Equal(3, fragments.Count);
        Assert.Equal(3u, fragments.NextIndex);

        var next = tx.Fragments(3);
        Assert.True(next.MoveNext());
        Assert.Equal(10, next.Current.Length);
        Assert.False(next.MoveNext());
        Assert.True(next.Complete);
        Assert.Equal(1, next.Count);
        Assert.Equal(4u, next.NextIndex);
    }

    [Fact]
    public void Fragments_walk_in_foreach_and_a_MoveNext_loop_reports_the_end_of_the_packet()
    {
        using var handle = OpenNull();
        var tx = handle.TxRing;
        Assert.True(tx.TryInject(Pattern(5000)));

        var buffers = new List<uint>();
        var lengths = new List<int>();
        var fragments = tx.Fragments(0);
        foreach (var fragment in fragments)
        {
            buffers.Add(fragment.BufIdx);
            lengths.Add(fragment.Length);
        }

        Assert.Equal([tx[0].BufIdx, tx[1].BufIdx, tx[2].BufIdx], buffers);
        Assert.Equal([2048, 2048, 904], lengths);

        // foreach walks a copy; a MoveNext loop on the variable leaves the end of the packet readable.
        while (fragments.MoveNext())
        {
        }

        Assert.True(fragments.Complete);
        Assert.Equal(3, fragments.Count);
        Assert.Equal(3u, fragments.NextIndex);
    }

    [Fact]
    public void CopyPacket_gathers_the_fragments_back()
    {
        using var handle = OpenNull();
        var tx = handle.TxRing;
        var first = Pattern(5000);
        var second = Pattern(77, seed: 9);
        Assert.True(tx.TryInject(first));
        Assert.True(tx.TryInject(second));
        var destination = new byte[6000];

        Assert.Equal(5000, tx.CopyPacket(0, destination, out var next, out var fragments));
        Assert.Equal(3u, next);
        Assert.Equal(3, fragments);
        Assert.Equal(first, destination.AsSpan(0, 5000));

        Assert.Equal(77, tx.CopyPacket(next, destination, out next, out fragments));
        Assert.Equal(4u, next);
        Assert.Equal(1, fragments);
        Assert.Equal(second, destination.AsSpan(0, 77));
    }

    [Fact]
    public void CopyPacket_into_too_small_a_destination_is_minus_1()
    {
        using var handle = OpenNull();
        var tx = handle.TxRing;
        Assert.True(tx.TryInject(Pattern(5000)));

        Assert.Equal(-1, tx.CopyPacket(0, new byte[4999], out var next, out var fragments));

        Assert.Equal(3u, next);
        Assert.Equal(3, fragments);
        Assert.Equal(5000, tx.CopyPacket(0, new byte[5000], out _, out _));
    }

    [Fact]
    public void Incomplete_chain_running_into_Tail_is_not_a_packet()
    {
        using var handle = OpenNull();
        var tx = handle.TxRing;
        // Slots 5 and 6 carry MoreFrag; slot 7 is the tail.
        tx[5] = tx[5] with { Len = 100, Flags = SlotFlags.MoreFrag };
        tx[6] = tx[6] with { Len = 200, Flags = SlotFlags.MoreFrag };

        Assert.Equal(-1, tx.CopyPacket(5, new byte[4096], out var next, out var fragments));
        Assert.Equal(7u, next);
        Assert.Equal(2, fragments);

        var walk = tx.Fragments(5);
        var bytes = 0;
        while (walk.MoveNext())
        {
            bytes += walk.Current.Length;
        }

        Assert.Equal(300, bytes);
        Assert.False(walk.Complete);
        Assert.Equal(2, walk.Count);
        Assert.Equal(7u, walk.NextIndex);

        // Starting at the tail there is nothing at all.
        Assert.Equal(-1, tx.CopyPacket(7, new byte[10], out next, out fragments));
        Assert.Equal(7u, next);
        Assert.Equal(0, fragments);
    }
}
