namespace Netmap.Io.Memory;

/// <summary>What the checked arena caught.</summary>
public enum ArenaViolation
{
    /// <summary>An index outside [2, BufferCount).</summary>
    InvalidIndex,
    /// <summary>A buffer freed while already free.</summary>
    DoubleFree,
    /// <summary>A buffer freed (or transferred) by an owner that does not hold it.</summary>
    NotOwner,
    /// <summary>Buffers still out when every buffer should be back.</summary>
    Leak,
    /// <summary>The arena was used after it was disposed.</summary>
    Disposed,
}
