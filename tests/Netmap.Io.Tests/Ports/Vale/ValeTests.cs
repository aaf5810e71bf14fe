using Netmap.Io.Ports;
using Netmap.Io.Ports.Vale;
using Netmap.Io.Rings;
using static Netmap.Io.Tests.Ports.Vale.ValeFrames;

namespace Netmap.Io.Tests.Ports.Vale;

public sealed class ValeTests : NetmapTestBase
{
    private static byte[] Frame(ReadOnlySpan<byte> dmac, ReadOnlySpan<byte> smac, int length, byte fill)
    {
        var frame = new byte[length];
        Array.Fill(frame, fill);
        dmac.CopyTo(frame);
        smac.CopyTo(frame.AsSpan(6));
        return frame;
    }

    private static void AssertReceived(PortHandle h, params byte[][] frames) => Assert.Equal(frames, Drain(h));

    private static void SendSync(PortHandle h, byte[] frame, SlotFlags flags = SlotFlags.None)
    {
        var ring = h.TxRing;
        var k = ring.Head;
        PacketFill.Send(ring, frame);
        ring[k].Flags = flags;
        Assert.Equal(SyncStatus.Ok, h.TxSync());
    }

    [Fact]
    public void Learned_unicast_reaches_only_its_port()
    {
        // netmap utils/tests/007_vale_learning_test — objective: a broadcast floods and teaches the source
        // MAC; a later unicast to it reaches only the learned port. (The upstream script checks stale
        // variables in its second phase; here both phases are asserted strictly.)
        using var v0 = Domain.Open("vale0:v0");
        using var v1 = Domain.Open("vale0:v1");
        using var v2 = Domain.Open("vale0:v2");
        var s = new byte[] { 0x02, 0x5a, 0x13, 0x77, 0x21, 0x9c };
        var bcast = Frame(BroadcastMac, s, 150, (byte)'d');
        SendSync(v2, bcast);
        AssertReceived(v0, bcast);
        AssertReceived(v1, bcast);
        Assert.Empty(Drain(v2));

        var uni = Frame(s, Mac(1), 150, (byte)'d');
        SendSync(v0, uni);
        AssertReceived(v2, uni);
        Assert.Empty(Drain(v1));
        Assert.Empty(Drain(v0));
    }

    [Fact]
    public void Broadcast_reaches_both_other_ports_in_both_directions()
    {
        // netmap utils/tests/021_vale_broadcast_test — objective: one 274 B broadcast (src 00:..:00) from one
        // port reaches both others, in both directions.
        using var v0 = Domain.Open("vale0:v0");
        using var v1 = Domain.Open("vale0:v1");
        using var v2 = Domain.Open("vale0:v2");
        var frame = Frame(BroadcastMac, new byte[6], 274, (byte)'c');
        SendSync(v0, frame);
        AssertReceived(v1, frame);
        AssertReceived(v2, frame);
        Assert.Empty(Drain(v0));
        SendSync(v1, frame);
        AssertReceived(v0, frame);
        AssertReceived(v2, frame);
        Assert.Empty(Drain(v1));
    }

    [Fact]
    public void No_learn_slots_do_not_teach_the_table()
    {
        // Our decision (netmap ignores NS_NO_LEARN): a flagged slot does not teach its source MAC.
        using var v0 = Domain.Open("vale0:v0");
        using var v1 = Domain.Open("vale0:v1");
        using var v2 = Domain.Open("vale0:v2");
        var s = Mac(7);
        SendSync(v2, Frame(BroadcastMac, s, 60, 1), SlotFlags.NoLearn);
        Drain(v0);
        Drain(v1);
        Assert.Equal(-1, Domain.FindVale("vale0")!.Learning.Find(s));

        var uni = Frame(s, Mac(1), 60, 2);
        SendSync(v0, uni);
        AssertReceived(v1, uni); // flooded: unknown
        AssertReceived(v2, uni);
    }

    private sealed class FixedLookup(byte result) : IValeLookup
    {
        public int Calls { get; private set; }

        public byte Lookup(ReadOnlySpan<byte> frame, SlotFlags flags, ref int ring, int sourcePort)
        {
            Calls++;
            return result;
        }
    }

    [Fact]
    public void A_registered_lookup_replaces_the_learning_bridge_until_reset()
    {
        using var v0 = Domain.Open("vale0:v0");
        using var v1 = Domain.Open("vale0:v1");
        using var v2 = Domain.Open("vale0:v2");
        var sw = Domain.FindVale("vale0")!;
        var s = Mac(9);
        SendSync(v2, Frame(BroadcastMac, s, 60, 1)); // learns s -> 2
        Drain(v0);
        Drain(v1);
        Assert.Equal(2, sw.Learning.Find(s));

        var drop = new FixedLookup(ValeSwitch.Drop);
        sw.Register(drop);
        SendSync(v1, Frame(BroadcastMac, Mac(1), 60, 3));
        Assert.Equal(1, drop.Calls);
        Assert.Empty(Drain(v0));
        Assert.Empty(Drain(v2));

        sw.Register(new FixedLookup(0));
        var f1 = Frame(s, Mac(1), 60, 4);
        var f2 = Frame(s, Mac(2), 60, 5);
        SendSync(v1, f1);
        SendSync(v2, f2);
        SendSync(v0, Frame(s, Mac(3), 60, 6)); // to itself: dropped
        AssertReceived(v0, f1, f2);
        Assert.Empty(Drain(v1));
        Assert.Empty(Drain(v2));

        sw.Reset();
        Assert.Same(sw.Learning, sw.CurrentLookup);
        Assert.Equal(-1, sw.Learning.Find(s)); // table cleared
        var f3 = Frame(s, Mac(4), 60, 7);
        SendSync(v0, f3);
        AssertReceived(v1, f3); // flooded again
        AssertReceived(v2, f3);
    }

    [Fact]
    public void Unicast_to_the_source_port_is_dropped()
    {
        using var v0 = Domain.Open("vale0:v0");
        using var v1 = Domain.Open("vale0:v1");
        var s = Mac(5);
        SendSync(v0, Frame(BroadcastMac, s, 60, 1)); // s -> port 0
        Drain(v1);
        SendSync(v0, Frame(s, Mac(6), 60, 2));
        Assert.Empty(Drain(v0));
        Assert.Empty(Drain(v1));
    }

    [Fact]
    public void Morefrag_chains_are_copied_with_their_fragment_lengths()
    {
        using var v0 = Domain.Open("vale0:v0");
        using var v1 = Domain.Open("vale0:v1");
        var tx = v0.TxRing;
        int[] lens = [100, 200, 50];
        var all = new List<byte>();
        for (var i = 0; i < lens.Length; i++)
        {
            var k = tx.Head;
            var bytes = i == 0 ? Frame(BroadcastMac, Mac(1), lens[i], 9) : PacketFill.Pattern(lens[i], i);
            bytes.CopyTo(tx.Buffer(k));
            tx[k].Len = (ushort)lens[i];
            tx[k].Flags = i + 1 < lens.Length ? SlotFlags.MoreFrag : SlotFlags.None;
            all.AddRange(bytes);
            tx.Head = tx.Cur = tx.Next(k);
        }

        v0.TxSync();
        v1.RxSync();
        var rx = v1.RxRing;
        Assert.Equal(3u, rx.Space);
        for (var i = 0; i < lens.Length; i++)
        {
            var slot = rx[(uint)i];
            Assert.Equal(lens[i], slot.Len);
            Assert.Equal(3, (ushort)slot.Flags >> 8);
            Assert.Equal(i + 1 < lens.Length, (slot.Flags & SlotFlags.MoreFrag) != 0);
        }

        Assert.Equal(all.ToArray(), PacketFill.Receive(rx));
        v1.RxSync();
    }

    [Fact]
    public void An_incomplete_trailing_chain_is_truncated_into_a_complete_packet()
    {
        using var v0 = Domain.Open("vale0:v0");
        using var v1 = Domain.Open("vale0:v1");
        var tx = v0.TxRing;
        for (var i = 0; i < 2; i++)
        {
            var k = tx.Head;
            Frame(BroadcastMac, Mac(1), 80, (byte)i).CopyTo(tx.Buffer(k));
            tx[k].Len = 80;
            tx[k].Flags = SlotFlags.MoreFrag;
            tx.Head = tx.Cur = tx.Next(k);
        }

        v0.TxSync();
        Assert.Equal(tx.Prev(tx.Head), tx.Tail); // a VALE sender never blocks
        v1.RxSync();
        var rx = v1.RxRing;
        Assert.Equal(2u, rx.Space);
        Assert.Equal(SlotFlags.MoreFrag | (SlotFlags)0x200, rx[0].Flags);
        Assert.Equal((SlotFlags)0x200, rx[1].Flags);
        Assert.Equal(160, PacketFill.Receive(rx).Length);
        v1.RxSync();
    }

    [Fact]
    public void Offsets_are_honoured_on_both_sides()
    {
        var offsets = new OffsetOptions { InitialOffset = 64, MaxOffset = 64 };
        using var v0 = Domain.Open("vale0:v0", new RegisterOptions { Offsets = new OffsetOptions { InitialOffset = 32, MaxOffset = 32 } });
        using var v1 = Domain.Open("vale0:v1", new RegisterOptions { Offsets = offsets });
        var frame = Frame(BroadcastMac, Mac(1), 120, 0x42);
        SendSync(v0, frame);
        v1.RxSync();
        var rx = v1.RxRing;
        Assert.Equal(64, rx.ReadOffset(in rx[rx.Head]));
        Assert.Equal(frame, rx.Buffer(rx.Head).Slice(64, 120).ToArray());
        Assert.Equal(frame, PacketFill.Receive(rx));
        v1.RxSync();
    }

    [Fact]
    public void A_full_destination_drops_the_rest_and_counts_it()
    {
        using var v0 = Domain.Open("vale0:v0");
        using var v1 = Domain.Open("vale0:v1", new RegisterOptions { RxSlots = 4 });
        var frames = new List<byte[]>();
        for (var i = 0; i < 5; i++)
        {
            var f = Frame(BroadcastMac, Mac(1), 60 + i, (byte)i);
            frames.Add(f);
            PacketFill.Send(v0.TxRing, f);
        }

        v0.TxSync();
        AssertReceived(v1, frames[0], frames[1], frames[2]);
        var info = Assert.Single(Domain.ListVale());
        Assert.Equal("vale0", info.Name);
        Assert.Equal(2, info.Ports.Count);
        Assert.Equal(5, info.Ports[0].ForwardedPackets);
        Assert.Equal(3, info.Ports[1].DeliveredPackets);
        Assert.Equal(2, info.Ports[1].DroppedPackets);
        Assert.Equal(60 + 61 + 62, info.Ports[1].DeliveredBytes);
    }

    [Fact]
    public void Each_port_has_its_own_region_and_the_switch_goes_with_its_last_port()
    {
        var v0 = Domain.Open("vale0:v0");
        var v1 = Domain.Open("vale0:v1", new RegisterOptions { TxRings = 40, RxSlots = 9000 });
        using var again = Domain.Open("vale0:v0");
        Assert.Same(v0.Port, again.Port);
        Assert.NotEqual(NetmapDomain.DefaultMemId, v0.MemId);
        Assert.NotEqual(v0.MemId, v1.MemId);
        Assert.Equal(16, v1.Port.TxRingCount);
        Assert.Equal(4096u, v1.Port.RxRings[0].NumSlots);
        Assert.Equal(1, v0.Port.TxRingCount);
        Assert.Equal(1024u, v0.Port.TxRings[0].NumSlots);
        Assert.Equal(0, ((ValePort)v0.Port).Index);
        Assert.Equal(1, ((ValePort)v1.Port).Index);
        v1.Dispose();
        v0.Dispose();
        Assert.Single(Domain.ListVale());
        again.Dispose();
        Assert.Empty(Domain.ListVale());
        Assert.Null(Domain.FindVale("vale0"));
        Domain.AssertNoLeaks();
    }

    [Fact]
    public void At_most_252_ports_per_switch_and_8_switches()
    {
        var options = new RegisterOptions { TxSlots = 2, RxSlots = 2 };
        var handles = new List<PortHandle>();
        try
        {
            for (var i = 0; i < 252; i++)
            {
                handles.Add(Domain.Open($"vale0:p{i}", options));
            }

            var ex = Assert.Throws<NetmapException>(() => Domain.Open("vale0:extra", options));
            Assert.Equal(NetmapError.ENOMEM, ex.Code);
            for (var i = 1; i < 8; i++)
            {
                handles.Add(Domain.Open($"vale{i}:x", options));
            }

            ex = Assert.Throws<NetmapException>(() => Domain.Open("vale8:x", options));
            Assert.Equal(NetmapError.ENOMEM, ex.Code);
        }
        finally
        {
            foreach (var h in handles)
            {
                h.Dispose();
            }
        }

        Assert.Empty(Domain.ListVale());
    }

    [Fact]
    public void Random_traffic_matches_a_reference_learning_bridge()
    {
        var rng = new Random(1234);
        const int ports = 5;
        var handles = new PortHandle[ports];
        for (var i = 0; i < ports; i++)
        {
            handles[i] = Domain.Open($"vale3:r{i}", new RegisterOptions { RxSlots = 4096, TxSlots = 64 });
        }

        try
        {
            // The reference: netmap's bucket table (one entry per bucket), flood on unknown or multicast.
            var table = new Dictionary<int, (long Mac, int Port)>();
            var expected = new List<byte[]>[ports];
            for (var i = 0; i < ports; i++)
            {
                expected[i] = [];
            }

            var macs = Enumerable.Range(0, 40).Select(i => Mac(1000 + i)).ToArray();
            for (var round = 0; round < 50; round++)
            {
                var src = rng.Next(ports);
                var count = rng.Next(1, 20);
                for (var j = 0; j < count; j++)
                {
                    var smac = rng.Next(10) == 0 ? [0x03, 1, 2, 3, 4, 5] : macs[rng.Next(macs.Length)];
                    var dmac = rng.Next(5) == 0 ? BroadcastMac : macs[rng.Next(macs.Length)];
                    var frame = Frame(dmac, smac, rng.Next(14, 300), (byte)rng.Next(256));
                    var noLearn = rng.Next(8) == 0;
                    if ((smac[0] & 1) == 0 && !noLearn)
                    {
                        table[LearningLookup.Hash(smac)] = (Key(smac), src);
                    }

                    int dst = -1;
                    if ((dmac[0] & 1) == 0 && table.TryGetValue(LearningLookup.Hash(dmac), out var e) && e.Mac == Key(dmac))
                    {
                        dst = e.Port;
                    }

                    for (var p = 0; p < ports; p++)
                    {
                        if (p != src && (dst < 0 || dst == p))
                        {
                            expected[p].Add(frame);
                        }
                    }

                    var tx = handles[src].TxRing;
                    var k = tx.Head;
                    PacketFill.Send(tx, frame);
                    tx[k].Flags = noLearn ? SlotFlags.NoLearn : SlotFlags.None;
                }

                handles[src].TxSync();
                if (rng.Next(4) == 0)
                {
                    var p = rng.Next(ports);
                    var got = Drain(handles[p]);
                    Assert.Equal(expected[p], got);
                    expected[p].Clear();
                }
            }

            for (var p = 0; p < ports; p++)
            {
                Assert.Equal(expected[p], Drain(handles[p]));
            }
        }
        finally
        {
            foreach (var h in handles)
            {
                h.Dispose();
            }
        }

        Domain.AssertNoLeaks();

        static long Key(byte[] mac) => mac.Aggregate(0L, (acc, b) => (acc << 8) | b);
    }

    [Fact]
    public void Bad_vale_names_are_refused()
    {
        var e = Assert.Throws<NetmapException>(() => Domain.Open("valeXXX:YYY-4"));
        Assert.Equal(NetmapError.EINVAL, e.Code); // '-' is not a port-name character
        e = Assert.Throws<NetmapException>(() => Domain.Open("vale0123456789abcdef:p"));
        Assert.Equal(NetmapError.ENOMEM, e.Code); // ':' beyond the first 16 characters
        e = Assert.Throws<NetmapException>(() => Domain.Open("vale0:p0123456789abcdef"));
        Assert.Equal(NetmapError.ENOMEM, e.Code); // port part longer than 15
        Assert.Empty(Domain.ListVale());
    }

    [Fact]
    public void The_lookup_ring_selects_the_destination_rx_ring_modulo_its_count()
    {
        using var v0 = Domain.Open("vale0:v0", new RegisterOptions { TxRings = 2, RxRings = 2 });
        using var v1 = Domain.Open("vale0:v1", new RegisterOptions { TxRings = 2, RxRings = 2 });
        using var v2 = Domain.Open("vale0:v2");
        var s = Mac(1);
        var learn = Frame(BroadcastMac, Mac(2), 60, 1); // from v1, ring 0: broadcasts go to ring 0
        SendSync(v1, learn);
        v0.RxSync();
        v2.RxSync();
        Assert.False(v0.RxRings[0].IsEmpty);
        Assert.True(v0.RxRings[1].IsEmpty);
        Drain(v2);
        v0.RxRings[0].Head = v0.RxRings[0].Cur = v0.RxRings[0].Tail;
        v0.RxSync();

        // v0 sends on TX ring 1 to v1 (learned): the default ring is the source ring index.
        var tx = v0.TxRings[1];
        var uni = Frame(Mac(2), s, 70, 2);
        PacketFill.Send(tx, uni);
        tx.TxSync();
        v1.RxSync();
        Assert.True(v1.RxRings[0].IsEmpty);
        Assert.Equal(uni, PacketFill.Receive(v1.RxRings[1]));
        v1.RxSync();
    }

    [Fact]
    public void A_chain_that_does_not_fit_is_dropped_with_every_later_packet()
    {
        using var v0 = Domain.Open("vale0:v0");
        using var v1 = Domain.Open("vale0:v1", new RegisterOptions { RxSlots = 4 }); // 3 free slots
        var tx = v0.TxRing;
        var first = Frame(BroadcastMac, Mac(1), 60, 1);
        PacketFill.Send(tx, first);
        for (var i = 0; i < 3; i++) // a 3-fragment packet: only 2 slots left
        {
            var k = tx.Head;
            Frame(BroadcastMac, Mac(1), 60, 2).CopyTo(tx.Buffer(k));
            tx[k].Len = 60;
            tx[k].Flags = i < 2 ? SlotFlags.MoreFrag : SlotFlags.None;
            tx.Head = tx.Cur = tx.Next(k);
        }

        PacketFill.Send(tx, Frame(BroadcastMac, Mac(1), 60, 3)); // would fit, but comes after the drop
        v0.TxSync();
        AssertReceived(v1, first);
        var port = Assert.Single(Domain.ListVale()).Ports[1];
        Assert.Equal(1, port.DeliveredPackets);
        Assert.Equal(2, port.DroppedPackets);
    }

    [Fact]
    public void Ports_bound_without_rx_rings_get_nothing()
    {
        using var v0 = Domain.Open("vale0:v0");
        using var v1 = Domain.Open("vale0:v1/T");
        using var v2 = Domain.Open("vale0:v2");
        var frame = Frame(BroadcastMac, Mac(1), 60, 1);
        SendSync(v0, frame);
        AssertReceived(v2, frame);
        var ports = Assert.Single(Domain.ListVale()).Ports;
        Assert.Equal(1, ports[1].DroppedPackets);
    }

    [Fact]
    public async Task Senders_and_receivers_on_different_threads_lose_nothing_they_have_room_for()
    {
        // Two senders broadcast on their own threads; the receiver drains on a third. Every packet either
        // arrives or is counted as dropped, and what arrives is intact.
        using var a = Domain.Open("vale5:a");
        using var b = Domain.Open("vale5:b");
        using var r = Domain.Open("vale5:r", new RegisterOptions { RxSlots = 256 });
        const int perSender = 20_000;
        var done = 0;
        void Send(PortHandle h, byte id)
        {
            var frame = Frame(BroadcastMac, Mac(id), 64, id);
            for (var i = 0; i < perSender; i++)
            {
                PacketFill.Send(h.TxRing, frame);
                h.TxSync();
            }

            Interlocked.Increment(ref done);
        }

        long received = 0;
        var reader = Task.Run(() =>
        {
            var rx = r.RxRing;
            while (true)
            {
                var finished = Volatile.Read(ref done) == 2;
                r.RxSync();
                for (var k = rx.Head; k != rx.Tail; k = rx.Next(k))
                {
                    var data = rx.Packet(k).Data;
                    Assert.Equal(64, data.Length);
                    Assert.Equal(data[11], data[63]);
                    received++;
                }

                rx.Head = rx.Cur = rx.Tail;
                if (finished)
                {
                    r.RxSync();
                    return;
                }
            }
        });
        var t1 = Task.Run(() => Send(a, 1));
        var t2 = Task.Run(() => Send(b, 2));
        await Task.WhenAll(t1, t2, reader);
        // a and b also receive each other's broadcasts; drain them so nothing is left unread.
        Drain(a);
        Drain(b);
        var info = Assert.Single(Domain.ListVale());
        Assert.Equal(2L * perSender, info.Ports[2].DeliveredPackets + info.Ports[2].DroppedPackets);
        Assert.Equal(info.Ports[2].DeliveredPackets, received);
    }

    [Fact]
    public void Extra_buffers_come_from_the_ports_region_and_go_back()
    {
        using var v0 = Domain.Open("vale0:v0", new RegisterOptions { ExtraBuffers = 12 });
        Assert.Equal(12, v0.ExtraBuffersGranted);
        Assert.True(v0.Arena.IsValidIndex(v0.ExtraBuffersHead));
        Assert.NotSame(Arena, v0.Arena);
    }
}
