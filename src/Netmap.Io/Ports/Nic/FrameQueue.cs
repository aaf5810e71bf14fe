using System.Diagnostics;

namespace Netmap.Io.Ports.Nic;

/// <summary>
/// A bounded queue of whole frames (Vyukov's bounded array queue with per-cell sequence numbers): producers on
/// any thread copy a frame in; the one consumer peeks at the oldest frame and releases it when done with it,
/// so a peeked span stays valid until <see cref="Release"/>. Lock-free; after every cell has held a frame as
/// large as the ones passing, nothing is allocated.
/// </summary>
/// <remarks>
/// Ownership: a cell belongs to the producer that claimed it until its sequence is published, then to the
/// consumer until <see cref="Release"/>. Thread: any number of producers; one consumer at a time.
/// </remarks>
internal sealed class FrameQueue
{
    private readonly Cell[] _cells;
    private readonly int _frameHint;
    private long _enqueuePos;
    private long _dequeuePos;

    /// <param name="capacity">Frames the queue holds (exactly; at least 2, as the sequence scheme needs).</param>
    /// <param name="frameHint">Bytes each cell's buffer gets at first use (a larger frame grows it).</param>
    public FrameQueue(int capacity, int frameHint)
    {
        Debug.Assert(capacity >= 2);
        _cells = new Cell[capacity];
        for (var i = 0; i < capacity; i++)
        {
            _cells[i].Sequence = i;
        }

        _frameHint = frameHint;
    }

    /// <summary>Frames the queue holds at most.</summary>
    public int Capacity => _cells.Length;

    /// <summary>Frames queued now (claimed cells included; a snapshot).</summary>
    public int Count
    {
        get
        {
            var count = Volatile.Read(ref _enqueuePos) - Volatile.Read(ref _dequeuePos);
            return (int)Math.Clamp(count, 0, _cells.Length);
        }
    }

    /// <summary>Copies <paramref name="frame"/> into the queue; false when it is full.</summary>
    public bool TryEnqueue(ReadOnlySpan<byte> frame)
    {
        var n = _cells.Length;
        var pos = Volatile.Read(ref _enqueuePos);
        while (true)
        {
            ref var cell = ref _cells[(int)(pos % n)];
            // Acquire: the consumer's release of this cell (its last read of the bytes) happens before our write.
            var sequence = Volatile.Read(ref cell.Sequence);
            var diff = sequence - pos;
            if (diff == 0)
            {
                var seen = Interlocked.CompareExchange(ref _enqueuePos, pos + 1, pos);
                if (seen == pos)
                {
                    if (cell.Data is null || cell.Data.Length < frame.Length)
                    {
                        cell.Data = new byte[Math.Max(frame.Length, _frameHint)];
                    }

                    frame.CopyTo(cell.Data);
                    cell.Length = frame.Length;
                    // Release: the consumer sees the bytes once it sees the sequence.
                    Volatile.Write(ref cell.Sequence, pos + 1);
                    return true;
                }

                pos = seen;
            }
            else if (diff < 0)
            {
                return false; // the cell still holds a frame from the previous lap: full
            }
            else
            {
                pos = Volatile.Read(ref _enqueuePos); // another producer took this cell
            }
        }
    }

    /// <summary>The oldest frame, without removing it; false when the queue is empty. Consumer only.</summary>
    public bool TryPeek(out ReadOnlySpan<byte> frame)
    {
        var pos = _dequeuePos;
        ref var cell = ref _cells[(int)(pos % _cells.Length)];
        // Acquire: paired with the producer's release of the sequence.
        if (Volatile.Read(ref cell.Sequence) != pos + 1)
        {
            frame = default;
            return false;
        }

        frame = new ReadOnlySpan<byte>(cell.Data, 0, cell.Length);
        return true;
    }

    /// <summary>Removes the frame <see cref="TryPeek"/> returned. Consumer only; a no-op on an empty queue.</summary>
    public void Release()
    {
        var pos = _dequeuePos;
        var n = _cells.Length;
        ref var cell = ref _cells[(int)(pos % n)];
        if (Volatile.Read(ref cell.Sequence) != pos + 1)
        {
            return;
        }

        // Release: our reads of the bytes are done before a producer may claim the cell for the next lap.
        Volatile.Write(ref cell.Sequence, pos + n);
        Volatile.Write(ref _dequeuePos, pos + 1);
    }

    /// <summary>Copies the oldest frame into <paramref name="destination"/> and removes it; -1 when empty. Consumer only.</summary>
    public int TryDequeue(Span<byte> destination)
    {
        if (!TryPeek(out var frame))
        {
            return -1;
        }

        if (frame.Length > destination.Length)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(destination), $"the frame has {frame.Length} bytes; the destination holds {destination.Length}");
        }

        frame.CopyTo(destination);
        Release();
        return frame.Length;
    }

    /// <summary>The oldest frame as a new array, removed; null when empty. Consumer only (allocates: for tests and control paths).</summary>
    public byte[]? Dequeue()
    {
        if (!TryPeek(out var frame))
        {
            return null;
        }

        var copy = frame.ToArray();
        Release();
        return copy;
    }

    /// <summary>Drops every queued frame; returns how many. Consumer only.</summary>
    public int Clear()
    {
        var dropped = 0;
        while (TryPeek(out _))
        {
            Release();
            dropped++;
        }

        return dropped;
    }

    private struct Cell
    {
        public long Sequence;
        public byte[]? Data;
        public int Length;
    }
}
