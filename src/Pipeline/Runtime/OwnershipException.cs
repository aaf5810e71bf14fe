namespace Pipeline.Runtime;

/// <summary>
/// A batch was touched by someone who no longer owns it: after it was sent on, returned to its pool, or
/// from a view opened before a transfer. Thrown in checked mode.
/// </summary>
public sealed class OwnershipException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public OwnershipException(string message)
        : base(message)
    {
    }
}
