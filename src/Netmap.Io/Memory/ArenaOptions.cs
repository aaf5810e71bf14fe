namespace Netmap.Io.Memory;

/// <summary>Shape of a buffer arena (a netmap memory region).</summary>
public sealed record ArenaOptions
{
    /// <summary>Default buffer size, as netmap's.</summary>
    public const int DefaultBufferSize = 2048;

    /// <summary>Default number of buffers, indices 0 and 1 (reserved) included.</summary>
    public const int DefaultBufferCount = 16384;

    /// <summary>Largest buffer: a slot length is 16 bits.</summary>
    public const int MaxBufferSize = 65535;

    /// <summary>Buffers in the region, the two reserved ones included. <b>Default:</b> 16384.</summary>
    public int BufferCount { get; init; } = DefaultBufferCount;

    /// <summary>Usable bytes per buffer. <b>Default:</b> 2048.</summary>
    public int BufferSize { get; init; } = DefaultBufferSize;

    /// <summary>
    /// Distance between buffers; 0 picks the buffer size rounded up to 64, plus 64 when that is a power of
    /// two, so buffer starts don't all fall into the same cache sets. <b>Default:</b> 0 (2112 for 2048-byte buffers).
    /// </summary>
    public int Stride { get; init; }

    /// <summary>
    /// A file (normally under /dev/shm) to map the region from, so another process can map it too; null
    /// means private memory. <b>Default:</b> null.
    /// </summary>
    public string? SharedMemoryPath { get; init; }

    /// <summary>Remove <see cref="SharedMemoryPath"/> when the arena is disposed. <b>Default:</b> true.</summary>
    public bool DeleteSharedMemoryOnDispose { get; init; } = true;

    /// <summary>
    /// Checked mode: every buffer carries its owner, so double frees, frees by a non-owner and leaks are
    /// reported. Costs a little per allocation; on in tests. <b>Default:</b> false.
    /// </summary>
    public bool Checked { get; init; }

    /// <summary>The stride these options give.</summary>
    public int EffectiveStride
    {
        get
        {
            if (Stride != 0)
            {
                return Stride;
            }

            var stride = (BufferSize + 63) & ~63;
            return (stride & (stride - 1)) == 0 ? stride + 64 : stride;
        }
    }
}
