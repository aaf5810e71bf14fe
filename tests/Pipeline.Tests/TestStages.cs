using System.Buffers.Binary;
using Pipeline.Runtime;
using Pipeline.Stages;

namespace Pipeline.Tests;

/// <summary>Passes every packet on.</summary>
[Stage("pass")]
public sealed class PassStage : IPacketStage
{
    public void OnBatch(PacketBatch batch, StageContext context)
    {
    }
}

public sealed record PushOptions
{
    public uint Value { get; init; } = 0xC0FFEE00;
}

/// <summary>Pushes a 4-byte header holding <see cref="PushOptions.Value"/> (big-endian) in front of every packet.</summary>
[Stage("push4")]
public sealed class Push4Stage(PushOptions options) : IPacketStage
{
    public void OnBatch(PacketBatch batch, StageContext context)
    {
        var view = batch.Open();
        for (var i = 0; i < view.Count; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(view[i].Push(4), options.Value);
        }
    }
}

/// <summary>Pops the 4-byte header <see cref="Push4Stage"/> pushed; a packet without it is dropped as malformed.</summary>
[Stage("pop4")]
public sealed class Pop4Stage(PushOptions options) : IPacketStage
{
    public void OnBatch(PacketBatch batch, StageContext context)
    {
        var view = batch.Open();
        for (var i = 0; i < view.Count; i++)
        {
            var packet = view[i];
            if (packet.Length < 4 || BinaryPrimitives.ReadUInt32BigEndian(packet.Data) != options.Value)
            {
                context.Drop(i, DropReason.Malformed);
                continue;
            }

            packet.Pop(4);
        }
    }
}

/// <summary>Packets whose first byte is odd leave by <c>deny</c>; those whose first byte is 0xFF are dropped as filtered.</summary>
[Stage("parity", Gates = ["out", "deny"])]
public sealed class ParityStage : IPacketStage
{
    public void OnBatch(PacketBatch batch, StageContext context)
    {
        var deny = context.Gate("deny");
        var view = batch.Open();
        for (var i = 0; i < view.Count; i++)
        {
            var first = view[i].Data[0];
            if (first == 0xFF)
            {
                context.Drop(i, DropReason.Filtered);
            }
            else if ((first & 1) != 0)
            {
                context.Next(i, deny);
            }
        }
    }
}

public sealed record SlowOptions
{
    public int DelayMs { get; init; } = 20;
}

/// <summary>Sleeps on every batch: a slow consumer.</summary>
[Stage("slow")]
public sealed class SlowStage(SlowOptions options) : IPacketStage
{
    public void OnBatch(PacketBatch batch, StageContext context) => Thread.Sleep(options.DelayMs);
}

public sealed record FaultOptions
{
    /// <summary>Throw on packets whose first byte equals this value.</summary>
    public byte Poison { get; init; } = 0xEE;
}

/// <summary>Throws when a batch holds a poisoned packet (after rewriting some packets, to prove they are freed anyway).</summary>
[Stage("faulty")]
public sealed class FaultyStage(FaultOptions options) : IPacketStage
{
    public void OnBatch(PacketBatch batch, StageContext context)
    {
        var view = batch.Open();
        for (var i = 0; i < view.Count; i++)
        {
            if (view[i].Data[0] == options.Poison)
            {
                throw new InvalidOperationException("poisoned packet");
            }
        }
    }
}

/// <summary>Keeps a reference to the batch it was given and touches the previous one: an ownership bug.</summary>
[Stage("hoarder")]
public sealed class HoarderStage : IPacketStage
{
    private PacketBatch? _kept;

    public static Exception? LastCaught { get; set; }

    public void OnBatch(PacketBatch batch, StageContext context)
    {
        if (_kept is not null)
        {
            try
            {
                _ = _kept.Open().Count;
            }
            catch (OwnershipException ex)
            {
                LastCaught = ex;
            }
        }

        _kept = batch;
    }
}

public sealed record DelayOptions
{
    public int DelayMs { get; init; } = 100;
}

/// <summary>Holds every packet back for <see cref="DelayOptions.DelayMs"/> (on the pipeline's clock).</summary>
[Stage("delay")]
public sealed class DelayStage(DelayOptions options) : IPacketStage
{
    public void OnBatch(PacketBatch batch, StageContext context)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            context.Delay(i, GateId.Out, TimeSpan.FromMilliseconds(options.DelayMs));
        }
    }
}

/// <summary>Sends every packet on, and a copy of it to <c>copy</c>.</summary>
[Stage("mirror-test", Gates = ["out", "copy"])]
public sealed class MirrorTestStage : IPacketStage
{
    public void OnBatch(PacketBatch batch, StageContext context)
    {
        var copy = context.Gate("copy");
        for (var i = 0; i < batch.Count; i++)
        {
            context.TryCopyTo(i, copy);
        }
    }
}
