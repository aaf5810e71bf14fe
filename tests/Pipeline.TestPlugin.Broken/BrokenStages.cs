using Pipeline.Runtime;
using Pipeline.Stages;

namespace Pipeline.TestPlugin.Broken;

/// <summary>Declares a stage but is not one: the loader must say so.</summary>
[Stage("plugin-broken")]
public sealed class NotAStage
{
    /// <summary>Looks like a stage method, but the class does not implement <see cref="IPacketStage"/>.</summary>
    public void OnBatch(PacketBatch batch, StageContext context)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(context);
    }
}

/// <summary>A stage with no usable constructor (two parameters): the loader must say so.</summary>
[Stage("plugin-no-ctor")]
public sealed class NoUsableConstructor(int first, int second) : IPacketStage
{
    /// <summary>The sum of the arguments, so they are used.</summary>
    public int Sum => first + second;

    /// <inheritdoc/>
    public void OnBatch(PacketBatch batch, StageContext context)
    {
    }
}
