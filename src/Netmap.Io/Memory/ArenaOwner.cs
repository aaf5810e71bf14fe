namespace Netmap.Io.Memory;

/// <summary>
/// Who holds a buffer, for the checked arena: a port's rings, a pipe pair, a batch pool. Registered with
/// <see cref="BufferArena.RegisterOwner"/>; id 0 is "nobody".
/// </summary>
public readonly record struct ArenaOwner(ushort Id)
{
    /// <summary>No owner: the buffer is free.</summary>
    public static ArenaOwner None => default;
}
