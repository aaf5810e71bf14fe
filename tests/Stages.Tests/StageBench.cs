using Netmap.Io.Memory;
using Netmap.Io.Rings;
using Pipeline.Runtime;
using Pipeline.Stages;

namespace Stages.Tests;

/// <summary>
/// A checked arena, a batch pool and one rented batch, to run a stage on real buffers without the runtime.
/// Dispose returns the batch and audits: no batch and no buffer out.
/// </summary>
internal sealed class StageBench : IDisposable
{
    public const int DefaultHeadroom = 64;

    /// <summary>Fills every buffer before a frame is copied in, so bytes a stage should not touch can be checked.</summary>
    public const byte Filler = 0xEE;

    private static readonly StageRegistry Registry = BuiltInStages.CreateRegistry();

    public StageBench(int bufferSize = 2048, int capacity = 32)
    {
        Arena = new BufferArena(new ArenaOptions { BufferCount = 256, BufferSize = bufferSize, Checked = true });
        Pool = new BatchPool(Arena, capacity, initialBatches: 1, isChecked: true);
        Batch = Pool.Rent(this, "test");
    }

    public BufferArena Arena { get; }

    public BatchPool Pool { get; }

    public PacketBatch Batch { get; private set; }

    /// <summary>Copies <paramref name="frame"/> into a fresh buffer at <paramref name="headroom"/> and appends it; returns its index.</summary>
    public int Add(ReadOnlySpan<byte> frame, int headroom = DefaultHeadroom, SlotFlags flags = SlotFlags.None)
    {
        var index = Arena.Alloc(Pool.Owner);
        var buffer = Arena.GetBuffer(index);
        buffer.Fill(Filler);
        frame.CopyTo(buffer[headroom..]);
        Batch.Add(new Slot { BufIdx = index, Len = (ushort)frame.Length, Offset = (ulong)headroom, Flags = flags }, default);
        return Batch.Count - 1;
    }

    /// <summary>A context for the stage registered as <paramref name="type"/>, with its declared gates.</summary>
    public StageContext Context(string type, bool[]? connectedGates = null)
    {
        Assert.True(Registry.TryGet(type, out var descriptor), $"no built-in stage '{type}'");
        return new StageContext(type, descriptor.Gates, Arena, Pool.Capacity) { ConnectedGates = connectedGates };
    }

    /// <summary>Runs <paramref name="stage"/> on the batch as the runtime does: verdicts reset to <c>out</c>, then OnBatch.</summary>
    public void Run(IPacketStage stage, StageContext context)
    {
        context.Reset(Batch.Count);
        stage.OnBatch(Batch, context);
    }

    public Slot Slot(int index) => Batch.Open().Slots[index];

    public byte[] Data(int index) => Batch.Open()[index].Data.ToArray();

    public byte[] Buffer(int index) => Batch.Open()[index].Buffer.ToArray();

    /// <summary>Gives the batch back (its buffers with it) and starts a new one.</summary>
    public void Recycle()
    {
        Pool.Return(Batch);
        Batch = Pool.Rent(this, "test");
    }

    /// <summary>Packet <paramref name="index"/> went on to <paramref name="gate"/>.</summary>
    public static void AssertGate(StageContext context, int index, GateId gate)
    {
        var verdict = context.Verdicts(index + 1)[index];
        Assert.True(verdict != StageContext.DropVerdict, $"packet {index} was dropped as {DropReasons.Name(context.ReasonOf(index))}");
        Assert.Equal(context.Gates[gate.Index], context.Gates[verdict]);
    }

    /// <summary>Packet <paramref name="index"/> was dropped for <paramref name="reason"/>.</summary>
    public static void AssertDropped(StageContext context, int index, DropReason reason)
    {
        Assert.Equal(StageContext.DropVerdict, context.Verdicts(index + 1)[index]);
        Assert.Equal(reason, context.ReasonOf(index));
    }

    public void Dispose()
    {
        // One batch out (this bench's); after the return, none, and every buffer is back on the free list.
        Assert.Equal(1, Pool.Rented);
        Pool.Return(Batch);
        Assert.Equal(0, Pool.Rented);
        Arena.AssertNoLeaks();
        Arena.Dispose();
    }
}
