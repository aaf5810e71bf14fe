using Netmap.Io.Rings;

namespace Netmap.Io.Tests.Ports.Vale;

/// <summary>The VALE forwarding loop allocates nothing in steady state: a deterministic count on one thread.</summary>
public sealed class ValeAllocationTests : NetmapTestBase
{
    [Fact]
    public void A_steady_state_vale_loop_allocates_nothing()
    {
        using var v0 = Domain.Open("vale9:a");
        using var v1 = Domain.Open("vale9:b");
        using var v2 = Domain.Open("vale9:c");
        var frame = new byte[60];
        frame[0] = 0x02; // unicast to b (learned below), from a
        frame[5] = 0x0b;
        frame[6] = 0x02;
        frame[11] = 0x0a;
        var fromB = new byte[60];
        Array.Fill(fromB, (byte)0xff, 0, 6);
        fromB[6] = 0x02;
        fromB[11] = 0x0b;
        PacketFill.Send(v1.TxRing, fromB);
        v1.TxSync();

        Run(v0.TxRing, v1.RxRing, v2.RxRing, frame, 1000);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var received = Run(v0.TxRing, v1.RxRing, v2.RxRing, frame, 10_000);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(10_000 * 32L, received);
    }

    private static long Run(Ring tx, Ring rx, Ring other, byte[] frame, int rounds)
    {
        long received = 0;
        for (var r = 0; r < rounds; r++)
        {
            for (var i = 0; i < 32; i++)
            {
                var k = tx.Head;
                frame.CopyTo(tx.Buffer(k));
                tx[k].Len = (ushort)frame.Length;
                tx[k].Flags = SlotFlags.None;
                tx.Head = tx.Cur = tx.Next(k);
            }

            tx.TxSync();
            rx.RxSync();
            for (var k = rx.Head; k != rx.Tail; k = rx.Next(k))
            {
                received++;
            }

            rx.Head = rx.Cur = rx.Tail;
            rx.RxSync();
            other.RxSync();
            other.Head = other.Cur = other.Tail;
            other.RxSync();
        }

        return received;
    }
}
