using System.Buffers.Binary;
using Netmap.Io.Ports;
using Netmap.Io.Rings;

namespace Netmap.Io.Tests.Ports.Pipes;

/// <summary>
/// The pipe's steady-state loop allocates nothing: a deterministic count on one thread, not a timing.
/// </summary>
public sealed class PipeAllocationTests : NetmapTestBase
{
    [Theory]
    [InlineData(32)]
    [InlineData(256)]
    public void A_steady_state_pipe_loop_allocates_nothing(int batch)
    {
        using var master = Domain.Open("netmap:alloc{0", new RegisterOptions { Offsets = new OffsetOptions { MaxOffset = 128, InitialOffset = 64 } });
        using var slave = Domain.Open("netmap:alloc}0");
        var tx = master.TxRing;
        var rx = slave.RxRing;

        Run(tx, rx, batch, 1000); // warm up: JIT, tiering, first-touch
        var before = GC.GetAllocatedBytesForCurrentThread();
        var checksum = Run(tx, rx, batch, 10_000);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.NotEqual(0UL, checksum);
    }

    private static ulong Run(Ring tx, Ring rx, int batch, int rounds)
    {
        ulong checksum = 0;
        for (var r = 0; r < rounds; r++)
        {
            var n = Math.Min((uint)batch, tx.Space);
            var k = tx.Head;
            for (var i = 0; i < n; i++)
            {
                var packet = tx.Packet(k);
                // The slot keeps the offset it was sent with (the reader's pop stays on the reader's side, as in
                // netmap): start every packet at the headroom again.
                tx.SetOffset(ref packet.Slot, 64);
                packet.Slot.Len = 60;
                BinaryPrimitives.WriteUInt64LittleEndian(packet.Data, (ulong)r);
                packet.Push(4); // a tag pushed into the headroom
                k = tx.Next(k);
            }

            tx.Head = tx.Cur = k;
            tx.TxSync();
            rx.RxSync();
            for (k = rx.Head; k != rx.Tail; k = rx.Next(k))
            {
                var packet = rx.Packet(k);
                packet.Pop(4);
                checksum += BinaryPrimitives.ReadUInt64LittleEndian(packet.Data) + 1;
                packet.Push(0);
            }

            rx.Head = rx.Cur = rx.Tail;
            rx.RxSync();
        }

        return checksum;
    }
}
