using System.Runtime.InteropServices;
using Netmap.Io.Memory;
using Netmap.Io.Ports;
using Netmap.Io.Rings;

namespace Netmap.Io.Tests.Ports;

// netmap_do_regif as NetmapDomain.Open does it (netmap-notes §0 "Ring selection", "Exclusive access",
// §2 offsets validation, §1.5 extra buffers), over null ports: they have no host rings and are never
// shared, so each open sees a fresh port.
public sealed class RegistrationTests : NetmapTestBase
{
    private PortHandle Open(RegisterMode? mode = null, uint? ringId = null, int txRings = 4, int rxRings = 4,
        RegisterFlags flags = RegisterFlags.None, string spec = "null") =>
        Domain.Open(spec, new RegisterOptions
        {
            Mode = mode,
            RingId = ringId,
            TxRings = txRings,
            RxRings = rxRings,
            TxSlots = 4,
            RxSlots = 4,
            Flags = flags,
        });

    private static int[] Ids(ReadOnlySpan<Ring> rings)
    {
        var ids = new int[rings.Length];
        for (var i = 0; i < rings.Length; i++)
        {
            ids[i] = rings[i].RingId;
        }

        return ids;
    }

    private static int[] BoundIds(IReadOnlyList<Ring> rings) =>
        rings.Where(r => r.IsBound).Select(r => r.RingId).ToArray();

    private void AssertNothingLeft()
    {
        Assert.Equal(0, Arena.InUse);
        Assert.Equal(0, Domain.OpenHandles);
    }

    // ---------------------------------------------------------------- ring selection

    [Fact]
    public void Null_mode_binds_every_NIC_ring_as_ALL_NIC_does()
    {
        using var handle = Open();

        Assert.Equal(RegisterMode.Null, handle.Mode);
        Assert.Equal([0, 1, 2, 3], Ids(handle.TxRings));
        Assert.Equal([0, 1, 2, 3], Ids(handle.RxRings));
        Assert.Equal([0, 1, 2, 3], BoundIds(handle.Port.TxRings));
        Assert.Equal([0, 1, 2, 3], BoundIds(handle.Port.RxRings));
        Assert.Same(handle.Port.TxRings[0], handle.TxRing);
        Assert.Same(handle.Port.RxRings[0], handle.RxRing);
    }

    [Fact]
    public void ALL_NIC_binds_every_NIC_ring()
    {
        using var handle = Open(RegisterMode.AllNic);

        Assert.Equal(RegisterMode.AllNic, handle.Mode);
        Assert.Equal([0, 1, 2, 3], Ids(handle.TxRings));
        Assert.Equal([0, 1, 2, 3], Ids(handle.RxRings));
    }

    [Fact]
    public void ONE_NIC_binds_one_ring_per_direction()
    {
        using var handle = Open(RegisterMode.OneNic, ringId: 2);

        Assert.Equal(RegisterMode.OneNic, handle.Mode);
        Assert.Equal(2u, handle.RingId);
        Assert.Equal([2], Ids(handle.TxRings));
        Assert.Equal([2], Ids(handle.RxRings));
        Assert.Equal([2], BoundIds(handle.Port.TxRings));
        Assert.Equal([2], BoundIds(handle.Port.RxRings));
        // The port still has all its rings, with buffers.
        Assert.Equal(4 * 4 * 2, Arena.InUse);
    }

    [Theory]
    [InlineData(4, 2, 3u, 3, 0)] // past the RX count: RX ring 0
    [InlineData(2, 4, 3u, 0, 3)] // past the TX count: TX ring 0
    [InlineData(1, 3, 2u, 0, 2)]
    public void ONE_NIC_past_one_direction_uses_ring_0_of_that_direction(int txRings, int rxRings, uint ringId, int tx, int rx)
    {
        using var handle = Open(RegisterMode.OneNic, ringId, txRings, rxRings);

        Assert.Equal([tx], Ids(handle.TxRings));
        Assert.Equal([rx], Ids(handle.RxRings));
    }

    [Theory]
    [InlineData(4, 4, 4u)]
    [InlineData(4, 2, 4u)]
    [InlineData(1, 1, 1u)]
    [InlineData(4, 4, 4094u)]
    public void ONE_NIC_past_both_directions_is_EINVAL(int txRings, int rxRings, uint ringId)
    {
        var e = Assert.Throws<NetmapException>(() => Open(RegisterMode.OneNic, ringId, txRings, rxRings));

        Assert.Equal(NetmapError.EINVAL, e.Code);
        Assert.Equal("null", e.Subject);
        AssertNothingLeft();
    }

    [Theory]
    [InlineData(RegisterMode.Sw)]
    [InlineData(RegisterMode.NicSw)]
    [InlineData(RegisterMode.OneSw)]
    public void Host_ring_modes_on_a_port_without_host_rings_are_EINVAL(RegisterMode mode)
    {
        var e = Assert.Throws<NetmapException>(() => Open(mode));

        Assert.Equal(NetmapError.EINVAL, e.Code);
        Assert.Equal("null", e.Subject);
        AssertNothingLeft();
    }

    [Theory]
    [InlineData("null/T", RegisterFlags.None)]
    [InlineData("null", RegisterFlags.TxRingsOnly)]
    public void TX_rings_only_binds_no_RX_ring(string spec, RegisterFlags flags)
    {
        using var handle = Open(flags: flags, spec: spec);

        Assert.Equal(RegisterFlags.TxRingsOnly, handle.Flags);
        Assert.Equal([0, 1, 2, 3], Ids(handle.TxRings));
        Assert.Equal(0, handle.RxRings.Length);
        Assert.Empty(BoundIds(handle.Port.RxRings));
        Assert.Equal(NetmapError.EINVAL, Assert.Throws<NetmapException>(() => handle.RxRing).Code);
        Assert.Equal(SyncStatus.Ok, handle.RxSync()); // no ring to sync
        Assert.Equal(NetmapError.ENXIO, Assert.Throws<NetmapException>(() => handle.Port.RxRings[0].RxSync()).Code);
    }

    [Theory]
    [InlineData("null/R", RegisterFlags.None)]
    [InlineData("null", RegisterFlags.RxRingsOnly)]
    public void RX_rings_only_binds_no_TX_ring(string spec, RegisterFlags flags)
    {
        using var handle = Open(flags: flags, spec: spec);

        Assert.Equal(RegisterFlags.RxRingsOnly, handle.Flags);
        Assert.Equal(0, handle.TxRings.Length);
        Assert.Equal([0, 1, 2, 3], Ids(handle.RxRings));
        Assert.Empty(BoundIds(handle.Port.TxRings));
        Assert.Equal(NetmapError.EINVAL, Assert.Throws<NetmapException>(() => handle.TxRing).Code);
        Assert.Equal(0, handle.Inject([1, 2, 3])); // no TX ring to inject into
    }

    [Fact]
    public void TX_rings_only_with_ONE_NIC_binds_one_TX_ring()
    {
        using var handle = Open(RegisterMode.OneNic, ringId: 1, flags: RegisterFlags.TxRingsOnly);

        Assert.Equal([1], Ids(handle.TxRings));
        Assert.Equal(0, handle.RxRings.Length);
    }

    [Theory]
    [InlineData(RegisterMode.PipeMaster)]
    [InlineData(RegisterMode.PipeSlave)]
    [InlineData(RegisterMode.Default)]
    [InlineData((RegisterMode)9)]
    [InlineData((RegisterMode)(-1))]
    public void Deprecated_and_unknown_modes_are_EINVAL(RegisterMode mode)
    {
        var e = Assert.Throws<NetmapException>(() => Domain.Open("netmap:pipe{1", new RegisterOptions { Mode = mode }));

        Assert.Equal(NetmapError.EINVAL, e.Code);
        Assert.Equal("netmap:pipe{1", e.Subject);
        AssertNothingLeft();
    }

    [Theory]
    [InlineData(RegisterMode.PipeMaster)]
    [InlineData(RegisterMode.PipeSlave)]
    [InlineData(RegisterMode.Default)]
    public void Deprecated_and_unset_modes_on_a_null_name_are_EINVAL(RegisterMode mode)
    {
        var e = Assert.Throws<NetmapException>(() => Open(mode));

        Assert.Equal(NetmapError.EINVAL, e.Code);
        AssertNothingLeft();
    }

    // ---------------------------------------------------------------- ring selection on pipes (through the spec)

    [Fact]
    public void ONE_NIC_in_the_spec_binds_one_ring_of_a_pipe_end()
    {
        using var handle = Domain.Open("netmap:pipeS{1-3", new RegisterOptions { TxRings = 4, RxRings = 2, TxSlots = 4, RxSlots = 4 });

        Assert.Equal(RegisterMode.OneNic, handle.Mode);
        Assert.Equal([3], Ids(handle.TxRings));
        Assert.Equal([0], Ids(handle.RxRings)); // only 2 RX rings: ring 0
    }

    [Fact]
    public void ONE_NIC_in_the_spec_past_both_directions_of_a_pipe_is_EINVAL()
    {
        var e = Assert.Throws<NetmapException>(() =>
            Domain.Open("netmap:pipeS{1-4", new RegisterOptions { TxRings = 4, RxRings = 2, TxSlots = 4, RxSlots = 4 }));

        Assert.Equal(NetmapError.EINVAL, e.Code);
        Assert.Equal("netmap:pipeS{1-4", e.Subject);
        AssertNothingLeft();
    }

    [Fact]
    public void Exclusive_check_is_all_or_nothing()
    {
        // netmap-notes §0 "Exclusive access": the first pass checks every selected ring, the second takes them.
        var sizes = new RegisterOptions { TxRings = 2, RxRings = 2, TxSlots = 4, RxSlots = 4 };
        using var ring0 = Domain.Open("netmap:pipeE{1-0/x", sizes);
        var port = ring0.Port;
        Assert.Equal([0], BoundIds(port.TxRings));

        var e = Assert.Throws<NetmapException>(() => Domain.Open("netmap:pipeE{1", sizes)); // wants rings 0 and 1

        Assert.Equal(NetmapError.EBUSY, e.Code);
        Assert.Equal("netmap:pipeE{1", e.Subject);
        Assert.Equal([0], BoundIds(port.TxRings)); // ring 1 was not taken
        Assert.Equal([0], BoundIds(port.RxRings));
        Assert.Equal(1, port.Bindings);

        using var ring1 = Domain.Open("netmap:pipeE{1-1/x", sizes); // the other ring is free
        Assert.Equal([0, 1], BoundIds(port.TxRings));
    }

    // ---------------------------------------------------------------- lookup errors

    [Fact]
    public void Unknown_port_is_ENXIO()
    {
        var e = Assert.Throws<NetmapException>(() => Domain.Open("netmap:eth0"));

        Assert.Equal(NetmapError.ENXIO, e.Code);
        Assert.Equal("netmap:eth0", e.Subject);
        Assert.StartsWith("netmap:eth0: ENXIO: ", e.Message, StringComparison.Ordinal);
        AssertNothingLeft();
    }

    [Theory]
    [InlineData("netmap:eth0/r", NetmapError.ENXIO)]
    [InlineData("netmap:eth0/t", NetmapError.ENXIO)]
    [InlineData("netmap:eth0/z", NetmapError.ENXIO)]
    [InlineData("netmap:pipe{1/r", NetmapError.EINVAL)]
    public void A_monitor_needs_an_existing_bound_parent(string spec, NetmapError code)
    {
        var e = Assert.Throws<NetmapException>(() => Domain.Open(spec));

        Assert.Equal(code, e.Code);
        Assert.StartsWith($"{spec}: {code}: ", e.Message, StringComparison.Ordinal);
        AssertNothingLeft();
    }

    [Fact]
    public void Monitor_flags_in_the_options_select_a_monitor()
    {
        var e = Assert.Throws<NetmapException>(() =>
            Domain.Open("netmap:pipe{1", new RegisterOptions { Flags = RegisterFlags.MonitorRx }));

        Assert.Equal(NetmapError.EINVAL, e.Code); // a monitor of pipe{1, which is not open
    }

    // ---------------------------------------------------------------- offsets validation (§2)

    public sealed record BadOffsets(string Name, OffsetOptions Offsets)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<BadOffsets> InvalidOffsets => new()
    {
        new("bits 65", new OffsetOptions { Bits = 65, MaxOffset = 64 }),
        new("max offset above the buffer size", new OffsetOptions { MaxOffset = 2049 }),
        new("max offset not representable in the bits", new OffsetOptions { Bits = 4, MaxOffset = 100 }),
        new("max offset 16 in 4 bits", new OffsetOptions { Bits = 4, MaxOffset = 16 }),
        new("initial offset above the max", new OffsetOptions { MaxOffset = 128, InitialOffset = 129 }),
        new("TX alignment 3, not a power of two", new OffsetOptions { MaxOffset = 128, TxAlign = 3 }),
        new("initial offset not a multiple of the TX alignment", new OffsetOptions { MaxOffset = 128, InitialOffset = 4, TxAlign = 8 }),
    };

    [Theory]
    [MemberData(nameof(InvalidOffsets))]
    public void Invalid_offsets_are_EINVAL_and_leave_nothing_behind(BadOffsets row)
    {
        var e = Assert.Throws<NetmapException>(() =>
            Domain.Open("null", new RegisterOptions { TxSlots = 4, RxSlots = 4, ExtraBuffers = 5, Offsets = row.Offsets }));

        Assert.Equal(NetmapError.EINVAL, e.Code);
        Assert.Equal("null", e.Subject);
        AssertNothingLeft();
    }

    public sealed record GoodOffsets(string Name, OffsetOptions Offsets, ulong Mask)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<GoodOffsets> ValidOffsets => new()
    {
        new("bits 0 = all of them", new OffsetOptions { MaxOffset = 2048 }, ulong.MaxValue),
        new("bits 64 = all of them", new OffsetOptions { Bits = 64, MaxOffset = 2048 }, ulong.MaxValue),
        new("max offset 15 in 4 bits", new OffsetOptions { Bits = 4, MaxOffset = 15, InitialOffset = 15 }, 0xF),
        new("max offset 0", new OffsetOptions(), ulong.MaxValue),
        new("TX alignment 64", new OffsetOptions { MaxOffset = 128, InitialOffset = 64, TxAlign = 64 }, ulong.MaxValue),
    };

    [Theory]
    [MemberData(nameof(ValidOffsets))]
    public void Valid_offsets_bind_with_their_mask_and_max(GoodOffsets row)
    {
        using var handle = Domain.Open("null", new RegisterOptions { TxSlots = 4, RxSlots = 4, Offsets = row.Offsets });

        Assert.Equal(row.Offsets.MaxOffset, handle.MaxOffset);
        Assert.Equal(row.Mask, handle.TxRing.OffsetMask);
        Assert.Equal(row.Mask, handle.RxRing.OffsetMask);
        Assert.Equal(row.Offsets.MaxOffset, handle.TxRing.MaxOffset);
        Assert.Equal(row.Offsets.TxAlign, handle.TxRing.TxAlign);
        Assert.Equal(row.Offsets.InitialOffset, handle.TxRing.GetOffset(in handle.TxRing[0]));
    }

    // ---------------------------------------------------------------- closed handles

    [Fact]
    public void Closed_handle_refuses_syncs_and_inject_with_ENXIO()
    {
        var handle = Open();
        var port = handle.Port;
        handle.Dispose();

        Assert.True(handle.IsClosed);
        Assert.True(port.IsDestroyed);
        Assert.Equal(0, port.Bindings);
        var e = Assert.Throws<NetmapException>(() => handle.TxSync());
        Assert.Equal(NetmapError.ENXIO, e.Code);
        Assert.Equal("null", e.Subject);
        Assert.Equal("null: ENXIO: the handle is closed", e.Message);
        Assert.Equal(NetmapError.ENXIO, Assert.Throws<NetmapException>(() => handle.RxSync()).Code);
        Assert.Equal(NetmapError.ENXIO, Assert.Throws<NetmapException>(() => handle.Inject([1])).Code);
        AssertNothingLeft();
    }

    // ---------------------------------------------------------------- extra buffers (§1.5)

    private static List<uint> WalkExtraList(PortHandle handle)
    {
        var list = new List<uint>();
        for (var index = handle.ExtraBuffersHead; index != 0; index = MemoryMarshal.Read<uint>(handle.Arena.GetBuffer(index)))
        {
            list.Add(index);
            Assert.True(list.Count <= handle.ExtraBuffersGranted, "the extra-buffer list is longer than granted");
        }

        return list;
    }

    [Fact]
    public void Extra_buffers_are_granted_as_a_list_and_freed_on_close()
    {
        // netmap utils/ctrl-api-test.c legacy_regif_extra_bufs — objective: a registration asking for 20 extra
        // buffers gets 20, as a list from ni_bufs_head; operations: 1) register with nr_extra_bufs 20 2) check the
        // count granted. Here also: the list layout, and that close frees it.
        var handle = Domain.Open("null", new RegisterOptions { TxSlots = 8, RxSlots = 8, ExtraBuffers = 20 });

        Assert.Equal(20, handle.ExtraBuffersGranted);
        var list = WalkExtraList(handle);
        Assert.Equal(20, list.Count);
        Assert.Equal(20, list.Distinct().Count());
        var inSlots = handle.TxRing.Slots.ToArray().Concat(handle.RxRing.Slots.ToArray()).Select(s => s.BufIdx).ToHashSet();
        foreach (var index in list)
        {
            Assert.True(Arena.IsValidIndex(index));
            Assert.DoesNotContain(index, inSlots);
            Assert.Equal(handle.Port.Owner, Arena.OwnerOf(index));
        }

        Assert.Equal(16 + 20, Arena.InUse);

        handle.Dispose();

        Assert.Equal(0u, handle.ExtraBuffersHead);
        AssertNothingLeft();
    }

    [Fact]
    public void Extra_buffers_are_fewer_when_the_region_runs_short()
    {
        var memId = Domain.CreateRegion(new ArenaOptions { BufferCount = 50, BufferSize = 256, Checked = true });
        var region = Domain.GetRegion(memId);

        // 48 usable; the rings take 32.
        using var handle = Domain.Open($"null@{memId}", new RegisterOptions { TxSlots = 16, RxSlots = 16, ExtraBuffers = 20 });

        Assert.Equal(16, handle.ExtraBuffersGranted);
        Assert.Equal(16, WalkExtraList(handle).Count);
        Assert.Equal(48, region.InUse);
    }

    [Fact]
    public void No_extra_buffers_asked_means_an_empty_list()
    {
        using var handle = Open();

        Assert.Equal(0, handle.ExtraBuffersGranted);
        Assert.Equal(0u, handle.ExtraBuffersHead);
    }

    [Fact]
    public void Swapping_an_extra_buffer_into_a_slot_and_giving_the_old_one_back_keeps_the_audit_clean()
    {
        // netmap functional -e (tests 004-006): the sender swaps an extra buffer into its TX slot.
        var handle = Domain.Open("null", new RegisterOptions { TxSlots = 8, RxSlots = 8, ExtraBuffers = 20 });
        var tx = handle.TxRing;
        var extra = handle.ExtraBuffersHead;
        var rest = MemoryMarshal.Read<uint>(Arena.GetBuffer(extra));
        var old = tx[0].BufIdx;

        Arena.GetBuffer(extra)[..4].Fill(0x63);
        tx[0] = tx[0] with { BufIdx = extra, Len = 4, Flags = SlotFlags.BufChanged };
        MemoryMarshal.Write(Arena.GetBuffer(old), in rest);
        handle.ExtraBuffersHead = old;
        tx.Head = tx.Cur = 1;
        Assert.Equal(SyncStatus.Ok, handle.TxSync());

        var list = WalkExtraList(handle);
        Assert.Equal(20, list.Count);
        Assert.Equal(old, list[0]);
        Assert.DoesNotContain(extra, list);
        Assert.Equal(16 + 20, Arena.InUse);

        handle.Dispose();

        AssertNothingLeft();
    }

    [Fact]
    public void Swapping_without_giving_a_buffer_back_leaks_it()
    {
        // PortHandle's contract: "a user that swapped extra buffers into slots must put the same number back
        // on the list". Here the old slot buffer is put nowhere.
        var handle = Domain.Open("null", new RegisterOptions { TxSlots = 8, RxSlots = 8, ExtraBuffers = 3 });
        var owner = handle.Port.Owner;
        var extra = handle.ExtraBuffersHead;
        var old = handle.TxRing[0].BufIdx;
        handle.ExtraBuffersHead = MemoryMarshal.Read<uint>(Arena.GetBuffer(extra)); // unlink it
        handle.TxRing[0] = handle.TxRing[0] with { BufIdx = extra, Flags = SlotFlags.BufChanged };

        handle.Dispose();

        var e = Assert.Throws<ArenaException>(Domain.AssertNoLeaks);
        Assert.Equal(ArenaViolation.Leak, e.Violation);
        Assert.Equal($"1 of 8190 buffers are out: null#1 holds 1 (indices {old})", e.Message);
        Arena.Free(old, owner); // so that this test's own audit passes
    }

    [Fact]
    public void Buffer_both_in_a_slot_and_on_the_extra_list_is_a_double_free_on_close_and_the_rest_is_still_freed()
    {
        // The user put the list head into a slot but left it on the list, and dropped the slot's old buffer.
        // netmap frees the list, then the rings, reporting the double free and going on ("ouch, double free").
        // Expected here: close reports the double free (checked arena) and still returns every other buffer,
        // so only the dropped one is out.
        var handle = Domain.Open("null", new RegisterOptions { TxSlots = 8, RxSlots = 8, ExtraBuffers = 3 });
        var owner = handle.Port.Owner;
        var old = handle.TxRing[0].BufIdx;
        handle.TxRing[0].BufIdx = handle.ExtraBuffersHead;

        var e = Assert.Throws<ArenaException>(handle.Dispose);

        Assert.Equal(ArenaViolation.DoubleFree, e.Violation);
        Assert.True(handle.IsClosed);
        Assert.Equal(0, Domain.OpenHandles);
        Assert.Equal(1, Arena.InUse);
        Assert.Equal(owner, Arena.OwnerOf(old));
        Arena.Free(old, owner);
    }
}
