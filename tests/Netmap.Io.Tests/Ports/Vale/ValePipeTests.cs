using Netmap.Io.Ports;
using Netmap.Io.Rings;

namespace Netmap.Io.Tests.Ports.Vale;

/// <summary>Pipes whose parent is a VALE port (<c>valeB:P{N</c>) live in that port's region (netmap-notes §5).</summary>
public sealed class ValePipeTests : NetmapTestBase
{
    private static void Fails(NetmapError code, Action action) => Assert.Equal(code, Assert.Throws<NetmapException>(action).Code);

    private static byte[] Broadcast(int length, int seed)
    {
        var frame = PacketFill.Pattern(length, seed);
        frame.AsSpan(0, 6).Fill(0xff);
        return frame;
    }

    [Fact]
    public void Pipes_of_a_vale_port_share_its_region_and_swap_buffers_with_it()
    {
        using var p = Domain.Open("vale0:p");
        using var other = Domain.Open("vale0:other");
        using var master = Domain.Open("vale0:p{1");
        using var slave = Domain.Open("vale0:p}1");
        Assert.Equal(p.MemId, master.MemId);
        Assert.Equal(p.MemId, slave.MemId);
        Assert.NotEqual(NetmapDomain.DefaultMemId, p.MemId);
        Assert.Same(p.Arena, master.Arena);
        Assert.Equal(1024u, master.TxRing.NumSlots); // 0 slots asked: the parent's count

        // A frame comes out of the pipe and goes into the switch through p without a copy: the pipe's buffer
        // is swapped into p's TX slot (BufChanged), and p's old buffer goes back to the pipe.
        var frame = Broadcast(200, 3);
        PacketFill.Send(slave.TxRing, frame);
        slave.TxSync();
        master.RxSync();
        var rx = master.RxRing;
        var tx = p.TxRing;
        var fromPipe = rx[rx.Head].BufIdx;
        var fromPort = tx[tx.Head].BufIdx;
        (rx[rx.Head].BufIdx, tx[tx.Head].BufIdx) = (fromPort, fromPipe);
        rx[rx.Head].Flags |= SlotFlags.BufChanged;
        tx[tx.Head].Len = rx[rx.Head].Len;
        tx[tx.Head].Flags = SlotFlags.BufChanged;
        tx.Head = tx.Cur = tx.Next(tx.Head);
        rx.Head = rx.Cur = rx.Next(rx.Head);
        master.RxSync();
        p.TxSync();

        other.RxSync();
        Assert.Equal(frame, PacketFill.Receive(other.RxRing));
        other.RxSync();
        Assert.Equal(fromPipe, p.TxRing[0].BufIdx); // now p's buffer
        Assert.Equal(fromPort, slave.TxRing[0].BufIdx); // and p's old one went back to the sender
    }

    [Fact]
    public void Opening_a_pipe_creates_its_vale_parent_which_lives_while_pipes_or_handles_use_it()
    {
        var master = Domain.Open("vale0:q{1");
        var sw = Assert.Single(Domain.ListVale());
        Assert.Equal("vale0:q", Assert.Single(sw.Ports).Name); // created, attached, bound by nobody
        using (var e = Domain.Open("vale0:e"))
        {
            PacketFill.Send(e.TxRing, Broadcast(60, 1));
            e.TxSync();
        }

        Assert.Equal(1, Assert.Single(Assert.Single(Domain.ListVale()).Ports).Drops.RingNotBound);

        var q = Domain.Open("vale0:q");
        Assert.Equal(q.MemId, master.MemId); // the same port
        q.Dispose();
        Assert.NotNull(Domain.FindVale("vale0")); // the pipe keeps it
        var slave = Domain.Open("vale0:q}1");
        Assert.Equal(master.MemId, slave.MemId);
        master.Dispose();
        slave.Dispose();
        Assert.Empty(Domain.ListVale()); // the last pipe took it along

        // The other order: the port first, the pipe outlives its handle.
        q = Domain.Open("vale0:q");
        var memId = q.MemId;
        master = Domain.Open("vale0:q{2");
        q.Dispose();
        Assert.Single(Domain.ListVale());
        using (var again = Domain.Open("vale0:q"))
        {
            Assert.Equal(memId, again.MemId);
        }

        master.Dispose();
        Assert.Empty(Domain.ListVale());
    }

    [Fact]
    public void Pipes_take_the_vale_parents_slot_counts_and_fail_ENOMEM_when_its_region_is_full()
    {
        using var p = Domain.Open("vale0:p", new RegisterOptions { TxSlots = 64, RxSlots = 32 });
        using (var m = Domain.Open("vale0:p{1"))
        {
            Assert.Equal(64u, m.TxRing.NumSlots);
            Assert.Equal(32u, m.RxRing.NumSlots);
        }

        var ex = Assert.Throws<NetmapException>(() => Domain.Open("vale0:p{2", new RegisterOptions { TxSlots = 1024 }));
        Assert.Equal(NetmapError.ENOMEM, ex.Code);
        Assert.Contains("vale0:p", ex.Message, StringComparison.Ordinal);
        Assert.Contains("@conf:slots", ex.Message, StringComparison.Ordinal);

        // A failed first pipe takes the VALE port it created along.
        Fails(NetmapError.ENOMEM, () => Domain.Open("vale0:r{1", new RegisterOptions { TxSlots = 4096, RxSlots = 4096 }));
        Assert.Null(Domain.FindVale("vale0")!.Ports.FirstOrDefault(x => x.Name == "vale0:r"));
    }

    [Fact]
    public void A_pipe_of_a_default_vale_port_takes_58_extra_buffers_from_its_region()
    {
        // netmap ctrl-api-test legacy_regif_extra_bufs_pipe_vale: 58 extra buffers on a pipe of a VALE port.
        using var master = Domain.Open("vale0:x{1", new RegisterOptions { ExtraBuffers = 58 });
        Assert.Equal(58, master.ExtraBuffersGranted);
        var port = Domain.FindVale("vale0")!.Ports[0];
        Assert.Same(port.Arena, master.Arena);
        var count = 0;
        for (var i = master.ExtraBuffersHead; i != 0; i = BitConverter.ToUInt32(master.Arena.GetBuffer(i)))
        {
            Assert.True(port.Arena.IsValidIndex(i));
            count++;
        }

        Assert.Equal(58, count);
    }

    [Fact]
    public void A_persistent_port_lends_its_region_to_its_pipes_and_cannot_be_destroyed_under_them()
    {
        var v0 = Domain.CreatePersistentPort("v0", txSlots: 128, rxSlots: 128);
        using (var m = Domain.Open("netmap:v0{1"))
        using (var s = Domain.Open("netmap:v0}1"))
        {
            Assert.Equal(v0.MemId, m.MemId);
            Fails(NetmapError.EBUSY, () => Domain.DestroyPersistentPort("v0"));
            var frame = PacketFill.Pattern(64, 1);
            var index = m.TxRing[0].BufIdx;
            PacketFill.Send(m.TxRing, frame);
            m.TxSync();
            s.RxSync();
            Assert.Equal(index, s.RxRing[0].BufIdx);
            Assert.Equal(frame, PacketFill.Receive(s.RxRing));
            s.RxSync();
        }

        Domain.DestroyPersistentPort("v0");
        Assert.True(v0.IsDestroyed);
    }

    [Fact]
    public void A_zero_copy_monitor_of_a_vale_pipe_outliving_pipe_and_port_gives_every_buffer_back()
    {
        var p = Domain.Open("vale0:p");
        var master = Domain.Open("vale0:p{1");
        var slave = Domain.Open("vale0:p}1");
        using var monitor = Domain.Open("vale0:p{1/z", new RegisterOptions { RxSlots = 64 });
        Assert.Equal(p.MemId, monitor.MemId);
        PacketFill.Send(slave.TxRing, PacketFill.Pattern(80, 1));
        slave.TxSync();
        master.RxSync();
        master.RxRing.Head = master.RxRing.Cur = master.RxRing.Tail;
        master.RxSync();
        monitor.RxSync();
        Assert.Equal(1u, monitor.RxRing.Space);
        var region = p.Arena;
        master.Dispose();
        slave.Dispose();
        p.Dispose();
        Assert.Empty(Domain.ListVale());
        Assert.Equal(64, region.InUse); // the monitor still holds its ring's worth, in the port's region
        Assert.Equal(NetmapError.EIO, Assert.Throws<NetmapException>(() => monitor.RxSync()).Code);
    }
}
