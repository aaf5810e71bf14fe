using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Netmap.Io.Memory;
using Netmap.Io.Ports;

namespace Netmap.Io.Tests.Rings;

// RingView: the same slots and buffers as the ring's indexer and the arena's GetBuffer, with the same checks.
public sealed class RingViewTests : NetmapTestBase
{
    [Fact]
    public void A_view_names_the_ring_s_slots_and_the_arena_s_buffers()
    {
        using var handle = Domain.Open("null", new RegisterOptions { TxSlots = 8, RxSlots = 8 });
        var tx = handle.TxRing;
        var view = tx.View();

        Assert.Equal(tx.NumSlots, view.NumSlots);
        Assert.Equal(tx.BufferSize, view.BufferSize);
        for (var i = 0u; i < tx.NumSlots; i++)
        {
            Assert.True(Unsafe.AreSame(ref tx[i], ref view[i]));
            Assert.Equal(tx.Next(i), view.Next(i));
            var expected = Arena.GetBuffer(tx[i].BufIdx);
            var actual = view.Buffer(in view[i]);
            Assert.Equal(expected.Length, actual.Length);
            Assert.True(Unsafe.AreSame(ref MemoryMarshal.GetReference(expected), ref MemoryMarshal.GetReference(actual)));
        }
    }

    [Fact]
    public void A_write_through_a_view_is_the_packet_the_port_sends()
    {
        using var master = Domain.Open("netmap:view{0");
        using var slave = Domain.Open("netmap:view}0");
        var tx = master.TxRing;
        var view = tx.View();
        ref var slot = ref view[tx.Head];
        byte[] frame = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x08, 0x00];
        frame.CopyTo(view.Buffer(slot.BufIdx));
        slot.Len = (ushort)frame.Length;
        tx.Head = tx.Cur = view.Next(tx.Head);
        master.TxSync();
        slave.RxSync();

        var rx = slave.RxRing;
        Assert.Equal(frame, rx.Packet(rx.Head).Data.ToArray());
        rx.Head = rx.Cur = rx.Tail;
        slave.RxSync();
    }

    [Fact]
    public void A_slot_index_past_the_ring_is_refused()
    {
        using var handle = Domain.Open("null", new RegisterOptions { TxSlots = 8, RxSlots = 8 });
        var tx = handle.TxRing;

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => tx.View()[8]);
        Assert.Contains("slot 8 is outside a ring of 8 slots", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_buffer_index_past_the_arena_is_refused()
    {
        using var handle = Domain.Open("null");
        var tx = handle.TxRing;

        var error = Assert.Throws<ArenaException>(() => tx.View().Buffer((uint)Arena.BufferCount));
        Assert.Equal(ArenaViolation.InvalidIndex, error.Violation);
    }
}
