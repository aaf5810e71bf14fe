using Netmap.Io.Memory;
using Netmap.Io.Rings;
using Pipeline.Runtime;

namespace Pipeline.Tests.Runtime;

public sealed class PacketBatchTests : IDisposable
{
    private readonly BufferArena _arena = new(new ArenaOptions { BufferCount = 64, Checked = true });
    private readonly BatchPool _pool;

    public PacketBatchTests()
    {
        _pool = new BatchPool(_arena, capacity: 8, initialBatches: 2, isChecked: true);
    }

    [Fact]
    public void A_view_opened_before_a_send_throws_after_it()
    {
        var owner = new object();
        var batch = Filled(owner, 3);
        var view = batch.Open();
        Assert.Equal(3, view.Count);

        batch.TransferTo(new object(), "next-stage", "a.out");

        var ex = Catch(view, static v => _ = v.Count);
        Assert.Contains("used after it changed owner", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'next-stage'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'a.out'", ex.Message, StringComparison.Ordinal);
        _pool.Return(batch);
    }

    [Fact]
    public void Opening_a_batch_held_by_someone_else_throws_in_checked_mode()
    {
        var first = new object();
        var batch = Filled(first, 1);
        batch.TransferTo(new object(), "b", "a.out");
        var previous = OwnershipScope.Enter(first, "first");
        try
        {
            Assert.Throws<OwnershipException>(() => batch.Open());
        }
        finally
        {
            OwnershipScope.Exit(previous);
        }

        _pool.Return(batch);
    }

    [Fact]
    public void A_view_of_a_batch_returned_to_the_pool_is_dead()
    {
        var batch = Filled(new object(), 2);
        var view = batch.Open();
        Assert.Equal(2, _pool.Return(batch)); // its packets' buffers went back with it
        Catch(view, static v => _ = v[0].Length);
        Assert.Equal(0, _arena.InUse);
    }

    [Fact]
    public void Claim_by_the_wrong_actor_is_reported()
    {
        var batch = Filled(new object(), 1);
        var ex = Assert.Throws<OwnershipException>(() => batch.Claim(new object(), "intruder"));
        Assert.Contains("arrived at 'intruder'", ex.Message, StringComparison.Ordinal);
        _pool.Return(batch);
    }

    [Fact]
    public void An_unchecked_pool_hands_back_the_batch_returned_last()
    {
        var pool = new BatchPool(_arena, capacity: 8, initialBatches: 2, isChecked: false);
        var a = pool.Rent(this, "test");
        pool.Return(a);
        var b = pool.Rent(this, "test");
        Assert.Same(a, b); // LIFO: the one most likely in cache
        Assert.Equal(1, pool.Rented);
        pool.Return(b);
        Assert.Equal(0, pool.Rented);
    }

    [Fact]
    public void A_checked_pool_rotates_its_batches_so_stale_references_are_caught()
    {
        var a = _pool.Rent(this, "test");
        _pool.Return(a);
        var b = _pool.Rent(this, "test");
        Assert.NotSame(a, b); // FIFO: a waits behind the other free batch
        _pool.Return(b);
        var seen = new HashSet<PacketBatch>();
        for (var i = 0; i < 10; i++)
        {
            var c = _pool.Rent(this, "test");
            seen.Add(c);
            _pool.Return(c);
        }

        Assert.Equal(2, seen.Count);
        Assert.Equal(0, _pool.Rented);
    }

    public void Dispose()
    {
        _arena.AssertNoLeaks();
        _arena.Dispose();
    }

    private delegate void ViewAction(BatchView view);

    /// <summary>Assert.Throws for a ref struct, which a lambda cannot capture.</summary>
    private static OwnershipException Catch(BatchView view, ViewAction action)
    {
        try
        {
            action(view);
        }
        catch (OwnershipException ex)
        {
            return ex;
        }

        Assert.Fail("no OwnershipException");
        return null!;
    }

    private PacketBatch Filled(object owner, int packets)
    {
        var batch = _pool.Rent(owner, "owner");
        for (var i = 0; i < packets; i++)
        {
            batch.Add(new Slot { BufIdx = _arena.Alloc(_pool.Owner), Len = 60 }, default);
        }

        return batch;
    }
}
