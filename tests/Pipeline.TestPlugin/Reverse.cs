using Pipeline.Runtime;
using Pipeline.Stages;

namespace Pipeline.TestPlugin;

/// <summary>Reverses the bytes of each packet. No <c>[Stage]</c>: YAML names it by its full class name.</summary>
public sealed class Reverse : IPacketStage
{
    /// <inheritdoc/>
    public void OnBatch(PacketBatch batch, StageContext context)
    {
        var view = batch.Open();
        for (var i = 0; i < view.Count; i++)
        {
            view[i].Data.Reverse();
        }
    }
}
