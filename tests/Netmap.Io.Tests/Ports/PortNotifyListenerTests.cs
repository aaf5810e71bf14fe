using Netmap.Io.Ports;
using Netmap.Io.Rings;

namespace Netmap.Io.Tests.Ports;

/// <summary>
/// <see cref="PortHandle.AddNotifyListener"/>: a pipe end tells its listeners when its peer publishes packets
/// (TxSync) or room (RxSync releasing slots), not on its own syncs nor when nothing crossed; a removed listener
/// hears nothing more; a port that cannot notify refuses a listener; notifying allocates nothing.
/// </summary>
public sealed class PortNotifyListenerTests : NetmapTestBase
{
    [Fact]
    public void A_pipe_end_tells_its_listener_when_the_peer_sends_and_when_it_releases_room()
    {
        using var master = Domain.Open("netmap:nl{0");
        using var slave = Domain.Open("netmap:nl}0");
        var onSlave = new CountingListener();
        var onMaster = new CountingListener();
        slave.AddNotifyListener(onSlave);
        master.AddNotifyListener(onMaster);

        master.TxSync(); // nothing to send: nothing crosses
        slave.RxSync(); // nothing released
        Assert.Equal((0, 0), (onSlave.Count, onMaster.Count));

        Assert.True(master.Inject(new byte[60]) > 0);
        master.TxSync(); // a packet crosses to the slave
        Assert.Equal((1, 0), (onSlave.Count, onMaster.Count));
        Assert.Same(slave.Port, onSlave.LastPort);

        slave.RxSync(); // sees the packet, releases nothing yet
        var rx = slave.RxRing;
        rx.Head = rx.Cur = rx.Tail;
        slave.RxSync(); // releases the slot: room for the master
        Assert.Equal((1, 1), (onSlave.Count, onMaster.Count));
        Assert.Same(master.Port, onMaster.LastPort);

        slave.RemoveNotifyListener(onSlave);
        slave.RemoveNotifyListener(onSlave); // a second removal is a no-op
        Assert.True(master.Inject(new byte[60]) > 0);
        master.TxSync();
        Assert.Equal(1, onSlave.Count);

        master.RemoveNotifyListener(onMaster);
        slave.RxSync();
        rx.Head = rx.Cur = rx.Tail;
        slave.RxSync();
        Assert.Equal(1, onMaster.Count);
    }

    [Fact]
    public void Every_listener_of_a_port_is_told_and_notifying_allocates_nothing()
    {
        using var master = Domain.Open("netmap:na{0");
        using var slave = Domain.Open("netmap:na}0");
        var first = new CountingListener();
        var second = new CountingListener();
        slave.AddNotifyListener(first);
        slave.AddNotifyListener(second);
        var tx = master.TxRing;
        var rx = slave.RxRing;
        Cycle(tx, rx, master, slave, 100); // warm up

        var before = GC.GetAllocatedBytesForCurrentThread();
        Cycle(tx, rx, master, slave, 1000);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal((1100, 1100), (first.Count, second.Count));
        slave.RemoveNotifyListener(first);
        slave.RemoveNotifyListener(second);
    }

    [Fact]
    public void A_port_that_cannot_notify_refuses_a_listener_and_a_closed_handle_fails_enxio()
    {
        using var nul = Domain.Open("null:nn");
        var listener = new CountingListener();
        Assert.False(nul.CanNotify);
        var refused = Assert.Throws<NetmapException>(() => nul.AddNotifyListener(listener));
        Assert.Equal(NetmapError.EOPNOTSUPP, refused.Code);
        nul.RemoveNotifyListener(listener); // never added: a no-op

        var pipe = Domain.Open("netmap:nc{0");
        Assert.True(pipe.CanNotify);
        pipe.Dispose();
        var closed = Assert.Throws<NetmapException>(() => pipe.AddNotifyListener(listener));
        Assert.Equal(NetmapError.ENXIO, closed.Code);
    }

    private static void Cycle(Ring tx, Ring rx, PortHandle master, PortHandle slave, int rounds)
    {
        for (var r = 0; r < rounds; r++)
        {
            tx[tx.Head].Len = 60;
            tx.Head = tx.Cur = tx.Next(tx.Head);
            master.TxSync();
            slave.RxSync();
            rx.Head = rx.Cur = rx.Tail;
            slave.RxSync();
        }
    }

    private sealed class CountingListener : IPortNotifyListener
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public Port? LastPort { get; private set; }

        public void OnPortNotify(Port port)
        {
            Interlocked.Increment(ref _count);
            LastPort = port;
        }
    }
}
