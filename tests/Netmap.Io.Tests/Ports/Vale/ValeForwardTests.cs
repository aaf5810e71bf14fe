using Netmap.Io.Ports;
using Netmap.Io.Ports.Vale;
using Netmap.Io.Rings;
using static Netmap.Io.Tests.Ports.Vale.ValeFrames;

namespace Netmap.Io.Tests.Ports.Vale;

/// <summary>The forwarding loop's edges: batch boundaries, copy sizes near a buffer's end, destination order.</summary>
public sealed class ValeForwardTests : NetmapTestBase
{
    [Fact]
    public void A_sync_of_more_fragments_than_one_batch_holds_is_forwarded_in_several_batches()
    {
        // 1500 two-fragment packets in one TxSync: 3000 fragments, more than the 1024 + 64 entry table. netmap
        // flushes when the fragments collected reach the batch size at a packet boundary.
        using var v0 = Domain.Open("vale0:v0", new RegisterOptions { TxSlots = 4096 });
        using var v1 = Domain.Open("vale0:v1", new RegisterOptions { RxSlots = 4096 });
        var tx = v0.TxRing;
        var sent = new List<byte[]>();
        for (var p = 0; p < 1500; p++)
        {
            var whole = Frame(BroadcastMac, Mac(1), 100, p);
            sent.Add(whole);
            for (var i = 0; i < 2; i++)
            {
                var k = tx.Head;
                whole.AsSpan(i * 50, 50).CopyTo(tx.Buffer(k));
                tx[k].Len = 50;
                tx[k].Flags = i == 0 ? SlotFlags.MoreFrag : SlotFlags.None;
                tx.Head = tx.Cur = tx.Next(k);
            }
        }

        Assert.Equal(SyncStatus.Ok, v0.TxSync());
        Assert.Equal(sent, Drain(v1));
        var port = Assert.Single(Domain.ListVale()).Ports[0];
        Assert.Equal(1500, port.ForwardedPackets);
        Assert.Equal(150_000, port.ForwardedBytes);
    }

    [Fact]
    public void A_full_batch_of_single_slot_packets_and_the_rest_arrive_in_order()
    {
        using var v0 = Domain.Open("vale0:v0", new RegisterOptions { TxSlots = 4096 });
        using var v1 = Domain.Open("vale0:v1", new RegisterOptions { RxSlots = 4096 });
        var sent = new List<byte[]>();
        for (var p = 0; p < ValeSwitch.BatchSize + 100; p++)
        {
            var frame = Frame(BroadcastMac, Mac(1), 60 + (p % 7), p);
            sent.Add(frame);
            PacketFill.Send(v0.TxRing, frame);
        }

        Assert.Equal(SyncStatus.Ok, v0.TxSync());
        Assert.Equal(sent, Drain(v1));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(14)]
    [InlineData(59)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(129)]
    [InlineData(1514)]
    public void Frames_of_every_size_are_copied_exactly_and_nothing_after_them(int length)
    {
        // Lengths around the small-frame copy's block size; the bytes after the frame in the destination
        // buffer are not part of it, but what the receiver reads (Len bytes) must be the frame alone.
        using var v0 = Domain.Open("vale0:v0");
        using var v1 = Domain.Open("vale0:v1");
        var frame = PacketFill.Pattern(length, length);
        if (length >= 12)
        {
            BroadcastMac.CopyTo(frame, 0);
            Mac(1).CopyTo(frame, 6);
        }

        PacketFill.Send(v0.TxRing, frame);
        Assert.Equal(SyncStatus.Ok, v0.TxSync());
        if (length < 14)
        {
            Assert.Empty(Drain(v1)); // a runt: the learning bridge drops it
            return;
        }

        Assert.Equal([frame], Drain(v1));
    }

    [Theory]
    [InlineData(60, 0)]
    [InlineData(60, 40)]
    [InlineData(60, 64)]
    [InlineData(64, 63)]
    [InlineData(100, 30)]
    public void Frames_near_the_end_of_the_destination_buffer_are_cut_at_its_end(int length, int room)
    {
        // The destination's offset leaves room bytes before the end of its buffer: the frame is cut there (a
        // slot of length room), and nothing is written past the buffer.
        var bufferSize = Arena.BufferSize;
        var offset = (ulong)(bufferSize - room);
        using var v0 = Domain.Open("vale0:v0");
        using var v1 = Domain.Open("vale0:v1", new RegisterOptions { Offsets = new OffsetOptions { InitialOffset = offset, MaxOffset = offset, Bits = 16 } });
        var frame = Frame(BroadcastMac, Mac(1), length, 7);
        PacketFill.Send(v0.TxRing, frame);
        Assert.Equal(SyncStatus.Ok, v0.TxSync());
        v1.RxSync();
        var rx = v1.RxRing;
        Assert.Equal(1u, rx.Space);
        var slot = rx[rx.Head];
        var expected = Math.Min(length, room);
        Assert.Equal(expected, slot.Len);
        Assert.Equal(frame.AsSpan(0, expected).ToArray(), rx.Buffer(rx.Head).Slice((int)offset, expected).ToArray());
        rx.Head = rx.Cur = rx.Tail;
        v1.RxSync();
        Assert.Equal(expected, Assert.Single(Domain.ListVale()).Ports[1].DeliveredBytes);
    }

    [Fact]
    public void Frames_from_near_the_end_of_the_source_buffer_are_copied_exactly_and_one_past_it_is_sent_empty()
    {
        // The source's offset leaves 70 bytes: a 60-byte frame there is copied whole; a slot of length 100 runs past the
        // buffer, and netmap forwards such a slot as length 0, which the learning lookup drops as a runt.
        var offset = (ulong)(Arena.BufferSize - 70);
        using var v0 = Domain.Open("vale0:v0", new RegisterOptions { Offsets = new OffsetOptions { InitialOffset = offset, MaxOffset = offset, Bits = 16 } });
        using var v1 = Domain.Open("vale0:v1");
        var small = Frame(BroadcastMac, Mac(1), 60, 3);
        var large = Frame(BroadcastMac, Mac(1), 100, 4);
        PacketFill.Send(v0.TxRing, small);
        var tx = v0.TxRing;
        var k = tx.Head;
        large.AsSpan(0, 70).CopyTo(tx.Buffer(k)[(int)offset..]);
        tx[k].Len = 100; // 30 bytes past the buffer's end
        tx[k].Flags = SlotFlags.None;
        tx.Head = tx.Cur = tx.Next(k);
        Assert.Equal(SyncStatus.Ok, v0.TxSync());
        Assert.Equal([small], Drain(v1));
        Assert.Equal(1, Domain.FindVale("vale0")!.Ports[0].Drops(ValeDropReason.Runt));
    }

    [Fact]
    public void Destinations_used_in_one_batch_are_forgotten_by_the_next()
    {
        // Batch 1 goes to v1 (learned) only; batch 2 is a broadcast, which must reach v1 and v2 again (a
        // destination list left over from batch 1 would make the switch skip v1 as "already served").
        using var v0 = Domain.Open("vale0:v0");
        using var v1 = Domain.Open("vale0:v1");
        using var v2 = Domain.Open("vale0:v2");
        var hello = Frame(BroadcastMac, Mac(2), 60, 1);
        PacketFill.Send(v1.TxRing, hello);
        v1.TxSync();
        Drain(v0);
        Drain(v2);

        var uni = Frame(Mac(2), Mac(1), 60, 2);
        PacketFill.Send(v0.TxRing, uni);
        v0.TxSync();
        Assert.Equal([uni], Drain(v1));
        Assert.Empty(Drain(v2));

        var bcast = Frame(BroadcastMac, Mac(1), 60, 3);
        PacketFill.Send(v0.TxRing, bcast);
        v0.TxSync();
        Assert.Equal([bcast], Drain(v1));
        Assert.Equal([bcast], Drain(v2));

        var uni2 = Frame(Mac(2), Mac(1), 60, 4);
        PacketFill.Send(v0.TxRing, uni2);
        v0.TxSync();
        Assert.Equal([uni2], Drain(v1));
        Assert.Empty(Drain(v2));
    }

    [Fact]
    public void Unicast_and_broadcast_to_one_port_arrive_in_their_batch_order()
    {
        using var v0 = Domain.Open("vale0:v0");
        using var v1 = Domain.Open("vale0:v1");
        using var v2 = Domain.Open("vale0:v2");
        PacketFill.Send(v1.TxRing, Frame(BroadcastMac, Mac(2), 60, 1));
        v1.TxSync();
        Drain(v0);
        Drain(v2);

        var frames = new List<byte[]>();
        for (var i = 0; i < 20; i++)
        {
            var frame = Frame(i % 3 == 0 ? BroadcastMac : Mac(2), Mac(1), 60 + i, i);
            frames.Add(frame);
            PacketFill.Send(v0.TxRing, frame);
        }

        v0.TxSync();
        Assert.Equal(frames, Drain(v1));
        Assert.Equal(frames.Where(f => f[0] == 0xff).ToList(), Drain(v2));
    }
}
