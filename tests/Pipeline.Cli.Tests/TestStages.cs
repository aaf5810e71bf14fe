using Pipeline.Runtime;
using Pipeline.Stages;

namespace Pipeline.Cli.Tests;

public enum TagMode
{
    Push,
    ReplaceOuter,
}

public sealed record TagOptions
{
    public required ushort Vid { get; init; }

    public byte Priority { get; init; } = 3;

    public TagMode Mode { get; init; } = TagMode.Push;

    public string? Label { get; init; }

    public string Name { get; init; } = "tagger";

    public IReadOnlyList<int> Ports { get; init; } = [1, 2];
}

/// <summary>A stage with required, defaulted, enum, nullable and list options, and a second gate.</summary>
[Stage("test-tag", Gates = ["out", "untagged"], Summary = "Tags packets (a test stage).")]
public sealed class TagStage(TagOptions options) : IPacketStage
{
    public TagOptions Options { get; } = options;

    public void OnBatch(PacketBatch batch, StageContext context)
    {
    }
}

/// <summary>Passes every packet on; takes no options.</summary>
[Stage("test-pass", Summary = "Passes packets on.")]
public sealed class PassStage : IPacketStage
{
    public void OnBatch(PacketBatch batch, StageContext context)
    {
    }
}

/// <summary>Options as a positional record: constructor parameters plus a settable property.</summary>
public sealed record WindowOptions(int Size, double Factor = 1.5)
{
    public bool Strict { get; init; }
}

[Stage("test-window")]
public sealed class WindowStage(WindowOptions options) : IPacketStage
{
    public WindowOptions Options { get; } = options;

    public void OnBatch(PacketBatch batch, StageContext context)
    {
    }
}
