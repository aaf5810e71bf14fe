using System.Runtime.CompilerServices;
using Netmap.Io.Ports;
using Netmap.Io.Rings;

namespace Netmap.Io.Tests.Ports;

/// <summary>
/// <see cref="PortHandle.AddNotifyListener"/>: a pipe end tells its listeners when its peer publishes packets
/// (TxSync) or room (RxSync releasing slots), not on its own syncs nor when nothing crossed; a removed listener
/// hears nothing more, nor does the listener of a closed handle, while another handle's keeps hearing; a port that
/// cannot notify refuses a listener; notifying allocates nothing.
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

    [Fact]
    public void A_listener_added_through_a_handle_is_not_called_after_the_handle_closes()
    {
        using var master = Domain.Open("netmap:nd{0");
        var slave = Domain.Open("netmap:nd}0");
        var port = slave.Port;
        var listener = new CountingListener();
        slave.AddNotifyListener(listener);
        Assert.True(master.Inject(new byte[60]) > 0);
        master.TxSync();
        Assert.Equal(1, listener.Count);

        slave.Dispose(); // the slave's port lives on: the master is still bound
        Assert.Equal(0, port.NotifyListenerCount);
        Assert.True(master.Inject(new byte[60]) > 0);
        master.TxSync(); // crosses to the slave's port, which notifies
        Assert.Equal(1, listener.Count);
        slave.RemoveNotifyListener(listener); // already gone with the handle: a no-op
    }

    [Fact]
    public void Closing_one_handle_leaves_the_listeners_of_another_handle_of_the_port_working()
    {
        var nic = Domain.CreateSoftInterface("nic0", txQueues: 2, rxQueues: 2);
        using var kept = Domain.Open("netmap:nic0-0");
        var closed = Domain.Open("netmap:nic0-1");
        Assert.Same(kept.Port, closed.Port);
        var onKept = new CountingListener();
        var onClosed = new CountingListener();
        kept.AddNotifyListener(onKept);
        closed.AddNotifyListener(onClosed);
        Assert.True(nic.InjectFromWire(new byte[60], queue: 0));
        Assert.Equal((1, 1), (onKept.Count, onClosed.Count)); // a notification tells every handle's listeners

        closed.Dispose();
        Assert.Equal(1, kept.Port.NotifyListenerCount);
        Assert.True(nic.InjectFromWire(new byte[60], queue: 0));
        Assert.Equal((2, 1), (onKept.Count, onClosed.Count));
    }

    [Fact]
    public void Many_open_subscribe_close_cycles_leave_the_port_no_listener_and_keep_none_alive()
    {
        using var master = Domain.Open("netmap:nm{0");
        var port = PortOfSlave("netmap:nm}0");
        var collected = new List<WeakReference>();
        for (var i = 0; i < 1000; i++)
        {
            var weak = SubscribeSendAndClose("netmap:nm}0", master, port);
            if (i % 100 == 0)
            {
                collected.Add(weak);
            }
        }

        Assert.Equal(0, port.NotifyListenerCount);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.All(collected, weak => Assert.False(weak.IsAlive, "a closed handle's listener is still reachable"));
    }

    [Fact]
    public void A_handle_closing_while_another_thread_notifies_leaves_no_call_after_its_close()
    {
        using var master = Domain.Open("netmap:nr{0");
        var port = PortOfSlave("netmap:nr}0");
        var stop = 0;
        var notifications = 0L;
        var notifier = new Thread(() =>
        {
            while (Volatile.Read(ref stop) == 0)
            {
                port.Notify(); // as the master's syncs do, from their own thread
                notifications++;
            }
        }) { IsBackground = true, Name = "notifier" };
        notifier.Start();

        var late = 0;
        var heard = 0;
        for (var i = 0; i < 20_000 && heard < 1000; i++) // until enough closes raced a notification
        {
            using var slave = Domain.Open("netmap:nr}0");
            var listener = new ClosingListener();
            slave.AddNotifyListener(listener);
            Thread.SpinWait(i % 64 * 10); // close at varied points of the notifier's walk
            slave.Dispose();
            listener.HandleClosed = true;
            Thread.SpinWait(20);
            late += listener.Late;
            heard += listener.Count > 0 ? 1 : 0;
        }

        Volatile.Write(ref stop, 1);
        Assert.True(notifier.Join(TimeSpan.FromSeconds(30)), "the notifier did not stop");
        Assert.True(notifications > 0 && heard > 0, "the notifier never reached a listener: the race was not run");
        Assert.Equal(0, late);
        Assert.Equal(0, port.NotifyListenerCount);
    }

    // Opens and closes the slave once, returning its port (which lives while the master is bound).
    private Port PortOfSlave(string spec)
    {
        using var slave = Domain.Open(spec);
        return slave.Port;
    }

    // Not inlined: the listener must be unreachable from the caller's frame once this returns.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private WeakReference SubscribeSendAndClose(string spec, PortHandle master, Port port)
    {
        var listener = new CountingListener();
        using (var slave = Domain.Open(spec))
        {
            Assert.Same(port, slave.Port);
            slave.RxSync(); // the packet the last cycle sent after its close
            var rx = slave.RxRing;
            rx.Head = rx.Cur = rx.Tail;
            slave.RxSync(); // room back for the master

            slave.AddNotifyListener(listener);
            master.TxSync(); // takes the room back
            Assert.True(master.Inject(new byte[60]) > 0);
            master.TxSync();
            Assert.Equal(1, listener.Count);
        }

        Assert.True(master.Inject(new byte[60]) > 0);
        master.TxSync(); // crosses to the slave's port with the handle closed
        Assert.Equal(1, listener.Count);
        return new WeakReference(listener);
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

    private sealed class ClosingListener : IPortNotifyListener
    {
        private int _count;
        private int _late;
        private int _handleClosed;

        public int Count => Volatile.Read(ref _count);

        /// <summary>Calls still running once the test saw the handle's Dispose return.</summary>
        public int Late => Volatile.Read(ref _late);

        public bool HandleClosed
        {
            set => Volatile.Write(ref _handleClosed, value ? 1 : 0);
        }

        public void OnPortNotify(Port port)
        {
            Interlocked.Increment(ref _count);
            Thread.SpinWait(50); // a call that takes a while (still short), to widen the race
            if (Volatile.Read(ref _handleClosed) != 0)
            {
                Interlocked.Increment(ref _late);
            }
        }
    }
}
