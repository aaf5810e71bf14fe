using Netmap.Io.Memory;

namespace Netmap.Io.Tests.Ports;

/// <summary>
/// Closing what a user broke: a teardown that reports an error (one buffer put in two slots is freed twice) still
/// tears everything down, and a ring whose handle or domain is gone refuses access instead of touching freed memory.
/// </summary>
public sealed class TeardownAfterMisuseTests
{
    [Fact]
    public void A_pipe_whose_buffers_were_misused_reports_it_at_close_and_the_next_open_is_a_fresh_pipe()
    {
        using var domain = new NetmapDomain(new ArenaOptions { BufferCount = 8192, Checked = true });
        var master = domain.Open("netmap:pipe{1");
        var slave = domain.Open("netmap:pipe}1");
        master.TxRing[0].BufIdx = master.TxRing[1].BufIdx; // one buffer in two slots; slot 0's own is lost to the user
        slave.Dispose();

        Assert.Throws<ArenaException>(master.Dispose);

        using var again = domain.Open("netmap:pipe{1");
        using var peer = domain.Open("netmap:pipe}1");
        Assert.All(Enumerable.Range(0, (int)again.TxRing.NumSlots), k => Assert.True(domain.DefaultArena.IsValidIndex(again.TxRing[(uint)k].BufIdx)));
        Assert.Equal(0u, again.TxRing.Head);
        PacketFill.Send(again.TxRing, PacketFill.Pattern(60, 1));
        again.TxSync();
        peer.RxSync();
        Assert.Equal(60, peer.RxRing[peer.RxRing.Head].Len);
    }

    [Fact]
    public void A_domain_closes_every_handle_even_when_one_reports_an_error_and_then_refuses_opens()
    {
        var domain = new NetmapDomain(new ArenaOptions { BufferCount = 8192, Checked = true });
        var bad = domain.Open("netmap:pipe{1");
        var other = domain.Open("vale0:v0");
        bad.TxRing[0].BufIdx = bad.TxRing[1].BufIdx;

        Assert.Throws<ArenaException>(domain.Dispose);

        Assert.True(other.IsClosed);
        Assert.Throws<ObjectDisposedException>(() => domain.Open("netmap:x{1"));
        domain.Dispose(); // once is enough; a second call does nothing
    }

    [Fact]
    public void A_ring_of_a_closed_handle_or_domain_refuses_access_with_ENXIO()
    {
        var domain = new NetmapDomain(new ArenaOptions { BufferCount = 8192, Checked = true });
        var handle = domain.Open("netmap:pipe{1");
        var ring = handle.TxRing;
        handle.Dispose();

        // The slots now name buffer 0: an inject would have written the reserved buffer.
        Assert.Equal(NetmapError.ENXIO, Assert.Throws<NetmapException>(() => ring.TryInject(new byte[100])).Code);
        Assert.Equal(NetmapError.ENXIO, Assert.Throws<NetmapException>(() => ring.Buffer(0)).Code);
        Assert.Equal(NetmapError.ENXIO, Assert.Throws<NetmapException>(() => ring.Packet(0)).Code);
        Assert.Equal(NetmapError.ENXIO, Assert.Throws<NetmapException>(() => ring.View()).Code);

        // With the domain gone too its memory is freed: the same calls must not reach it (they crashed the process).
        var other = domain.Open("netmap:pipe{2").TxRing;
        domain.Dispose();
        Assert.Equal(NetmapError.ENXIO, Assert.Throws<NetmapException>(() => other.TryInject(new byte[1500])).Code);
    }
}
