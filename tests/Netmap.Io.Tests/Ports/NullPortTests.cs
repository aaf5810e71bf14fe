using Netmap.Io.Memory;
using Netmap.Io.Ports;
using Netmap.Io.Ports.Null;
using Netmap.Io.Rings;

namespace Netmap.Io.Tests.Ports;

// Null ports (netmap-notes §4, NR_REG_NULL): rings and buffers in an existing region, syncs that do nothing.
public sealed class NullPortTests : NetmapTestBase
{
    private static readonly RegisterOptions TenByFive = new() { TxRings = 10, RxRings = 5, TxSlots = 256, RxSlots = 100 };

    [Fact]
    public void Null_port_echoes_the_counts_and_gives_every_slot_a_buffer_of_its_own()
    {
        // netmap utils/ctrl-api-test.c null_port — objective: a NR_REG_NULL registration in region 1 with
        // 10 TX rings x 256 slots and 5 RX rings x 100 slots succeeds and echoes the counts; operations:
        // 1) register with nr_mode NULL, nr_mem_id 1 2) compare the returned ring and slot counts.
        var handle = Domain.Open("null", TenByFive);
        var port = handle.Port;

        Assert.IsType<NullPort>(port);
        Assert.Equal(10, port.TxRingCount);
        Assert.Equal(5, port.RxRingCount);
        Assert.Equal(0, port.HostTxRingCount);
        Assert.Equal(0, port.HostRxRingCount);
        Assert.False(port.HasHostRings);
        Assert.True(port.SupportsOffsets);
        Assert.Equal(10, port.TxRings.Count);
        Assert.Equal(5, port.RxRings.Count);
        Assert.Equal(10, handle.TxRings.Length);
        Assert.Equal(5, handle.RxRings.Length);
        Assert.Equal(NetmapDomain.DefaultMemId, handle.MemId);
        Assert.Same(Arena, handle.Arena);
        Assert.Equal(RegisterMode.Null, handle.Mode);
        Assert.Equal(1, port.Bindings);
        Assert.Equal(1, Domain.OpenHandles);

        var seen = new HashSet<uint>();
        for (var r = 0; r < 10; r++)
        {
            Assert.Equal(r, handle.TxRings[r].RingId);
            Assert.Equal(256u, handle.TxRings[r].NumSlots);
            foreach (var slot in handle.TxRings[r].Slots)
            {
                Assert.True(Arena.IsValidIndex(slot.BufIdx));
                Assert.True(seen.Add(slot.BufIdx), $"buffer {slot.BufIdx} is in two slots");
                Assert.Equal(port.Owner, Arena.OwnerOf(slot.BufIdx));
                Assert.Equal(new Slot { BufIdx = slot.BufIdx }, slot);
            }
        }

        for (var r = 0; r < 5; r++)
        {
            Assert.Equal(r, handle.RxRings[r].RingId);
            Assert.Equal(100u, handle.RxRings[r].NumSlots);
            foreach (var slot in handle.RxRings[r].Slots)
            {
                Assert.True(Arena.IsValidIndex(slot.BufIdx));
                Assert.True(seen.Add(slot.BufIdx), $"buffer {slot.BufIdx} is in two slots");
                Assert.Equal(port.Owner, Arena.OwnerOf(slot.BufIdx));
            }
        }

        Assert.Equal((10 * 256) + (5 * 100), seen.Count);
        Assert.Equal((10 * 256) + (5 * 100), Arena.InUse);
        Assert.Equal(new KeyValuePair<string, int>[] { new("null#1", 3060) }, Arena.Audit().Holders);

        handle.Dispose();

        Assert.Equal(0, Arena.InUse);
        Assert.True(port.IsDestroyed);
        Assert.Equal(0, port.Bindings);
        Assert.True(handle.IsClosed);
        Assert.Equal(0, Domain.OpenHandles);
    }

    [Fact]
    public void Zero_counts_mean_one_ring_of_1024_slots_each_way()
    {
        // netmap utils/ctrl-api-test.c null_port_all_zero — objective: a NULL registration with every count 0
        // succeeds. netmap then allocates no ring at all; this project gives 0 the usual meaning,
        // "the port's default": 1 ring of 1024 slots per direction.
        using var handle = Domain.Open("null", new RegisterOptions { TxRings = 0, RxRings = 0, TxSlots = 0, RxSlots = 0 });

        Assert.Equal(1, handle.Port.TxRingCount);
        Assert.Equal(1, handle.Port.RxRingCount);
        Assert.Equal(1024u, handle.TxRing.NumSlots);
        Assert.Equal(1024u, handle.RxRing.NumSlots);
        Assert.Equal(2048, Arena.InUse);
    }

    [Fact]
    public void Null_port_sync_does_nothing()
    {
        // netmap utils/ctrl-api-test.c null_port_sync — objective: NIOCTXSYNC on a null port returns 0;
        // operations: 1) register NULL with 10x256 TX and 5x100 RX 2) TXSYNC. Here also: the TX tail
        // never moves (after N - 1 slots the ring stays full) and RX stays empty.
        using var handle = Domain.Open("null", TenByFive);

        Assert.Equal(SyncStatus.Ok, handle.TxSync());
        Assert.Equal(SyncStatus.Ok, handle.RxSync());

        var tx = handle.TxRings[3];
        tx.Head = tx.Cur = 255;
        Assert.Equal(SyncStatus.Ok, tx.TxSync());
        Assert.Equal(255u, tx.Tail);
        Assert.Equal(0u, tx.Space);
        Assert.True(tx.IsEmpty);
        Assert.Equal(SyncStatus.Ok, handle.TxSync());
        Assert.Equal(255u, tx.Head);
        Assert.Equal(255u, tx.Tail);
        Assert.Equal(0u, tx.Space);
        Assert.False(tx.TryInject([1, 2, 3]));

        foreach (var rx in handle.RxRings)
        {
            Assert.Equal(SyncStatus.Ok, rx.RxSync());
            Assert.Equal(0u, rx.Head);
            Assert.Equal(0u, rx.Tail);
            Assert.True(rx.IsEmpty);
        }

        // Buffers stay where they were.
        Assert.Equal(3060, Arena.InUse);
    }

    [Fact]
    public void Null_mode_on_a_netmap_name_needs_a_memory_region()
    {
        // netmap-notes §4: "Requires an existing memory region: nr_mem_id must be non-zero and known".
        var e = Assert.Throws<NetmapException>(() =>
            Domain.Open("netmap:foo", new RegisterOptions { Mode = RegisterMode.Null, MemId = 0 }));

        Assert.Equal(NetmapError.EINVAL, e.Code);
        Assert.Equal("netmap:foo", e.Subject);
        Assert.Equal(0, Arena.InUse);
        Assert.Equal(0, Domain.OpenHandles);
    }

    [Fact]
    public void Null_mode_on_a_netmap_name_with_a_region_is_a_null_port_named_after_it()
    {
        using var handle = Domain.Open("netmap:foo", new RegisterOptions { Mode = RegisterMode.Null, MemId = 1, TxSlots = 4, RxSlots = 4 });

        Assert.IsType<NullPort>(handle.Port);
        Assert.Equal("null:foo#1", handle.Port.Name);
        Assert.Equal(8, Arena.InUse);
    }

    [Fact]
    public void Null_name_keeps_its_given_name()
    {
        using var handle = Domain.Open("null:foo", new RegisterOptions { TxSlots = 4, RxSlots = 4 });

        Assert.Equal("null:foo#1", handle.Port.Name);
        Assert.Equal("null:foo", handle.Spec);
    }

    [Fact]
    public void Unknown_memory_region_is_EINVAL()
    {
        var e = Assert.Throws<NetmapException>(() => Domain.Open("null@9"));

        Assert.Equal(NetmapError.EINVAL, e.Code);
        Assert.Equal("null@9", e.Subject);
        Assert.Equal(0, Domain.OpenHandles);
    }

    [Fact]
    public void Unknown_memory_region_in_the_options_is_EINVAL()
    {
        var e = Assert.Throws<NetmapException>(() => Domain.Open("netmap:foo", new RegisterOptions { Mode = RegisterMode.Null, MemId = 9 }));

        Assert.Equal(NetmapError.EINVAL, e.Code);
        Assert.Equal("no memory region with id 9", e.Reason);
    }

    [Fact]
    public void Null_port_in_another_region_takes_its_buffers_there()
    {
        var memId = Domain.CreateRegion(new ArenaOptions { BufferCount = 64, BufferSize = 256, Checked = true });
        var region = Domain.GetRegion(memId);

        using var handle = Domain.Open($"null@{memId}", new RegisterOptions { TxSlots = 10, RxSlots = 20 });

        Assert.Equal(memId, handle.MemId);
        Assert.Same(region, handle.Arena);
        Assert.Equal(256, handle.TxRing.BufferSize);
        Assert.Equal(30, region.InUse);
        Assert.Equal(0, Arena.InUse);
    }

    [Fact]
    public void Memory_region_in_the_options_selects_the_region_of_a_null_name()
    {
        // RegisterOptions.MemId: "0 = the spec's, else the port's default" -- a plain "null" names no region.
        var memId = Domain.CreateRegion(new ArenaOptions { BufferCount = 64, BufferSize = 256, Checked = true });

        using var handle = Domain.Open("null", new RegisterOptions { MemId = memId, TxSlots = 10, RxSlots = 20 });

        Assert.Equal(memId, handle.MemId);
        Assert.Equal(30, Domain.GetRegion(memId).InUse);
        Assert.Equal(0, Arena.InUse);
    }

    [Fact]
    public void Two_opens_of_null_are_two_different_ports()
    {
        var options = new RegisterOptions { TxSlots = 4, RxSlots = 4 };
        using var a = Domain.Open("null", options);
        var b = Domain.Open("null", options);

        Assert.NotSame(a.Port, b.Port);
        Assert.Equal("null#1", a.Port.Name);
        Assert.Equal("null#2", b.Port.Name);
        Assert.NotEqual(a.Port.Owner, b.Port.Owner);
        Assert.NotSame(a.TxRing, b.TxRing);
        Assert.NotEqual(a.TxRing[0].BufIdx, b.TxRing[0].BufIdx);
        Assert.Equal(1, a.Port.Bindings);
        Assert.Equal(1, b.Port.Bindings);
        Assert.Equal(16, Arena.InUse);

        b.Dispose();

        Assert.Equal(8, Arena.InUse);
        Assert.False(a.Port.IsDestroyed);
        Assert.Equal(SyncStatus.Ok, a.TxSync());
    }

    [Fact]
    public void Exclusive_open_of_null_never_conflicts()
    {
        // Each open is a fresh port, so nothing is ever shared.
        using var a = Domain.Open("null/x", new RegisterOptions { TxSlots = 4, RxSlots = 4 });
        using var b = Domain.Open("null/x", new RegisterOptions { TxSlots = 4, RxSlots = 4 });

        Assert.Equal(RegisterFlags.Exclusive, a.Flags);
        Assert.Equal(RegisterFlags.Exclusive, b.Flags);
    }

    [Fact]
    public void Too_many_buffers_is_ENOMEM_and_leaks_nothing()
    {
        // 8190 usable buffers; 10 x 1024 TX slots do not fit.
        var e = Assert.Throws<NetmapException>(() => Domain.Open("null", new RegisterOptions { TxRings = 10, TxSlots = 1024, RxSlots = 1 }));

        Assert.Equal(NetmapError.ENOMEM, e.Code);
        Assert.Equal(0, Arena.InUse);
        Assert.Equal(0, Domain.OpenHandles);
    }

    [Fact]
    public void Running_out_in_the_RX_rings_gives_back_the_TX_buffers_too()
    {
        using var first = Domain.Open("null", new RegisterOptions { TxSlots = 100, RxSlots = 90 });

        // 7 x 1024 TX slots fit in the 8000 buffers left; the RX rings do not.
        var e = Assert.Throws<NetmapException>(() =>
            Domain.Open("null", new RegisterOptions { TxRings = 7, TxSlots = 1024, RxRings = 2, RxSlots = 1024 }));

        Assert.Equal(NetmapError.ENOMEM, e.Code);
        Assert.Equal(190, Arena.InUse);
        Assert.Equal(1, Domain.OpenHandles);
        Assert.Equal(new KeyValuePair<string, int>[] { new("null#1", 190) }, Arena.Audit().Holders);
    }

    public sealed record BadCounts(string Name, RegisterOptions Options)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<BadCounts> OutOfRangeCounts => new()
    {
        new("257 TX rings", new RegisterOptions { TxRings = 257, TxSlots = 1, RxSlots = 1 }),
        new("257 RX rings", new RegisterOptions { RxRings = 257, TxSlots = 1, RxSlots = 1 }),
        new("65537 TX slots", new RegisterOptions { TxSlots = 65537 }),
        new("negative RX slots", new RegisterOptions { RxSlots = -1 }),
        new("negative TX rings", new RegisterOptions { TxRings = -1 }),
    };

    [Theory]
    [MemberData(nameof(OutOfRangeCounts))]
    public void Counts_out_of_range_are_EINVAL(BadCounts row)
    {
        var e = Assert.Throws<NetmapException>(() => Domain.Open("null", row.Options));

        Assert.Equal(NetmapError.EINVAL, e.Code);
        Assert.Equal(0, Arena.InUse);
    }

    [Fact]
    public void Null_port_supports_offsets()
    {
        using var handle = Domain.Open("null", new RegisterOptions
        {
            TxSlots = 4,
            RxSlots = 4,
            Offsets = new OffsetOptions { MaxOffset = 256, InitialOffset = 128, Bits = 16, MinGap = 1024 },
        });

        Assert.Equal(256ul, handle.MaxOffset);
        foreach (var ring in new[] { handle.TxRing, handle.RxRing })
        {
            Assert.Equal(0xFFFFul, ring.OffsetMask);
            Assert.Equal(256ul, ring.MaxOffset);
            Assert.Equal(1024, ring.HwBufLen); // min(2048 - 256, 1024)
            for (uint i = 0; i < ring.NumSlots; i++)
            {
                Assert.Equal(128ul, ring.GetOffset(in ring[i]));
            }
        }
    }

    [Fact]
    public void Closing_twice_is_harmless()
    {
        var handle = Domain.Open("null", new RegisterOptions { TxSlots = 4, RxSlots = 4 });

        handle.Dispose();
        handle.Dispose();

        Assert.Equal(0, Arena.InUse);
        Assert.Equal(0, Domain.OpenHandles);
    }
}
