using Netmap.Io.Memory;
using Netmap.Io.Rings;
using Pipeline.Runtime;
using Pipeline.Stages;

namespace Pipeline.Benchmarks.Stages;

/// <summary>
/// Drives one stage the way its actor does, without the actor: a batch of copies of a template frame at
/// the pipeline's headroom, <c>OnBatch</c>, then the packets reset for the next round. Per-packet cost is
/// the stage's alone (no scatter, no messages).
/// </summary>
public sealed class StageBenchHarness : IDisposable
{
    private readonly BufferArena _arena;
    private readonly BatchPool _pool;
    private readonly PacketBatch _batch;
    private readonly StageContext _context;
    private readonly byte[] _template;
    private readonly int _headroom;

    /// <summary>A batch of <paramref name="batchSize"/> copies of <paramref name="frame"/> for a stage with <paramref name="gates"/>.</summary>
    public StageBenchHarness(byte[] frame, int batchSize, IReadOnlyList<string> gates, int headroom = 128)
    {
        _arena = new BufferArena(new ArenaOptions { BufferCount = batchSize + 64 });
        _pool = new BatchPool(_arena, batchSize, initialBatches: 1, isChecked: false);
        _batch = _pool.Rent(this, "bench");
        _context = new StageContext("bench", gates, _arena, batchSize);
        _template = frame;
        _headroom = headroom;
        for (var i = 0; i < batchSize; i++)
        {
            _batch.Add(new Slot { BufIdx = _arena.Alloc(_pool.Owner) }, default);
        }

        Reset();
    }

    /// <summary>Packets per round.</summary>
    public int BatchSize => _batch.Count;

    /// <summary>One round: the stage sees the batch once.</summary>
    public void Run(IPacketStage stage)
    {
        _context.Reset(_batch.Count);
        stage.OnBatch(_batch, _context);
    }

    /// <summary>Rewrites every packet from the template (call between rounds when the stage changes packets).</summary>
    public void Reset()
    {
        var slots = _batch.Slots;
        for (var i = 0; i < slots.Length; i++)
        {
            slots[i].Offset = (ulong)_headroom;
            slots[i].Len = (ushort)_template.Length;
            slots[i].Flags = SlotFlags.None;
            _template.CopyTo(_arena.GetBuffer(slots[i].BufIdx)[_headroom..]);
        }
    }

    /// <summary>Frees the buffers and the arena.</summary>
    public void Dispose()
    {
        _pool.Return(_batch);
        _arena.Dispose();
    }
}
