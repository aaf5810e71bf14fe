namespace Pipeline.Cluster.Wire;

/// <summary>
/// The receiving node has taken every packet of the batches on <paramref name="Edge"/> up to
/// <paramref name="Sequence"/> into its pipeline: the sender may send that many more (the pipe's credit).
/// </summary>
internal sealed record LinkAck(int Edge, long Sequence) : IClusterMessage;
