using Akka.Actor;

namespace Pipeline.Runtime.Messages;

/// <summary>A batch handed down a pipe. Ownership of the batch and its buffers moves with it.</summary>
/// <param name="Batch">The batch; the sender must not touch it after sending.</param>
/// <param name="Edge">The pipe it travels on (the receiver returns a <see cref="Credit"/> for it).</param>
internal sealed record Deliver(PacketBatch Batch, int Edge) : INoSerializationVerificationNeeded;
