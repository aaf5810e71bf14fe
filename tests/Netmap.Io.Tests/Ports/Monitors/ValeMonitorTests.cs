using Netmap.Io.Ports;
using Netmap.Io.Rings;

namespace Netmap.Io.Tests.Ports.Monitors;

/// <summary>Copy monitors of VALE ports (netmap-notes §6; netmap tests 012, 013, 018).</summary>
public sealed class ValeMonitorTests : NetmapTestBase
{
    private static byte[] Broadcast(int length, byte fill)
    {
        var frame = new byte[length];
        Array.Fill(frame, fill);
        frame.AsSpan(0, 6).Fill(0xff);
        return frame;
    }

    private static void AssertOne(PortHandle h, byte[] frame)
    {
        h.RxSync();
        Assert.Equal(1u, h.RxRing.Space);
        Assert.Equal(frame, PacketFill.Receive(h.RxRing));
        h.RxSync();
    }

    private static void AssertNone(PortHandle h)
    {
        h.RxSync();
        Assert.True(h.RxRing.IsEmpty);
    }

    [Fact]
    public void An_rx_monitor_of_a_vale_port_sees_a_frame_before_the_port_reads_it()
    {
        // netmap utils/tests/012_vale_monitor_rx — objective: vale0:v0/r sees a frame on arrival. Operations:
        // 1) open vale0:v0, vale0:v1 and vale0:v0/r; 2) v1 sends 1 x 150 B 'd'; 3) the monitor receives it
        // while v0 has not read; 4) v0 receives it too.
        using var v0 = Domain.Open("vale0:v0");
        using var v1 = Domain.Open("vale0:v1");
        using var monitor = Domain.Open("vale0:v0/r");
        var frame = Broadcast(150, (byte)'d');
        AssertNone(monitor);

        PacketFill.Send(v1.TxRing, frame);
        v1.TxSync();
        monitor.RxSync();
        Assert.Equal(SlotFlags.None, monitor.RxRing[monitor.RxRing.Head].Flags & SlotFlags.TxMon);
        AssertOne(monitor, frame);
        AssertOne(v0, frame);
        AssertNone(monitor);
    }

    [Fact]
    public void An_rx_monitor_of_a_persistent_port_sees_a_frame_test_013()
    {
        // netmap utils/tests/013_vale_persistent_monitor_rx — objective: netmap:v0/r on a persistent v0
        // attached to vale0 sees a frame on arrival; v0 then receives it too.
        Domain.CreatePersistentPort("v0");
        Domain.ValeAttach("vale0:v0");
        using (var v0 = Domain.Open("vale0:v0"))
        using (var v1 = Domain.Open("vale0:v1"))
        using (var monitor = Domain.Open("netmap:v0/r"))
        {
            var frame = Broadcast(150, (byte)'d');
            PacketFill.Send(v1.TxRing, frame);
            v1.TxSync();
            AssertOne(monitor, frame);
            AssertOne(v0, frame);
        }

        Domain.ValeDetach("vale0:v0");
        Domain.DestroyPersistentPort("v0");
    }

    [Fact]
    public void A_tx_monitor_of_a_vale_port_sees_a_frame_then_the_peer_receives_it()
    {
        // netmap utils/tests/018_vale_monitor_tx — objective: vale0:v0/t sees what v0 sends. Operations:
        // 1) open vale0:v0, vale0:v1 and vale0:v0/t; 2) v0 sends 1 x 150 B; 3) the monitor receives it;
        // 4) v1 receives it.
        using var v0 = Domain.Open("vale0:v0");
        using var v1 = Domain.Open("vale0:v1");
        using var monitor = Domain.Open("vale0:v0/t");
        var frame = Broadcast(150, (byte)'e');

        PacketFill.Send(v0.TxRing, frame);
        v0.TxSync();
        monitor.RxSync();
        Assert.Equal(SlotFlags.TxMon, monitor.RxRing[monitor.RxRing.Head].Flags & SlotFlags.TxMon);
        AssertOne(monitor, frame);
        AssertOne(v1, frame);
        AssertNone(v0);
    }

    [Fact]
    public void Vale_monitor_errors()
    {
        Assert.Equal(NetmapError.EINVAL, Assert.Throws<NetmapException>(() => Domain.Open("vale0:nope/r")).Code); // parent must be open
        using var v0 = Domain.Open("vale0:v0", new RegisterOptions { TxSlots = 64, RxSlots = 64 });
        // A /z monitor takes its buffers from the port's private region: room for the port's rings once more.
        var ex = Assert.Throws<NetmapException>(() => Domain.Open("vale0:v0/z", new RegisterOptions { RxSlots = 1024 }));
        Assert.Equal(NetmapError.ENOMEM, ex.Code);
        Assert.Contains("@conf:slots", ex.Message, StringComparison.Ordinal);
        using var fits = Domain.Open("vale0:v0/z", new RegisterOptions { RxSlots = 128 });
    }

    [Fact]
    public void A_monitor_outliving_its_vale_port_fails_and_leaks_nothing()
    {
        var v0 = Domain.Open("vale0:v0");
        using var monitor = Domain.Open("vale0:v0/rt");
        v0.Dispose();
        Assert.Throws<NetmapException>(() => monitor.RxSync());
    }
}
