using Pipeline.Runtime;

namespace Pipeline.Stages;

/// <summary>
/// A packet-processing stage. It gets a batch, reads and rewrites its packets in place through
/// <see cref="PacketBatch.Open"/> (push and pop headers by moving offsets), and gives each packet a verdict
/// on the context: <see cref="StageContext.Next"/> to a gate (every packet goes to <c>out</c> unless told
/// otherwise) or <see cref="StageContext.Drop"/> with a reason.
/// </summary>
/// <remarks>
/// Ownership: the batch is the stage's only during <see cref="OnBatch"/>; the runtime moves it on when the
/// call returns. Keeping it (in a field, a closure) and touching it later throws
/// <see cref="OwnershipException"/> in checked mode.
/// Thread: called on the stage's actor, one batch at a time; a stage needs no locks for its own state.
/// </remarks>
public interface IPacketStage
{
    /// <summary>Processes one batch in place and sets each packet's verdict on <paramref name="context"/>.</summary>
    void OnBatch(PacketBatch batch, StageContext context);
}
