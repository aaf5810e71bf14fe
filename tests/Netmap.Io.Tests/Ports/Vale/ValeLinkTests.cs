using Netmap.Io.Memory;
using Netmap.Io.Ports;
using Netmap.Io.Ports.Vale;
using Netmap.Io.Rings;
using static Netmap.Io.Tests.Ports.Vale.ValeFrames;

namespace Netmap.Io.Tests.Ports.Vale;

/// <summary>
/// A persistent port attached to a second switch (netmap's bwrap, netmap-notes §7.2): it links the two
/// switches, so frames cross from a port of one to a port of the other through it.
/// </summary>
public sealed class ValeLinkTests : NetmapTestBase
{
    private static readonly byte[] MacA = [0x02, 0, 0, 0, 0, 0x0a];
    private static readonly byte[] MacB = [0x02, 0, 0, 0, 0, 0x0b];

    private static void Fails(NetmapError code, Action action) => Assert.Equal(code, Assert.Throws<NetmapException>(action).Code);

    private static void SendSync(PortHandle h, byte[] frame)
    {
        PacketFill.Send(h.TxRing, frame);
        Assert.Equal(SyncStatus.Ok, h.TxSync());
    }

    /// <summary>v0 on vale0A, wrapped onto vale0B.</summary>
    private void Link()
    {
        Domain.CreatePersistentPort("v0");
        Domain.ValeAttach("vale0A:v0");
        Domain.ValeAttach("vale0B:v0");
    }

    private void Unlink()
    {
        Domain.ValeDetach("vale0B:v0");
        Domain.ValeDetach("vale0A:v0");
        Domain.DestroyPersistentPort("v0");
        Assert.Empty(Domain.ListVale());
    }

    [Fact]
    public void Frames_cross_from_one_switch_to_the_other_through_the_wrapped_port_and_back()
    {
        Link();
        using (var a = Domain.Open("vale0A:a"))
        using (var b = Domain.Open("vale0B:b"))
        using (var b2 = Domain.Open("vale0B:b2"))
        {
            // A broadcast from vale0A reaches every port of vale0B, byte for byte; it teaches vale0B that MacA
            // is behind the link.
            var fromA = Frame(BroadcastMac, MacA, 150, 1);
            SendSync(a, fromA);
            Assert.Equal([fromA], Drain(b));
            Assert.Equal([fromA], Drain(b2));
            Assert.Empty(Drain(a));

            // And back: a broadcast from vale0B reaches vale0A through the link.
            var fromB = Frame(BroadcastMac, MacB, 274, 2);
            SendSync(b, fromB);
            Assert.Equal([fromB], Drain(a));
            Assert.Equal([fromB], Drain(b2));

            // Both switches learned: unicast crosses to exactly the learned port, in both directions.
            var toB = Frame(MacB, MacA, 90, 3);
            SendSync(a, toB);
            Assert.Equal([toB], Drain(b));
            Assert.Empty(Drain(b2));
            var toA = Frame(MacA, MacB, 1514, 4);
            SendSync(b, toA);
            Assert.Equal([toA], Drain(a));
            Assert.Empty(Drain(b2));

            var sw = Domain.ListVale();
            var onA = Assert.Single(sw, s => s.Name == "vale0A").Ports;
            var onB = Assert.Single(sw, s => s.Name == "vale0B").Ports;
            var v0 = Assert.Single(onA, p => p.Name == "v0");
            var wrapper = Assert.Single(onB, p => p.Name == "vale0B:v0");
            Assert.Equal("vale0B", v0.LinkedSwitch);
            Assert.Equal("vale0A", wrapper.LinkedSwitch);
            Assert.Null(Assert.Single(onA, p => p.Name == "vale0A:a").LinkedSwitch);
            Assert.Equal(2, v0.DeliveredPackets);     // fromA, toB: from vale0A into the link
            Assert.Equal(2, wrapper.ForwardedPackets); // ... and out of it into vale0B
            Assert.Equal(2, wrapper.DeliveredPackets); // fromB, toA: from vale0B into the link
            Assert.Equal(2, v0.ForwardedPackets);      // ... and out of it into vale0A
            Assert.Equal(150 + 90, wrapper.ForwardedBytes);
            Assert.Equal(274 + 1514, v0.ForwardedBytes);
            Assert.Equal(0, v0.Drops.Total + wrapper.Drops.Total);
        }

        Unlink();
    }

    [Fact]
    public void A_multi_slot_frame_crosses_the_link_whole()
    {
        Link();
        using (var a = Domain.Open("vale0A:a"))
        using (var b = Domain.Open("vale0B:b"))
        {
            var tx = a.TxRing;
            int[] lens = [1000, 2048, 300];
            var all = new List<byte>();
            for (var i = 0; i < lens.Length; i++)
            {
                var bytes = i == 0 ? Frame(BroadcastMac, MacA, lens[i], 7) : PacketFill.Pattern(lens[i], i);
                var k = tx.Head;
                bytes.CopyTo(tx.Buffer(k));
                tx[k].Len = (ushort)lens[i];
                tx[k].Flags = i + 1 < lens.Length ? SlotFlags.MoreFrag : SlotFlags.None;
                all.AddRange(bytes);
                tx.Head = tx.Cur = tx.Next(k);
            }

            a.TxSync();
            b.RxSync();
            var rx = b.RxRing;
            Assert.Equal(3u, rx.Space);
            for (var i = 0; i < lens.Length; i++)
            {
                Assert.Equal(lens[i], rx[rx.Head + (uint)i].Len);
            }

            Assert.Equal(all.ToArray(), PacketFill.Receive(rx));
            b.RxSync();
        }

        Unlink();
    }

    [Fact]
    public void The_linked_ports_are_in_kernel_use()
    {
        Domain.CreatePersistentPort("v0");
        Domain.ValeAttach("vale0A:v0");
        using (Domain.Open("vale0A:v0"))
        {
            Fails(NetmapError.EBUSY, () => Domain.ValeAttach("vale0B:v0")); // open by a handle
        }

        Domain.ValeAttach("vale0B:v0");
        Fails(NetmapError.EBUSY, () => Domain.Open("vale0A:v0"));
        Fails(NetmapError.EBUSY, () => Domain.Open("vale0B:v0"));
        Fails(NetmapError.EBUSY, () => Domain.Open("netmap:v0"));
        Fails(NetmapError.EINVAL, () => Domain.Open("vale0B:v0/r")); // monitor the wrapped port, not its wrapper
        Fails(NetmapError.EBUSY, () => Domain.DestroyPersistentPort("v0"));
        var port = Domain.FindVale("vale0A")!.Ports[0];
        Assert.Same(port, Domain.FindVale("vale0B")!.Ports[0].Wrapped);
        Assert.Same(Domain.FindVale("vale0B"), port.LinkedSwitch);

        // Unwrapped, v0 is an ordinary attached port again: it opens, and its wrapper and vale0B are gone.
        Domain.ValeDetach("vale0B:v0");
        Assert.Null(Domain.FindVale("vale0B"));
        Assert.Null(port.LinkedSwitch);
        Assert.Equal(0, port.Bindings);
        using (var v0 = Domain.Open("vale0A:v0"))
        using (var a = Domain.Open("vale0A:a"))
        {
            var frame = Frame(BroadcastMac, MacA, 60, 9);
            SendSync(a, frame);
            Assert.Equal([frame], Drain(v0));
        }

        Domain.ValeDetach("vale0A:v0");
        Domain.DestroyPersistentPort("v0");
    }

    [Fact]
    public void A_monitor_of_the_wrapped_port_sees_what_crosses_the_link()
    {
        Link();
        using (var a = Domain.Open("vale0A:a"))
        using (var b = Domain.Open("vale0B:b"))
        using (var monitor = Domain.Open("vale0A:v0/rt"))
        {
            var fromA = Frame(BroadcastMac, MacA, 100, 1);
            var fromB = Frame(BroadcastMac, MacB, 110, 2);
            SendSync(a, fromA);
            SendSync(b, fromB);
            Assert.Equal([fromA], Drain(b));
            Assert.Equal([fromB], Drain(a));

            monitor.RxSync();
            var mon = monitor.RxRing;
            Assert.Equal(2u, mon.Space);
            Assert.Equal(SlotFlags.None, mon[mon.Head].Flags & SlotFlags.TxMon); // v0 received it from vale0A
            Assert.Equal(fromA, PacketFill.Receive(mon));
            Assert.Equal(SlotFlags.TxMon, mon[mon.Head].Flags & SlotFlags.TxMon); // v0 sent it into vale0A
            Assert.Equal(fromB, PacketFill.Receive(mon));
            monitor.RxSync();
        }

        Unlink();
    }

    [Fact]
    public void Unwrapping_ends_the_link_and_leaves_no_buffer_out()
    {
        Link();
        using (var a = Domain.Open("vale0A:a"))
        using (var b = Domain.Open("vale0B:b"))
        {
            SendSync(a, Frame(BroadcastMac, MacA, 60, 1));
            SendSync(b, Frame(BroadcastMac, MacB, 60, 2));
            Assert.Single(Drain(a));
            Assert.Single(Drain(b));
            Domain.ValeDetach("vale0B:v0");

            // vale0A's frames now stop at v0 (bound by nobody: dropped there, counted); b sees nothing.
            SendSync(a, Frame(BroadcastMac, MacA, 60, 3));
            Assert.Empty(Drain(b));
            var v0 = Assert.Single(Assert.Single(Domain.ListVale(), s => s.Name == "vale0A").Ports, p => p.Name == "v0");
            Assert.Equal(1, v0.Drops.RingNotBound);
            Assert.Null(v0.LinkedSwitch);
        }

        Domain.ValeDetach("vale0A:v0");
        Domain.DestroyPersistentPort("v0");
    }

    [Fact]
    public void A_loop_of_two_links_neither_spins_nor_overflows_the_stack()
    {
        // v0 links vale0A to vale0B and v1 links vale0B back to vale0A: a broadcast storm, as on a real L2 loop.
        // A frame that comes back to a link whose pump is running waits in the ring for the next pump.
        Domain.CreatePersistentPort("v0");
        Domain.CreatePersistentPort("v1");
        Domain.ValeAttach("vale0A:v0");
        Domain.ValeAttach("vale0B:v1");
        Domain.ValeAttach("vale0B:v0");
        Domain.ValeAttach("vale0A:v1");
        using (var a = Domain.Open("vale0A:a"))
        using (var b = Domain.Open("vale0B:b"))
        {
            var frame = Frame(BroadcastMac, MacA, 64, 5);
            var copies = 0;
            for (var i = 0; i < 50; i++)
            {
                SendSync(a, frame); // returns: the storm moves on by a few hops per send
                foreach (var got in Drain(a).Concat(Drain(b)))
                {
                    Assert.Equal(frame, got); // every copy intact
                    copies++;
                }
            }

            Assert.True(copies > 50, $"{copies} copies reached the end ports");
        }

        Domain.ValeDetach("vale0A:v1");
        Domain.ValeDetach("vale0B:v0");
        Domain.ValeDetach("vale0A:v0");
        Domain.ValeDetach("vale0B:v1");
        Domain.DestroyPersistentPort("v0");
        Domain.DestroyPersistentPort("v1");
    }

    [Fact]
    public async Task Senders_on_both_switches_cross_the_link_concurrently_and_every_frame_is_accounted_for()
    {
        Link();
        const int PerSender = 20_000;
        using (var a = Domain.Open("vale0A:a", new RegisterOptions { RxSlots = 256 }))
        using (var b = Domain.Open("vale0B:b", new RegisterOptions { RxSlots = 256 }))
        {
            // Teach both switches where MacA and MacB are.
            SendSync(a, Frame(BroadcastMac, MacA, 60, 0));
            SendSync(b, Frame(BroadcastMac, MacB, 60, 0));
            Drain(a);
            Drain(b);
            var before = Snapshot();

            var sendersDone = 0;
            void Send(PortHandle h, byte[] dmac, byte[] smac)
            {
                var frame = Frame(dmac, smac, 64, 0);
                for (var i = 0; i < PerSender; i++)
                {
                    BitConverter.TryWriteBytes(frame.AsSpan(14), i);
                    PacketFill.Send(h.TxRing, frame);
                    h.TxSync();
                }

                Interlocked.Increment(ref sendersDone);
            }

            long Receive(PortHandle h, byte[] smac)
            {
                long received = 0;
                var last = -1;
                var rx = h.RxRing;
                while (true)
                {
                    var finished = Volatile.Read(ref sendersDone) == 2;
                    h.RxSync();
                    for (var k = rx.Head; k != rx.Tail; k = rx.Next(k))
                    {
                        var data = rx.Packet(k).Data;
                        Assert.Equal(64, data.Length);
                        Assert.True(data.Slice(6, 6).SequenceEqual(smac));
                        var seq = BitConverter.ToInt32(data[14..]);
                        Assert.True(seq > last, $"frame {seq} after {last}: order kept across the link");
                        last = seq;
                        received++;
                    }

                    rx.Head = rx.Cur = rx.Tail;
                    if (finished)
                    {
                        h.RxSync();
                        return received;
                    }
                }
            }

            var readA = Task.Run(() => Receive(a, MacB));
            var readB = Task.Run(() => Receive(b, MacA));
            var sendA = Task.Run(() => Send(a, MacB, MacA));
            var sendB = Task.Run(() => Send(b, MacA, MacB));
            await Task.WhenAll(sendA, sendB, readA, readB).WaitAsync(TimeSpan.FromMinutes(2)); // an upper bound, not a measure
            var after = Snapshot();

            // a → vale0A → v0 → link → vale0B → b: each frame reaches b or is counted dropped on the way.
            var aSent = after.A.ForwardedPackets - before.A.ForwardedPackets;
            Assert.Equal(PerSender, aSent);
            var v0In = after.V0.DeliveredPackets - before.V0.DeliveredPackets;
            Assert.Equal(aSent, v0In + (after.V0.DroppedPackets - before.V0.DroppedPackets));
            Assert.Equal(v0In, after.Wrapper.ForwardedPackets - before.Wrapper.ForwardedPackets);
            var bIn = after.B.DeliveredPackets - before.B.DeliveredPackets;
            Assert.Equal(v0In, bIn + (after.B.DroppedPackets - before.B.DroppedPackets));
            Assert.Equal(bIn, await readB);

            // b → vale0B → wrapper → link → v0 → vale0A → a.
            var wrapperIn = after.Wrapper.DeliveredPackets - before.Wrapper.DeliveredPackets;
            Assert.Equal(PerSender, wrapperIn + (after.Wrapper.DroppedPackets - before.Wrapper.DroppedPackets));
            Assert.Equal(wrapperIn, after.V0.ForwardedPackets - before.V0.ForwardedPackets);
            var aIn = after.A.DeliveredPackets - before.A.DeliveredPackets;
            Assert.Equal(wrapperIn, aIn + (after.A.DroppedPackets - before.A.DroppedPackets));
            Assert.Equal(aIn, await readA);
            Assert.True(aIn > 0 && bIn > 0);

            // Unicast to learned ports: the lookup never dropped anything on the way.
            foreach (var p in new[] { after.A, after.V0, after.Wrapper, after.B })
            {
                Assert.Equal(0, p.Drops.Lookup + p.Drops.Runt + p.Drops.ToSelf + p.Drops.NoSuchPort);
            }
        }

        Unlink();

        (ValePortInfo A, ValePortInfo V0, ValePortInfo Wrapper, ValePortInfo B) Snapshot()
        {
            var all = Domain.ListVale();
            var onA = Assert.Single(all, s => s.Name == "vale0A").Ports;
            var onB = Assert.Single(all, s => s.Name == "vale0B").Ports;
            return (Assert.Single(onA, p => p.Name == "vale0A:a"), Assert.Single(onA, p => p.Name == "v0"),
                Assert.Single(onB, p => p.Name == "vale0B:v0"), Assert.Single(onB, p => p.Name == "vale0B:b"));
        }
    }

    [Fact]
    public void Disposing_the_domain_with_a_link_up_unmaps_everything()
    {
        var domain = new NetmapDomain(new ArenaOptions { BufferCount = 1024, Checked = true });
        domain.CreatePersistentPort("v0");
        domain.ValeAttach("vale0A:v0");
        domain.ValeAttach("vale0B:v0");
        var a = domain.Open("vale0A:a");
        var b = domain.Open("vale0B:b");
        SendSync(a, Frame(BroadcastMac, MacA, 60, 1));
        Assert.Single(Drain(b));
        domain.Dispose(); // closes the handles, stops the link, destroys v0: no throw
        Assert.True(a.IsClosed && b.IsClosed);
        Assert.Null(domain.FindVale("vale0A"));
        Assert.Null(domain.FindVale("vale0B"));
    }
}
