namespace Pipeline.Runtime;

/// <summary>
/// How many packets the pipeline's source ports may still take, together (<see cref="PipelineRuntimeOptions.PacketLimit"/>).
/// A source takes a share before it reads a batch and gives back what it did not use: one atomic operation per batch.
/// </summary>
/// <remarks>Thread: any; the ports' pumps share one.</remarks>
internal sealed class PacketBudget(long packets)
{
    private long _left = packets;

    /// <summary>Packets not yet taken.</summary>
    public long Left => Volatile.Read(ref _left);

    /// <summary>Takes up to <paramref name="wanted"/> packets; returns how many were granted (0 once the budget is spent).</summary>
    public int Take(int wanted)
    {
        while (true)
        {
            var left = Volatile.Read(ref _left);
            var granted = (int)Math.Min(left, wanted);
            if (granted <= 0)
            {
                return 0;
            }

            if (Interlocked.CompareExchange(ref _left, left - granted, left) == left)
            {
                return granted;
            }
        }
    }

    /// <summary>Gives back packets taken and not used.</summary>
    public void Return(int unused)
    {
        if (unused > 0)
        {
            Interlocked.Add(ref _left, unused);
        }
    }
}
