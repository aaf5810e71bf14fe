using System.Runtime.CompilerServices;
using Netmap.Io.Memory;

namespace Pipeline.Stages;

/// <summary>
/// What a stage sees of the runtime while it processes a batch: per-packet verdicts (VPP-style
/// <c>Next</c>/<c>Drop</c>), its gates by name, its arena.
/// </summary>
/// <remarks>Thread: one per stage instance, used only on the stage's actor.</remarks>
public sealed class StageContext
{
    internal const ushort DropVerdict = ushort.MaxValue;

    private readonly string[] _gates;
    private readonly ushort[] _verdicts;
    private readonly DropReason[] _reasons;

    internal StageContext(string stageName, IReadOnlyList<string> gates, BufferArena arena, int batchCapacity)
    {
        StageName = stageName;
        _gates = [.. gates];
        Arena = arena;
        _verdicts = new ushort[batchCapacity];
        _reasons = new DropReason[batchCapacity];
    }

    /// <summary>The stage's name in the pipeline.</summary>
    public string StageName { get; }

    /// <summary>The arena the packets' buffers live in.</summary>
    public BufferArena Arena { get; }

    /// <summary>The stage's declared gates, <c>out</c> first.</summary>
    public IReadOnlyList<string> Gates => _gates;

    /// <summary>The gate named <paramref name="name"/>; an <see cref="ArgumentException"/> if the stage did not declare it.</summary>
    public GateId Gate(string name)
    {
        var index = Array.IndexOf(_gates, name);
        if (index < 0)
        {
            throw new ArgumentException($"stage '{StageName}' has no gate '{name}' (it declares: {string.Join(", ", _gates)})", nameof(name));
        }

        return new GateId(index);
    }

    /// <summary>Sends packet <paramref name="index"/> of the current batch to <paramref name="gate"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Next(int index, GateId gate)
    {
        if ((uint)gate.Index >= (uint)_gates.Length)
        {
            ThrowBadGate(gate);
        }

        _verdicts[index] = (ushort)gate.Index;
    }

    /// <summary>Drops packet <paramref name="index"/>: its buffer goes back to the arena when the stage returns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Drop(int index, DropReason reason)
    {
        _verdicts[index] = DropVerdict;
        _reasons[index] = reason;
    }

    /// <summary>
    /// True when something takes what leaves by <paramref name="gate"/> (a pipe, or the <c>drop</c> sink); a packet
    /// sent to an unconnected gate is dropped as <see cref="DropReason.Unconnected"/>. True when the runtime has not said.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsConnected(GateId gate)
    {
        if ((uint)gate.Index >= (uint)_gates.Length)
        {
            ThrowBadGate(gate);
        }

        return ConnectedGates is not { } connected || connected[gate.Index];
    }

    /// <summary>Per gate (by index), whether it is connected; set by the runtime, null when unknown (all count as connected).</summary>
    internal bool[]? ConnectedGates { get; set; }

    internal ReadOnlySpan<ushort> Verdicts(int count) => _verdicts.AsSpan(0, count);

    internal DropReason ReasonOf(int index) => _reasons[index];

    /// <summary>Every packet starts on <c>out</c>.</summary>
    internal void Reset(int count) => _verdicts.AsSpan(0, count).Clear();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowBadGate(GateId gate) =>
        throw new ArgumentOutOfRangeException(nameof(gate), $"stage '{StageName}' has no gate #{gate.Index}");
}
