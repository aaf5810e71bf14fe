using Akka.Actor;

namespace Pipeline.Runtime;

/// <summary>
/// One output gate of a node and the pipe it feeds: the downstream actor, the edge id, and the credits
/// left in the pipe's window. Lives in the node's state, so it survives a restart of the node's actor.
/// </summary>
/// <remarks>Thread: touched only by the owning node's actor (a dedicated port's thread instead).</remarks>
internal sealed class OutputGate
{
    private readonly string _fullName;

    public OutputGate(string owner, string gate)
    {
        Owner = owner;
        Gate = gate;
        _fullName = $"{owner}.{gate}"; // once: every send names the gate the batch left by
    }

    public string Owner { get; }

    public string Gate { get; }

    public int Edge { get; set; } = -1;

    public IActorRef? Target { get; set; }

    public string TargetName { get; set; } = string.Empty;

    /// <summary>Packets sent here end at the pipeline's <c>drop</c> sink.</summary>
    public bool ToDrop { get; set; }

    /// <summary>Batches this gate may still send before the downstream returns credit.</summary>
    public int Credits { get; set; }

    public bool IsPipe => Target is not null;

    /// <summary>The downstream stage when it runs in the same actor (a fused island): a send queues the batch there.</summary>
    public StageNode? Local { get; set; }

    /// <summary>
    /// Hands <paramref name="batch"/> to the downstream node: the batch is the message (no allocation), stamped
    /// with this pipe's edge. The caller must not touch it afterwards.
    /// </summary>
    public void Send(PacketBatch batch, IActorRef self)
    {
        Credits--;
        batch.Edge = Edge;
        batch.TransferTo(Target, TargetName, _fullName);
        if (Local is { } local)
        {
            local.Pending.Enqueue(batch); // same actor: it runs the stage in its drain, no message and no thread hop
            return;
        }

        Target!.Tell(batch, self);
    }
}
