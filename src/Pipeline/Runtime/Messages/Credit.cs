namespace Pipeline.Runtime.Messages;

/// <summary>The receiver of a pipe is done with <paramref name="Count"/> batches: the sender may send that many more.</summary>
/// <remarks>
/// Immutable, so one instance per pipe serves every batch (<see cref="NodeState.ReturnCredit"/>): returning a
/// credit allocates nothing.
/// </remarks>
internal sealed record Credit(int Edge, int Count);
