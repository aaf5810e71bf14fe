using Pipeline.Stages;

namespace Pipeline.Runtime;

/// <summary>
/// One stage as its actor runs it: the stage instance, its context and the output batches being filled. A
/// <see cref="StageActor"/> has one, or, for a fused island, one per stage of the island.
/// </summary>
/// <remarks>Thread: the owning actor's only. The node's state (<see cref="Node"/>) outlives the runner.</remarks>
internal sealed class StageRunner
{
    public StageRunner(StageNode node)
    {
        Node = node;
        Stage = node.Definition.Descriptor.Create(node.Definition.Options);
        Context = new StageContext(node.Name, node.Definition.Gates, node.Pool.Arena, node.Pool.Capacity, node.Settings.Time)
        {
            PortNames = node.Settings.PortNames,
            // A gate piped somewhere, or to the drop sink, is connected; the others drop as 'unconnected'.
            ConnectedGates = Array.ConvertAll(node.Outputs, static o => o.Edge >= 0),
        };
        Scatter = new PacketBatch?[node.Outputs.Length];
    }

    public StageNode Node { get; }

    /// <summary>The stage instance; replaced by a fresh one when it throws inside a fused island.</summary>
    public IPacketStage Stage { get; private set; }

    public StageContext Context { get; }

    /// <summary>Per output gate, the batch being filled by a scatter (empty between scatters).</summary>
    public PacketBatch?[] Scatter { get; }

    /// <summary>A fresh stage instance, as a restart by the supervisor gives an unfused stage.</summary>
    public void Renew() => Stage = Node.Definition.Descriptor.Create(Node.Definition.Options);
}
