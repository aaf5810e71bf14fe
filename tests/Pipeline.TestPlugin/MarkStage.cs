using Pipeline.Runtime;
using Pipeline.Stages;

namespace Pipeline.TestPlugin;

/// <summary>Writes <see cref="MarkOptions.Value"/> into the first byte of each packet; empty packets leave by <c>empty</c>.</summary>
[Stage("plugin-mark", Gates = ["out", "empty"], Summary = "Marks byte 0 of each packet")]
public sealed class MarkStage(MarkOptions options) : IPacketStage
{
    /// <inheritdoc/>
    public void OnBatch(PacketBatch batch, StageContext context)
    {
        var empty = context.Gate("empty");
        var view = batch.Open();
        for (var i = 0; i < view.Count; i++)
        {
            var data = view[i].Data;
            if (data.IsEmpty)
            {
                context.Next(i, empty);
                continue;
            }

            data[0] = options.Value;
        }
    }
}

/// <summary>Options of <see cref="MarkStage"/>.</summary>
public sealed record MarkOptions
{
    /// <summary>The byte written. <b>Default:</b> 0xAA.</summary>
    public byte Value { get; init; } = 0xAA;
}
