using System.Runtime.CompilerServices;
using Akka.Actor;
using Netmap.Io.Memory;
using Netmap.Io.Rings;

namespace Pipeline.Runtime;

/// <summary>Up to <see cref="Capacity"/> packets moving through the pipeline as one message.</summary>
/// <remarks>
/// Ownership: exactly one of {its <see cref="BatchPool"/>, one actor, in flight to one actor}, and the
/// batch owns the buffers of its packets. Sending it transfers both: the sender must not touch it
/// afterwards. Each transfer bumps <see cref="Generation"/>; a <see cref="BatchView"/> opened before a
/// transfer throws <see cref="OwnershipException"/> on its next use, and in checked mode <see cref="Open"/>
/// throws when called by an actor that is not the holder. Local only: the batch is mutable and never
/// serialised (a cross-node pipe copies it).
/// The batch is itself the message that carries it down a pipe (with the pipe's <see cref="Edge"/>), so a
/// send allocates nothing: the object is pooled, and whoever owns it owns the message too.
/// </remarks>
public sealed class PacketBatch : INoSerializationVerificationNeeded
{
    private readonly Slot[] _slots;
    private readonly PacketMeta[] _meta;
    private object? _holder;
    private string _holderName = "pool";
    private string? _lastGate;

    internal PacketBatch(BatchPool pool, int capacity)
    {
        Pool = pool;
        _slots = new Slot[capacity];
        _meta = new PacketMeta[capacity];
        _holder = pool;
    }

    /// <summary>The pool the batch returns to.</summary>
    public BatchPool Pool { get; }

    /// <summary>The arena of its packets' buffers.</summary>
    public BufferArena Arena => Pool.Arena;

    /// <summary>Packets the batch can hold.</summary>
    public int Capacity => _slots.Length;

    /// <summary>Packets in the batch.</summary>
    public int Count { get; private set; }

    /// <summary>True when no more packets fit.</summary>
    public bool IsFull => Count == _slots.Length;

    /// <summary>Bumped at every change of owner.</summary>
    public int Generation { get; private set; }

    /// <summary>
    /// The pipe the batch travels on, set by the sender (the receiver returns the pipe's credit there when it is
    /// done with the batch); -1 while it is in the pool.
    /// </summary>
    internal int Edge { get; set; } = -1;

    /// <summary>Who holds it now, for error messages.</summary>
    public string HolderName => _holderName;

    /// <summary>Opens the packets for reading and rewriting; valid until the batch changes owner.</summary>
    public BatchView Open()
    {
        if (Pool.Checked && _holder is not null && OwnershipScope.Current is { } current && !Equals(current, _holder))
        {
            ThrowNotHolder();
        }

        return new BatchView(this, Generation);
    }

    internal Span<Slot> Slots => _slots.AsSpan(0, Count);

    internal Span<PacketMeta> Meta => _meta.AsSpan(0, Count);

    internal Slot[] SlotArray => _slots;

    internal PacketMeta[] MetaArray => _meta;

    internal object? Holder => _holder;

    /// <summary>Appends a packet; the batch now owns its buffer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Add(in Slot slot, in PacketMeta meta)
    {
        var n = Count;
        _slots[n] = slot;
        _meta[n] = meta;
        Count = n + 1;
    }

    internal void SetCount(int count) => Count = count;

    /// <summary>Hands the batch to a new holder; any view opened before this is dead.</summary>
    internal void TransferTo(object? holder, string holderName, string? gate)
    {
        Generation++;
        _holder = holder;
        _holderName = holderName;
        _lastGate = gate;
    }

    /// <summary>Throws unless <paramref name="holder"/> holds the batch (checked mode).</summary>
    internal void Claim(object holder, string holderName)
    {
        if (Pool.Checked && !Equals(_holder, holder))
        {
            throw new OwnershipException($"batch #{RuntimeHelpers.GetHashCode(this):x} arrived at '{holderName}' but is held by '{_holderName}' (it left by gate '{_lastGate ?? "-"}')");
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal void ThrowStale(int generation) =>
        throw new OwnershipException(
            $"batch #{RuntimeHelpers.GetHashCode(this):x} was used after it changed owner: the view is of generation {generation}, the batch is at {Generation}, now held by '{_holderName}' (it left by gate '{_lastGate ?? "-"}')");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowNotHolder() =>
        throw new OwnershipException(
            $"batch #{RuntimeHelpers.GetHashCode(this):x} opened by '{OwnershipScope.CurrentName}' but it is held by '{_holderName}' (it left by gate '{_lastGate ?? "-"}'): a batch is not yours after you send it");
}
