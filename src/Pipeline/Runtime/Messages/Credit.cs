namespace Pipeline.Runtime.Messages;

/// <summary>The receiver of a pipe is done with <paramref name="Count"/> batches: the sender may send that many more.</summary>
internal sealed record Credit(int Edge, int Count);
