using Netmap.Io.Ports;
using Netmap.Io.Ports.Nic;
using Netmap.Io.Rings;

namespace Netmap.Io.Tests.Ports.Nic;

/// <summary>A NIC port's TX and RX paths allocate nothing in steady state: a deterministic count on one thread.</summary>
public sealed class NicAllocationTests : NetmapTestBase
{
    [Theory]
    [InlineData("netmap:nic0", 60)]
    [InlineData("netmap:nic0*@csum:tx=sw,rx=verify", 3000)] // checksums both ways, MOREFRAG chains both ways, host rings bound
    public void A_steady_state_wire_loop_allocates_nothing(string spec, int frameLength)
    {
        var nic = Domain.CreateSoftInterface("nic0", maxFrameSize: 9018);
        using var handle = Domain.Open(spec);
        var frame = NicFrames.Ip(ipv6: false, NicFrames.Udp, payload: frameLength - 42, withChecksums: true);
        var buffer = new byte[9018];

        Run(nic, handle, frame, buffer, rounds: 100); // every queue cell and scratch buffer has been used once
        var before = GC.GetAllocatedBytesForCurrentThread();
        var moved = Run(nic, handle, frame, buffer, rounds: 1000);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(1000 * 32L * 2, moved);
        var counters = Assert.IsType<NicPort>(handle.Port).ReadCounters();
        Assert.Equal(1100 * 32L, counters.RxFrames);
        Assert.Equal(1100 * 32L, counters.TxFrames);
        Assert.Equal(0, counters.RxBadChecksums);
    }

    private static long Run(SoftNic nic, PortHandle handle, byte[] frame, byte[] buffer, int rounds)
    {
        long moved = 0;
        var rx = handle.RxRing;
        var tx = handle.TxRing;
        for (var r = 0; r < rounds; r++)
        {
            for (var i = 0; i < 32; i++)
            {
                nic.InjectFromWire(frame);
            }

            rx.RxSync();
            while (!rx.IsEmpty)
            {
                var k = rx.Head;
                while ((rx[k].Flags & SlotFlags.MoreFrag) != 0)
                {
                    k = rx.Next(k);
                }

                rx.Head = rx.Cur = rx.Next(k);
                moved++;
            }

            rx.RxSync();
            for (var i = 0; i < 32; i++)
            {
                tx.TryInject(frame);
            }

            tx.TxSync();
            while (nic.TryReadWire(0, buffer, out _))
            {
                moved++;
            }
        }

        return moved;
    }
}
