namespace Netmap.Io.Memory;

/// <summary>A buffer-ownership bug found by the arena: double free, free by a non-owner, leak.</summary>
public sealed class ArenaException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public ArenaException(ArenaViolation violation, string message)
        : base(message)
    {
        Violation = violation;
    }

    /// <summary>The kind of bug.</summary>
    public ArenaViolation Violation { get; }
}
