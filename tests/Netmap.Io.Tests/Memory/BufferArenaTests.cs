using System.IO.MemoryMappedFiles;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Netmap.Io.Memory;

namespace Netmap.Io.Tests.Memory;

// The arena is netmap's netmap_mem_d (netmap-notes §1.1, §1.5): fixed-size buffers named by index,
// 0 and 1 reserved, an extra-buffer list threaded through the buffers. Every test ends with the arena
// empty (exact counts), as PipePoolTests does.
public sealed class BufferArenaTests
{
    // 10 buffers: indices 0 and 1 reserved, 8 usable (2..9).
    private const int SmallCount = 10;
    private const int SmallUsable = SmallCount - BufferArena.FirstValidIndex;

    private static BufferArena Small(bool isChecked = true) =>
        new(new ArenaOptions { BufferCount = SmallCount, BufferSize = 2048, Checked = isChecked });

    /// <summary>The address of a span's first byte, without unsafe code (the arena's memory never moves).</summary>
    private static nint Address(Span<byte> span) =>
        Unsafe.ByteOffset(ref Unsafe.NullRef<byte>(), ref MemoryMarshal.GetReference(span));

    // ---------------------------------------------------------------- shape

    [Fact]
    public void An_arena_larger_than_the_machine_is_ENOMEM_not_an_unhandled_OutOfMemoryException()
    {
        var error = Assert.Throws<NetmapException>(() => new BufferArena(new ArenaOptions { BufferCount = 16_777_216, BufferSize = 65_535 }));

        Assert.Equal(NetmapError.ENOMEM, error.Code);
        Assert.StartsWith("arena: ENOMEM: cannot allocate 1100585369600 bytes (16777216 buffers at a 65600-byte stride)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Base_is_64_byte_aligned_and_buffers_sit_one_stride_apart()
    {
        using var arena = new BufferArena(new ArenaOptions { BufferCount = 64, Checked = true });

        var first = Address(arena.GetBuffer(0));
        Assert.Equal(0, first % 64);
        for (uint i = 1; i < 64; i++)
        {
            var address = Address(arena.GetBuffer(i));
            Assert.Equal((nint)i * 2112, address - first);
            Assert.Equal(0, address % 64);
        }
    }

    [Fact]
    public void Default_options_give_16384_buffers_of_2048_bytes_at_a_2112_byte_stride()
    {
        using var arena = new BufferArena();

        Assert.Equal(16384, arena.BufferCount);
        Assert.Equal(2048, arena.BufferSize);
        Assert.Equal(2112, arena.Stride);
        Assert.Equal(2112L * 16384, arena.NativeBytes);
        Assert.False(arena.Checked);
        Assert.Null(arena.SharedMemoryPath);
        Assert.Equal(16382, arena.FreeCount);
        Assert.Equal(0, arena.InUse);
        Assert.Equal(2048, arena.GetBuffer(2).Length);
    }

    public sealed record StrideRow(string Name, int BufferSize, int Stride)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<StrideRow> DefaultStrides => new()
    {
        // A power of two is padded by one cache line, so buffer starts spread over the cache sets.
        new("2048 is padded to 2112 (not a power of two)", 2048, 2112),
        new("4096 is padded to 4160", 4096, 4160),
        new("64 is padded to 128", 64, 128),
        new("2000 rounds up to 2048, then is padded to 2112", 2000, 2112),
        new("100 rounds up to 128, then is padded to 192", 100, 192),
        new("1500 rounds up to 1536, not a power of two", 1500, 1536),
        new("9000 rounds up to 9024", 9000, 9024),
    };

    [Theory]
    [MemberData(nameof(DefaultStrides))]
    public void Default_stride_is_the_size_rounded_to_64_and_padded_off_powers_of_two(StrideRow row)
    {
        var options = new ArenaOptions { BufferCount = 4, BufferSize = row.BufferSize };
        using var arena = new BufferArena(options);

        Assert.Equal(row.Stride, options.EffectiveStride);
        Assert.Equal(row.Stride, arena.Stride);
        Assert.Equal((long)row.Stride * 4, arena.NativeBytes);
        Assert.Equal(row.Stride, Address(arena.GetBuffer(3)) - Address(arena.GetBuffer(2)));
        Assert.Equal(row.BufferSize, arena.GetBuffer(3).Length);
    }

    [Fact]
    public void Explicit_stride_is_used_as_given()
    {
        var options = new ArenaOptions { BufferCount = 8, BufferSize = 2048, Stride = 4096 };
        using var arena = new BufferArena(options);

        Assert.Equal(4096, options.EffectiveStride);
        Assert.Equal(4096, arena.Stride);
        Assert.Equal(4096L * 8, arena.NativeBytes);
        Assert.Equal(5 * 4096, Address(arena.GetBuffer(7)) - Address(arena.GetBuffer(2)));
        Assert.Equal(2048, arena.GetBuffer(7).Length);
    }

    public sealed record InvalidRow(string Name, ArenaOptions Options)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<InvalidRow> InvalidOptions => new()
    {
        new("buffer size 63", new ArenaOptions { BufferCount = 8, BufferSize = 63 }),
        new("buffer size 0", new ArenaOptions { BufferCount = 8, BufferSize = 0 }),
        new("buffer size 65536 (a slot length is 16 bits)", new ArenaOptions { BufferCount = 8, BufferSize = 65536 }),
        new("buffer count 2 (only the reserved ones)", new ArenaOptions { BufferCount = 2 }),
        new("buffer count 0", new ArenaOptions { BufferCount = 0 }),
        new("buffer count 2^24 + 1", new ArenaOptions { BufferCount = (1 << 24) + 1 }),
        new("stride smaller than the buffer", new ArenaOptions { BufferCount = 8, BufferSize = 2048, Stride = 1984 }),
        new("stride not a multiple of 64", new ArenaOptions { BufferCount = 8, BufferSize = 2048, Stride = 2100 }),
        new("negative stride", new ArenaOptions { BufferCount = 8, BufferSize = 2048, Stride = -64 }),
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Invalid_options_are_rejected_with_EINVAL(InvalidRow row)
    {
        var e = Assert.Throws<NetmapException>(() => new BufferArena(row.Options));

        Assert.Equal(NetmapError.EINVAL, e.Code);
        Assert.Equal("arena", e.Subject);
    }

    [Fact]
    public void Smallest_arena_has_one_usable_buffer()
    {
        using var arena = new BufferArena(new ArenaOptions { BufferCount = 3, BufferSize = 64, Checked = true });
        var owner = arena.RegisterOwner("t");

        Assert.Equal(2u, arena.Alloc(owner));
        Assert.False(arena.TryAlloc(owner, out _));
        arena.Free(2, owner);
        arena.AssertNoLeaks();
    }

    // ---------------------------------------------------------------- alloc and free

    [Fact]
    public void Indices_0_and_1_are_never_handed_out()
    {
        using var arena = Small();
        var owner = arena.RegisterOwner("ring");

        var got = new List<uint>();
        while (arena.TryAlloc(owner, out var index))
        {
            got.Add(index);
        }

        // A fresh arena hands out the lowest indices first.
        Assert.Equal([2u, 3u, 4u, 5u, 6u, 7u, 8u, 9u], got);
        Assert.False(arena.IsValidIndex(0));
        Assert.False(arena.IsValidIndex(1));
        Assert.True(arena.IsValidIndex(2));
        Assert.True(arena.IsValidIndex(SmallCount - 1));
        Assert.False(arena.IsValidIndex(SmallCount));
        Assert.False(arena.IsValidIndex(uint.MaxValue));
        // The reserved buffers exist (netmap maps them) but belong to nobody.
        Assert.Equal(2048, arena.GetBuffer(0).Length);
        Assert.Equal(ArenaOwner.None, arena.OwnerOf(0));
        Assert.Equal(ArenaOwner.None, arena.OwnerOf(1));

        arena.FreeBatch(got.ToArray(), owner);
        arena.AssertNoLeaks();
    }

    [Fact]
    public void Exhausted_arena_fails_TryAlloc_and_Alloc_throws_ENOMEM()
    {
        using var arena = Small();
        var owner = arena.RegisterOwner("ring");
        var all = new uint[SmallUsable];
        Assert.Equal(SmallUsable, arena.AllocBatch(owner, all));
        Assert.Equal(0, arena.FreeCount);
        Assert.Equal(SmallUsable, arena.InUse);

        Assert.False(arena.TryAlloc(owner, out var index));
        Assert.Equal(0u, index);
        var e = Assert.Throws<NetmapException>(() => arena.Alloc(owner));
        Assert.Equal(NetmapError.ENOMEM, e.Code);
        Assert.Equal("arena", e.Subject);
        Assert.Equal(0, arena.FreeCount);

        arena.FreeBatch(all, owner);
        Assert.Equal(SmallUsable, arena.FreeCount);
        arena.AssertNoLeaks();
    }

    [Fact]
    public void Freed_buffer_goes_back_and_is_handed_out_next()
    {
        using var arena = Small();
        var owner = arena.RegisterOwner("ring");
        var a = arena.Alloc(owner);
        var b = arena.Alloc(owner);
        Assert.Equal(2, arena.InUse);
        Assert.Equal(SmallUsable - 2, arena.FreeCount);

        arena.Free(a, owner);
        Assert.Equal(1, arena.InUse);
        Assert.Equal(SmallUsable - 1, arena.FreeCount);
        Assert.Equal(ArenaOwner.None, arena.OwnerOf(a));

        // The free list is a stack: the last freed buffer is the next one out.
        Assert.Equal(a, arena.Alloc(owner));

        arena.Free(a, owner);
        arena.Free(b, owner);
        Assert.Equal(0, arena.InUse);
        arena.AssertNoLeaks();
    }

    [Fact]
    public void AllocBatch_fills_up_to_the_free_count_and_FreeBatch_returns_them()
    {
        using var arena = Small();
        var owner = arena.RegisterOwner("batch");

        var five = new uint[5];
        Assert.Equal(5, arena.AllocBatch(owner, five));
        Assert.Equal([2u, 3u, 4u, 5u, 6u], five);
        Assert.Equal(5, arena.InUse);

        var ten = new uint[10];
        Assert.Equal(3, arena.AllocBatch(owner, ten));
        Assert.Equal([7u, 8u, 9u, 0u, 0u, 0u, 0u, 0u, 0u, 0u], ten);
        Assert.Equal(SmallUsable, arena.InUse);
        Assert.Equal(0, arena.AllocBatch(owner, ten));

        arena.FreeBatch(five, owner);
        Assert.Equal(3, arena.InUse);
        Assert.Equal(5, arena.FreeCount);
        arena.FreeBatch(ten.AsSpan(0, 3), owner);
        Assert.Equal(0, arena.InUse);
        Assert.Equal(SmallUsable, arena.FreeCount);
        Assert.Equal(0, arena.AllocBatch(owner, Span<uint>.Empty));
        arena.AssertNoLeaks();
    }

    [Fact]
    public void Buffers_are_zeroed_and_keep_what_their_owner_writes()
    {
        using var arena = Small();
        var owner = arena.RegisterOwner("ring");
        var a = arena.Alloc(owner);
        var b = arena.Alloc(owner);

        Assert.True(arena.GetBuffer(a).IndexOfAnyExcept((byte)0) < 0);
        arena.GetBuffer(a).Fill(0xAA);
        arena.GetBuffer(b).Fill(0xBB);

        // Padding keeps neighbours apart: writing a whole buffer never touches the next one.
        Assert.True(arena.GetBuffer(a).IndexOfAnyExcept((byte)0xAA) < 0);
        Assert.True(arena.GetBuffer(b).IndexOfAnyExcept((byte)0xBB) < 0);

        arena.Free(a, owner);
        arena.Free(b, owner);
        arena.AssertNoLeaks();
    }

    [Fact]
    public void GetBuffer_past_the_arena_is_InvalidIndex()
    {
        using var arena = Small();

        var e = Assert.Throws<ArenaException>(() => arena.GetBuffer(SmallCount));
        Assert.Equal(ArenaViolation.InvalidIndex, e.Violation);
        Assert.Equal("buffer index 10 is outside [2, 10)", e.Message);
    }

    // ---------------------------------------------------------------- checked mode

    [Fact]
    public void Double_free_is_reported()
    {
        using var arena = Small();
        var owner = arena.RegisterOwner("rx ring 0");
        var index = arena.Alloc(owner);
        arena.Free(index, owner);

        var e = Assert.Throws<ArenaException>(() => arena.Free(index, owner));

        Assert.Equal(ArenaViolation.DoubleFree, e.Violation);
        Assert.Equal("free of buffer 2 by 'rx ring 0': the buffer is already free (double free)", e.Message);
        // The free list was not corrupted.
        Assert.Equal(SmallUsable, arena.FreeCount);
        arena.AssertNoLeaks();
    }

    [Fact]
    public void Free_by_a_non_owner_is_reported_and_the_buffer_stays_with_its_owner()
    {
        using var arena = Small();
        var ring = arena.RegisterOwner("tx ring 0");
        var pool = arena.RegisterOwner("batch pool");
        var index = arena.Alloc(ring);

        var e = Assert.Throws<ArenaException>(() => arena.Free(index, pool));

        Assert.Equal(ArenaViolation.NotOwner, e.Violation);
        Assert.Equal("free of buffer 2 by 'batch pool': it is held by 'tx ring 0'", e.Message);
        Assert.Equal(ring, arena.OwnerOf(index));
        Assert.Equal(1, arena.InUse);

        arena.Free(index, ring);
        arena.AssertNoLeaks();
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(1u)]
    [InlineData(10u)]
    [InlineData(uint.MaxValue)]
    public void Free_of_an_invalid_index_is_reported(uint index)
    {
        using var arena = Small();
        var owner = arena.RegisterOwner("ring");

        var e = Assert.Throws<ArenaException>(() => arena.Free(index, owner));

        Assert.Equal(ArenaViolation.InvalidIndex, e.Violation);
        Assert.Equal($"buffer index {index} is outside [2, 10)", e.Message);
        Assert.Equal(SmallUsable, arena.FreeCount);
    }

    [Fact]
    public void Unchecked_arena_still_rejects_an_invalid_index()
    {
        using var arena = Small(isChecked: false);

        var e = Assert.Throws<ArenaException>(() => arena.Free(1, ArenaOwner.None));

        Assert.Equal(ArenaViolation.InvalidIndex, e.Violation);
        Assert.Equal(SmallUsable, arena.FreeCount);
    }

    [Fact]
    public void Leak_names_the_owner_and_the_count()
    {
        using var arena = Small();
        var ring = arena.RegisterOwner("null#1");
        var pool = arena.RegisterOwner("batch pool");
        var r1 = arena.Alloc(ring);
        var r2 = arena.Alloc(ring);
        var r3 = arena.Alloc(ring);
        var p1 = arena.Alloc(pool);

        var e = Assert.Throws<ArenaException>(arena.AssertNoLeaks);

        Assert.Equal(ArenaViolation.Leak, e.Violation);
        Assert.Equal("4 of 8 buffers are out: null#1 holds 3, batch pool holds 1 (indices 2, 3, 4, 5)", e.Message);

        arena.Free(r1, ring);
        arena.Free(r2, ring);
        arena.Free(p1, pool);
        e = Assert.Throws<ArenaException>(arena.AssertNoLeaks);
        Assert.Equal("1 of 8 buffers are out: null#1 holds 1 (indices 4)", e.Message);

        arena.Free(r3, ring);
        arena.AssertNoLeaks();
    }

    [Fact]
    public void Unchecked_arena_reports_a_leak_without_owners()
    {
        using var arena = Small(isChecked: false);
        var index = arena.Alloc(ArenaOwner.None);

        var e = Assert.Throws<ArenaException>(arena.AssertNoLeaks);

        Assert.Equal(ArenaViolation.Leak, e.Violation);
        Assert.Equal("1 of 8 buffers are out: unknown (arena not checked) holds 1", e.Message);
        arena.Free(index, ArenaOwner.None);
        arena.AssertNoLeaks();
    }

    [Fact]
    public void Transfer_moves_ownership()
    {
        using var arena = Small();
        var ring = arena.RegisterOwner("rx ring 0");
        var batch = arena.RegisterOwner("batch 7");
        var index = arena.Alloc(ring);

        arena.Transfer(index, ring, batch);

        Assert.Equal(batch, arena.OwnerOf(index));
        Assert.Equal("batch 7", arena.OwnerName(arena.OwnerOf(index)));
        var e = Assert.Throws<ArenaException>(() => arena.Free(index, ring));
        Assert.Equal(ArenaViolation.NotOwner, e.Violation);
        Assert.Equal("free of buffer 2 by 'rx ring 0': it is held by 'batch 7'", e.Message);
        // A transfer by an owner that no longer holds it is the same bug.
        e = Assert.Throws<ArenaException>(() => arena.Transfer(index, ring, batch));
        Assert.Equal(ArenaViolation.NotOwner, e.Violation);
        Assert.Equal("transfer of buffer 2 by 'rx ring 0': it is held by 'batch 7'", e.Message);

        arena.Free(index, batch);
        // A transfer of a free buffer is a use after free.
        e = Assert.Throws<ArenaException>(() => arena.Transfer(index, batch, ring));
        Assert.Equal(ArenaViolation.DoubleFree, e.Violation);
        arena.AssertNoLeaks();
    }

    [Fact]
    public void Owners_get_distinct_ids_and_keep_their_names()
    {
        using var arena = Small();

        var a = arena.RegisterOwner("a");
        var b = arena.RegisterOwner("b");

        Assert.Equal(new ArenaOwner(1), a);
        Assert.Equal(new ArenaOwner(2), b);
        Assert.Equal("a", arena.OwnerName(a));
        Assert.Equal("b", arena.OwnerName(b));
        Assert.Equal("free", arena.OwnerName(ArenaOwner.None));
        Assert.Equal("owner#99", arena.OwnerName(new ArenaOwner(99)));
    }

    [Fact]
    public void Use_after_dispose_is_reported()
    {
        var arena = Small();
        var owner = arena.RegisterOwner("ring");
        arena.Dispose();
        arena.Dispose(); // idempotent

        var e = Assert.Throws<ArenaException>(() => arena.TryAlloc(owner, out _));
        Assert.Equal(ArenaViolation.Disposed, e.Violation);
        e = Assert.Throws<ArenaException>(() => arena.Free(2, owner));
        Assert.Equal(ArenaViolation.Disposed, e.Violation);
    }

    // ---------------------------------------------------------------- audit

    [Fact]
    public void Audit_counts_holders_free_buffers_and_native_bytes()
    {
        using var arena = Small();
        var a = arena.RegisterOwner("a");
        var b = arena.RegisterOwner("b");
        arena.RegisterOwner("unused");
        var a1 = arena.Alloc(a);
        var b1 = arena.Alloc(b);
        var a2 = arena.Alloc(a);

        var audit = arena.Audit();

        Assert.Equal(SmallCount, audit.Total);
        Assert.Equal(SmallUsable, audit.Usable);
        Assert.Equal(5, audit.Free);
        Assert.Equal(3, audit.InUse);
        Assert.Equal(2112L * SmallCount, audit.NativeBytes);
        Assert.Equal(new KeyValuePair<string, int>[] { new("a", 2), new("b", 1) }, audit.Holders);
        Assert.Equal([a1, b1, a2], audit.SampleIndices);
        Assert.Equal("3 of 8 buffers are out: a holds 2, b holds 1 (indices 2, 3, 4)", audit.ToString());

        arena.FreeBatch([a1, a2], a);
        arena.Free(b1, b);
        audit = arena.Audit();
        Assert.Equal(0, audit.InUse);
        Assert.Equal(SmallUsable, audit.Free);
        Assert.Empty(audit.Holders);
        Assert.Empty(audit.SampleIndices);
        Assert.Equal("all 8 buffers are free", audit.ToString());
    }

    [Fact]
    public void Audit_samples_at_most_16_indices()
    {
        using var arena = new BufferArena(new ArenaOptions { BufferCount = 40, BufferSize = 64, Checked = true });
        var owner = arena.RegisterOwner("ring");
        var all = new uint[38];
        Assert.Equal(38, arena.AllocBatch(owner, all));

        var audit = arena.Audit();

        Assert.Equal(38, audit.InUse);
        Assert.Equal(16, audit.SampleIndices.Count);
        Assert.Equal(all.AsSpan(0, 16).ToArray(), audit.SampleIndices);
        Assert.Equal(new KeyValuePair<string, int>[] { new("ring", 38) }, audit.Holders);

        arena.FreeBatch(all, owner);
        arena.AssertNoLeaks();
    }

    // ---------------------------------------------------------------- extra-buffer list (netmap-notes §1.5)

    /// <summary>Walks an extra-buffer list as netmap's users do: the first 4 bytes of each buffer, native-endian.</summary>
    private static List<uint> Walk(BufferArena arena, uint head)
    {
        var list = new List<uint>();
        while (head != 0)
        {
            list.Add(head);
            head = MemoryMarshal.Read<uint>(arena.GetBuffer(head));
            Assert.True(list.Count <= arena.BufferCount, "the list loops");
        }

        return list;
    }

    [Fact]
    public void Extra_list_is_built_LIFO_with_native_endian_links_ending_in_0()
    {
        using var arena = Small();
        var owner = arena.RegisterOwner("handle");

        var head = arena.AllocExtraList(owner, 5, out var granted);

        Assert.Equal(5, granted);
        Assert.Equal(5, arena.InUse);
        // Allocated 2, 3, 4, 5, 6 in that order; each new buffer links to the previous head.
        Assert.Equal(6u, head);
        Assert.Equal([6u, 5u, 4u, 3u, 2u], Walk(arena, head));
        Assert.Equal(BitConverter.IsLittleEndian ? new byte[] { 5, 0, 0, 0 } : [0, 0, 0, 5], arena.GetBuffer(6)[..4].ToArray());
        Assert.Equal(0u, MemoryMarshal.Read<uint>(arena.GetBuffer(2)));
        foreach (var index in Walk(arena, head))
        {
            Assert.Equal(owner, arena.OwnerOf(index));
        }

        Assert.Equal(5, arena.FreeExtraList(head, owner));
        arena.AssertNoLeaks();
    }

    [Fact]
    public void Extra_list_grants_fewer_buffers_when_the_arena_runs_short()
    {
        using var arena = Small();
        var owner = arena.RegisterOwner("handle");
        var ring = new uint[3];
        arena.AllocBatch(owner, ring);

        var head = arena.AllocExtraList(owner, 20, out var granted);

        Assert.Equal(5, granted);
        Assert.Equal(SmallUsable, arena.InUse);
        Assert.Equal([9u, 8u, 7u, 6u, 5u], Walk(arena, head));

        Assert.Equal(5, arena.FreeExtraList(head, owner));
        arena.FreeBatch(ring, owner);
        arena.AssertNoLeaks();
    }

    [Fact]
    public void Extra_list_of_nothing_has_head_0()
    {
        using var arena = Small();
        var owner = arena.RegisterOwner("handle");
        var all = new uint[SmallUsable];
        arena.AllocBatch(owner, all);

        Assert.Equal(0u, arena.AllocExtraList(owner, 0, out var granted));
        Assert.Equal(0, granted);
        Assert.Equal(0u, arena.AllocExtraList(owner, 4, out granted));
        Assert.Equal(0, granted);
        Assert.Equal(0, arena.FreeExtraList(0, owner));
        Assert.Throws<ArgumentOutOfRangeException>(() => arena.AllocExtraList(owner, -1, out _));

        arena.FreeBatch(all, owner);
        arena.AssertNoLeaks();
    }

    [Fact]
    public void FreeExtraList_frees_exactly_the_list()
    {
        using var arena = Small();
        var owner = arena.RegisterOwner("handle");
        var before = arena.Alloc(owner);
        var head = arena.AllocExtraList(owner, 4, out _);
        var after = arena.Alloc(owner);
        Assert.Equal(6, arena.InUse);

        Assert.Equal(4, arena.FreeExtraList(head, owner));

        Assert.Equal(2, arena.InUse);
        Assert.Equal(owner, arena.OwnerOf(before));
        Assert.Equal(owner, arena.OwnerOf(after));
        arena.Free(before, owner);
        arena.Free(after, owner);
        arena.AssertNoLeaks();
    }

    [Theory]
    [InlineData(1u)]
    [InlineData(10u)]
    [InlineData(0xFFFFFFFFu)]
    public void FreeExtraList_stops_at_an_invalid_index(uint badLink)
    {
        using var arena = Small();
        var owner = arena.RegisterOwner("handle");
        var head = arena.AllocExtraList(owner, 5, out _);
        var list = Walk(arena, head); // 6, 5, 4, 3, 2
        MemoryMarshal.Write(arena.GetBuffer(list[2]), in badLink); // 4 -> bad

        Assert.Equal(3, arena.FreeExtraList(head, owner));

        // 3 and 2 are cut off the list: still held, as netmap leaves them.
        Assert.Equal(2, arena.InUse);
        Assert.Equal(owner, arena.OwnerOf(3));
        Assert.Equal(owner, arena.OwnerOf(2));
        arena.Free(3, owner);
        arena.Free(2, owner);
        arena.AssertNoLeaks();
    }

    [Fact]
    public void FreeExtraList_stops_at_a_buffer_that_is_already_free()
    {
        using var arena = Small();
        var owner = arena.RegisterOwner("handle");
        var head = arena.AllocExtraList(owner, 3, out _); // 4 -> 3 -> 2
        arena.Free(3, owner);

        Assert.Equal(1, arena.FreeExtraList(head, owner));

        Assert.Equal(1, arena.InUse);
        arena.Free(2, owner);
        arena.AssertNoLeaks();
    }

    [Fact]
    public void FreeExtraList_stops_on_a_loop()
    {
        using var arena = Small();
        var owner = arena.RegisterOwner("handle");
        var head = arena.AllocExtraList(owner, 3, out _); // 4 -> 3 -> 2
        var link = head;
        MemoryMarshal.Write(arena.GetBuffer(2), in link); // 2 -> 4: a cycle

        Assert.Equal(3, arena.FreeExtraList(head, owner));
        arena.AssertNoLeaks();
    }

    // ---------------------------------------------------------------- shared memory

    private static string ShmPath() => $"/dev/shm/netmap-io-test-{Guid.NewGuid():N}";

    [Fact]
    public void Shared_memory_arena_can_be_mapped_independently()
    {
        var path = ShmPath();
        const int Count = 16;
        using (var arena = new BufferArena(new ArenaOptions { BufferCount = Count, SharedMemoryPath = path, Checked = true }))
        {
            Assert.Equal(path, arena.SharedMemoryPath);
            Assert.True(File.Exists(path));
            Assert.Equal(2112L * Count, new FileInfo(path).Length);
            Assert.Equal(0, Address(arena.GetBuffer(0)) % 64);

            var owner = arena.RegisterOwner("writer");
            var index = arena.Alloc(owner);
            var payload = new byte[300];
            for (var i = 0; i < payload.Length; i++)
            {
                payload[i] = (byte)((i * 7) + 1);
            }

            payload.CopyTo(arena.GetBuffer(index));

            // A second, independent mapping of the same file, as another process would make.
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
            using (var map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false))
            using (var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.ReadWrite))
            {
                var read = new byte[payload.Length];
                Assert.Equal(read.Length, view.ReadArray((long)index * arena.Stride, read, 0, read.Length));
                Assert.Equal(payload, read);
                Assert.Equal(0, view.ReadByte(((long)index * arena.Stride) + payload.Length));

                // And the other way: what the second mapping writes, the arena sees.
                view.Write(((long)(index + 1) * arena.Stride) + 10, 0x5A);
                view.Flush();
            }

            Assert.Equal(0x5A, arena.GetBuffer(index + 1)[10]);
            arena.Free(index, owner);
            arena.AssertNoLeaks();
        }

        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Shared_memory_file_is_kept_when_asked()
    {
        var path = ShmPath();
        try
        {
            using (var arena = new BufferArena(new ArenaOptions
            {
                BufferCount = 4,
                BufferSize = 64,
                SharedMemoryPath = path,
                DeleteSharedMemoryOnDispose = false,
            }))
            {
                arena.GetBuffer(3)[0] = 0x42;
            }

            Assert.True(File.Exists(path));
            var bytes = File.ReadAllBytes(path);
            Assert.Equal(4 * 128, bytes.Length);
            Assert.Equal(0x42, bytes[3 * 128]);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
