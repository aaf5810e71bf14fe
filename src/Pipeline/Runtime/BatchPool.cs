using Netmap.Io.Memory;

namespace Pipeline.Runtime;

/// <summary>
/// A fixed set of <see cref="PacketBatch"/> objects, created up front and reused, so steady state
/// allocates nothing. One per pipeline.
/// </summary>
/// <remarks>
/// Ownership: a batch rented is the renter's until it is sent or returned; <see cref="Return"/> frees the
/// buffers of any packet still in it (counted by the caller) and makes every old view of it stale.
/// Thread: rent and return from any thread (one short lock per batch, never per packet).
/// </remarks>
public sealed class BatchPool
{
    private readonly Lock _lock = new();
    private PacketBatch[] _free;
    private int _freeCount;
    private int _freeStart; // checked mode hands batches out FIFO, so a stale reference rarely meets its batch again
    private int _created;
    private int _held;
    private long _rents;

    /// <summary>A pool over <paramref name="arena"/> of batches of <paramref name="capacity"/> packets.</summary>
    public BatchPool(BufferArena arena, int capacity, int initialBatches, bool isChecked)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Arena = arena;
        Capacity = capacity;
        Checked = isChecked;
        Owner = arena.RegisterOwner("batches");
        _free = new PacketBatch[Math.Max(initialBatches, 1) * 2];
        for (var i = 0; i < initialBatches; i++)
        {
            _free[_freeCount++] = new PacketBatch(this, capacity);
            _created++;
        }
    }

    /// <summary>The arena of the packets.</summary>
    public BufferArena Arena { get; }

    /// <summary>Packets per batch.</summary>
    public int Capacity { get; }

    /// <summary>True when ownership is checked on every open and claim.</summary>
    public bool Checked { get; }

    /// <summary>The arena owner of buffers held in batches (checked arenas record it).</summary>
    public ArenaOwner Owner { get; }

    /// <summary>Batches out of the pool now.</summary>
    public int Rented
    {
        get
        {
            lock (_lock)
            {
                return _created - _freeCount;
            }
        }
    }

    /// <summary>
    /// Batches out of the pool plus packets held outside any batch (a stage's delay line): zero only when
    /// nothing is in flight anywhere. Holders count themselves in before they let go of a batch and out
    /// after they rent the next one, so this never touches zero while a packet moves between the two.
    /// </summary>
    public int Outstanding
    {
        get
        {
            lock (_lock)
            {
                return _created - _freeCount + _held;
            }
        }
    }

    /// <summary>Batches rented so far: when it has not moved while <see cref="Outstanding"/> stayed 0, no packet moved between ports.</summary>
    public long Rents
    {
        get
        {
            lock (_lock)
            {
                return _rents;
            }
        }
    }

    /// <summary>Counts <paramref name="packets"/> held outside batches (call before returning the batch they came in).</summary>
    public void Hold(int packets)
    {
        lock (_lock)
        {
            _held += packets;
        }
    }

    /// <summary>Counts <paramref name="packets"/> no longer held (call after renting the batch they leave in).</summary>
    public void Unhold(int packets)
    {
        lock (_lock)
        {
            _held -= packets;
        }
    }

    /// <summary>Takes an empty batch, held by <paramref name="holder"/>; creates one when the pool is empty.</summary>
    public PacketBatch Rent(object holder, string holderName)
    {
        PacketBatch batch;
        lock (_lock)
        {
            _rents++;
            if (_freeCount > 0 && Checked)
            {
                batch = _free[_freeStart];
                _free[_freeStart] = null!;
                _freeStart = (_freeStart + 1) % _free.Length;
                _freeCount--;
            }
            else if (_freeCount > 0)
            {
                // LIFO: the batch returned last is the one most likely still in cache.
                batch = _free[--_freeCount];
                _free[_freeCount] = null!;
            }
            else
            {
                batch = new PacketBatch(this, Capacity);
                _created++;
            }
        }

        batch.TransferTo(holder, holderName, gate: null);
        return batch;
    }

    /// <summary>
    /// Gives a batch back: the buffers of its packets go back to the arena, and any view of it is stale.
    /// Returns how many packets it still held. After this call the batch is not the caller's.
    /// </summary>
    public int Return(PacketBatch batch)
    {
        var dropped = batch.Count;
        Arena.FreeSlots(batch.Slots, Owner);
        batch.SetCount(0);
        batch.Edge = -1;
        batch.TransferTo(this, "pool", gate: null);
        lock (_lock)
        {
            if (_freeCount == _free.Length)
            {
                // Unroll the FIFO window into a bigger array.
                var bigger = new PacketBatch[_free.Length * 2];
                for (var i = 0; i < _freeCount; i++)
                {
                    bigger[i] = _free[(_freeStart + i) % _free.Length];
                }

                _free = bigger;
                _freeStart = 0;
            }

            _free[(_freeStart + _freeCount) % _free.Length] = batch;
            _freeCount++;
        }

        return dropped;
    }
}
