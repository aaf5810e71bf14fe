using System.Runtime.CompilerServices;
using Netmap.Io.Ports;
using Netmap.Io.Rings;

namespace Netmap.Io.Tests.Packets;

// PacketView moves a slot's offset for header push and pop (netmap-notes §2: the low bits of the slot's
// ptr field hold the offset; reads are cropped to the max offset). Null ports opened with offsets
// MaxOffset 128, InitialOffset 64 give every slot 64 bytes of headroom.
public sealed class PacketViewTests : NetmapTestBase
{
    private static readonly OffsetOptions Headroom64 = new() { MaxOffset = 128, InitialOffset = 64 };

    private PortHandle Open(OffsetOptions? offsets = null) =>
        Domain.Open("null", new RegisterOptions { TxSlots = 8, RxSlots = 8, Offsets = offsets });

    // ---------------------------------------------------------------- initial state

    [Fact]
    public void Every_TX_slot_starts_with_the_initial_offset()
    {
        using var handle = Open(Headroom64);
        var tx = handle.TxRing;

        Assert.Equal(ulong.MaxValue, tx.OffsetMask); // bits 0 = all of them
        Assert.Equal(128ul, tx.MaxOffset);
        Assert.Equal(128ul, handle.MaxOffset);
        Assert.Equal(2048 - 128, tx.HwBufLen);
        for (uint i = 0; i < tx.NumSlots; i++)
        {
            Assert.True(64ul == tx.GetOffset(in tx[i]), $"TX slot {i} has offset {tx.GetOffset(in tx[i])}, not 64");
        }
    }

    [Fact]
    public void Every_RX_slot_starts_with_the_initial_offset()
    {
        using var handle = Open(Headroom64);
        var rx = handle.RxRing;

        for (uint i = 0; i < rx.NumSlots; i++)
        {
            Assert.True(64ul == rx.GetOffset(in rx[i]), $"RX slot {i} has offset {rx.GetOffset(in rx[i])}, not 64");
        }
    }

    [Fact]
    public void Data_is_the_buffer_from_the_offset_for_len_bytes()
    {
        using var handle = Open(Headroom64);
        var tx = handle.TxRing;
        tx[0].Len = 100;
        var view = tx.Packet(0);

        Assert.Equal(64, view.Offset);
        Assert.Equal(64, view.Headroom);
        Assert.Equal(100, view.Length);
        Assert.Equal(2048 - 64 - 100, view.Tailroom);
        Assert.Equal(tx[0].BufIdx, view.BufIdx);
        Assert.Equal(100, view.Data.Length);
        Assert.True(Unsafe.AreSame(ref view.Data[0], ref view.Buffer[64]));
        Assert.True(Unsafe.AreSame(ref view.Buffer[0], ref tx.Buffer(0)[0]));
        Assert.True(Unsafe.AreSame(ref view.Slot, ref tx[0]));
    }

    [Fact]
    public void Data_is_clamped_to_the_buffer()
    {
        using var handle = Open(Headroom64);
        var tx = handle.TxRing;
        tx[0].Len = 3000;

        Assert.Equal(2048 - 64, tx.Packet(0).Data.Length);
        Assert.Equal(0, tx.Packet(0).Tailroom);
    }

    // ---------------------------------------------------------------- Push / Pop at the front

    [Fact]
    public void Push_moves_the_offset_back_and_returns_the_header_bytes()
    {
        using var handle = Open(Headroom64);
        var tx = handle.TxRing;
        tx[0].Len = 100;
        var view = tx.Packet(0);

        var header = view.Push(4);

        Assert.Equal(4, header.Length);
        Assert.True(Unsafe.AreSame(ref header[0], ref tx.Buffer(0)[60]));
        Assert.Equal(60ul, tx.GetOffset(in tx[0]));
        Assert.Equal(60, view.Offset);
        Assert.Equal(104, tx[0].Len);
        Assert.Equal(60, view.Headroom);
        // The header is the front of the packet now.
        header.Fill(0x81);
        Assert.Equal([0x81, 0x81, 0x81, 0x81, 0], view.Data[..5].ToArray());
    }

    [Fact]
    public void Push_of_the_whole_headroom_moves_the_offset_to_0()
    {
        using var handle = Open(Headroom64);
        var tx = handle.TxRing;
        tx[0].Len = 10;

        var header = tx.Packet(0).Push(64);

        Assert.Equal(64, header.Length);
        Assert.Equal(0ul, tx.GetOffset(in tx[0]));
        Assert.Equal(74, tx[0].Len);
        Assert.Equal(0, tx.Packet(0).Headroom);
    }

    [Fact]
    public void Push_beyond_the_headroom_is_ENOSPC_and_changes_nothing()
    {
        using var handle = Open(Headroom64);
        var tx = handle.TxRing;
        tx[0].Len = 100;

        var e = Assert.Throws<NetmapException>(() => tx.Packet(0).Push(65));
        Assert.Equal(NetmapError.ENOSPC, e.Code);
        Assert.Equal("null#1", e.Subject);

        Assert.False(tx.Packet(0).TryPush(65, out var header));
        Assert.True(header.IsEmpty);
        Assert.Equal(64ul, tx.GetOffset(in tx[0]));
        Assert.Equal(100, tx[0].Len);
    }

    [Fact]
    public void Pop_reverses_Push()
    {
        using var handle = Open(Headroom64);
        var tx = handle.TxRing;
        tx[0].Len = 100;
        var view = tx.Packet(0);
        view.Push(14);
        Assert.Equal(50, view.Offset);
        Assert.Equal(114, view.Length);

        view.Pop(14);

        Assert.Equal(64ul, tx.GetOffset(in tx[0]));
        Assert.Equal(100, tx[0].Len);
        Assert.True(view.TryPop(4));
        Assert.Equal(68, view.Offset);
        Assert.Equal(96, view.Length);
    }

    [Fact]
    public void Pop_of_more_than_the_packet_is_EINVAL_and_changes_nothing()
    {
        using var handle = Open(Headroom64);
        var tx = handle.TxRing;
        tx[0].Len = 10;

        var e = Assert.Throws<NetmapException>(() => tx.Packet(0).Pop(11));
        Assert.Equal(NetmapError.EINVAL, e.Code);
        Assert.False(tx.Packet(0).TryPop(11));

        Assert.Equal(64ul, tx.GetOffset(in tx[0]));
        Assert.Equal(10, tx[0].Len);
        tx.Packet(0).Pop(10); // the whole packet is fine
        Assert.Equal(74ul, tx.GetOffset(in tx[0]));
        Assert.Equal(0, tx[0].Len);
    }

    [Fact]
    public void Pop_past_the_max_offset_is_ENOSPC_and_changes_nothing()
    {
        using var handle = Open(Headroom64);
        var tx = handle.TxRing;
        tx[0].Len = 100;

        var e = Assert.Throws<NetmapException>(() => tx.Packet(0).Pop(65)); // 64 + 65 > 128
        Assert.Equal(NetmapError.ENOSPC, e.Code);
        Assert.False(tx.Packet(0).TryPop(65));
        Assert.Equal(64ul, tx.GetOffset(in tx[0]));
        Assert.Equal(100, tx[0].Len);

        tx.Packet(0).Pop(64); // up to the max exactly
        Assert.Equal(128ul, tx.GetOffset(in tx[0]));
        Assert.Equal(36, tx[0].Len);
    }

    // ---------------------------------------------------------------- Put / Take at the tail

    [Fact]
    public void Put_and_Take_work_at_the_tail()
    {
        using var handle = Open(Headroom64);
        var tx = handle.TxRing;
        tx[0].Len = 100;
        var view = tx.Packet(0);

        var trailer = view.Put(10);

        Assert.Equal(10, trailer.Length);
        Assert.True(Unsafe.AreSame(ref trailer[0], ref tx.Buffer(0)[164]));
        Assert.Equal(110, tx[0].Len);
        Assert.Equal(64, view.Offset);
        Assert.Equal(2048 - 64 - 110, view.Tailroom);

        view.Take(10);
        Assert.Equal(100, tx[0].Len);
        Assert.Equal(64, view.Offset);
    }

    [Fact]
    public void Put_beyond_the_tailroom_is_ENOSPC_and_Take_beyond_the_packet_is_EINVAL()
    {
        using var handle = Open(Headroom64);
        var tx = handle.TxRing;
        tx[0].Len = 100;

        Assert.Equal(NetmapError.ENOSPC, Assert.Throws<NetmapException>(() => tx.Packet(0).Put(1885)).Code);
        Assert.Equal(100, tx[0].Len);
        Assert.Equal(1884, tx.Packet(0).Put(1884).Length); // to the end of the buffer exactly
        Assert.Equal(1984, tx[0].Len);
        Assert.Equal(0, tx.Packet(0).Tailroom);

        Assert.Equal(NetmapError.EINVAL, Assert.Throws<NetmapException>(() => tx.Packet(0).Take(1985)).Code);
        Assert.Equal(1984, tx[0].Len);
        tx.Packet(0).Take(1984);
        Assert.Equal(0, tx[0].Len);
    }

    // ---------------------------------------------------------------- rings without offsets, cropping, bits

    [Fact]
    public void Port_without_offsets_has_no_headroom()
    {
        using var handle = Open();
        var tx = handle.TxRing;
        tx[0].Len = 10;
        tx[0].Offset = 100; // ignored: the mask is 0

        Assert.Equal(0ul, tx.OffsetMask);
        Assert.Equal(0ul, tx.MaxOffset);
        Assert.Equal(0ul, handle.MaxOffset);
        Assert.Equal(0ul, tx.GetOffset(in tx[0]));
        Assert.Equal(0, tx.Packet(0).Offset);
        Assert.Equal(0, tx.Packet(0).Headroom);
        Assert.Equal(NetmapError.ENOSPC, Assert.Throws<NetmapException>(() => tx.Packet(0).Push(1)).Code);
        Assert.False(tx.Packet(0).TryPush(1, out _));
        // Pop would move the offset past the max offset 0.
        Assert.Equal(NetmapError.ENOSPC, Assert.Throws<NetmapException>(() => tx.Packet(0).Pop(1)).Code);
        Assert.Equal(10, tx[0].Len);
        Assert.Equal(100ul, tx[0].Offset);
    }

    [Fact]
    public void Offset_above_the_max_reads_cropped_to_the_max()
    {
        using var handle = Open(Headroom64);
        var tx = handle.TxRing;
        tx[0].Len = 10;
        tx.SetOffset(ref tx[0], 200);

        Assert.Equal(200ul, tx.GetOffset(in tx[0])); // the user's view is masked, not cropped
        Assert.Equal(128, tx.ReadOffset(in tx[0]));  // the port's view is cropped, silently
        Assert.Equal(128, tx.Packet(0).Offset);
        Assert.True(Unsafe.AreSame(ref tx.Packet(0).Data[0], ref tx.Buffer(0)[128]));
    }

    [Fact]
    public void Offset_bits_mask_keeps_the_high_bits_of_the_raw_field()
    {
        using var handle = Open(new OffsetOptions { Bits = 8, MaxOffset = 128, InitialOffset = 64 });
        var tx = handle.TxRing;
        Assert.Equal(0xFFul, tx.OffsetMask);
        Assert.Equal(0x40ul, tx[0].Offset);
        tx[0].Offset = 0xDEAD_BEEF_0000_1234;
        tx[0].Len = 10;

        Assert.Equal(0x34ul, tx.GetOffset(in tx[0]));
        tx.SetOffset(ref tx[0], 0x40);
        Assert.Equal(0xDEAD_BEEF_0000_1240ul, tx[0].Offset);
        Assert.Equal(64, tx.Packet(0).Offset);

        tx.Packet(0).Push(4);
        Assert.Equal(0xDEAD_BEEF_0000_123Cul, tx[0].Offset);
        tx.Packet(0).Pop(4);
        Assert.Equal(0xDEAD_BEEF_0000_1240ul, tx[0].Offset);

        // An offset wider than the mask keeps only its low bits.
        tx.SetOffset(ref tx[0], 0x12C);
        Assert.Equal(0xDEAD_BEEF_0000_122Cul, tx[0].Offset);
        Assert.Equal(0x2Cul, tx.GetOffset(in tx[0]));
    }

    [Fact]
    public void Views_of_fragments_see_each_slot_offset()
    {
        using var handle = Open(Headroom64);
        var tx = handle.TxRing;
        var packet = new byte[3000];
        packet.AsSpan().Fill(0x11);
        Assert.True(tx.TryInject(packet));

        var fragments = tx.Fragments(0);
        Assert.True(fragments.MoveNext());
        Assert.Equal(64, fragments.Current.Offset);
        Assert.Equal(1984, fragments.Current.Length);
        Assert.True(fragments.MoveNext());
        Assert.Equal(64, fragments.Current.Offset);
        Assert.Equal(1016, fragments.Current.Length);
        Assert.True(fragments.Current.Data.IndexOfAnyExcept((byte)0x11) < 0);
        Assert.False(fragments.MoveNext());
    }
}
