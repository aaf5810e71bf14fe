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
    internal const ushort DelayVerdict = ushort.MaxValue - 1;

    private readonly string[] _gates;
    private readonly ushort[] _verdicts;
    private readonly DropReason[] _reasons;
    private readonly long[] _releaseAt;
    private readonly ushort[] _delayGate;
    private (int Index, ushort Gate)[] _copies;
    private int _copyCount;

    internal StageContext(string stageName, IReadOnlyList<string> gates, BufferArena arena, int batchCapacity, TimeProvider? time = null)
    {
        StageName = stageName;
        _gates = [.. gates];
        Arena = arena;
        Time = time ?? TimeProvider.System;
        _verdicts = new ushort[batchCapacity];
        _reasons = new DropReason[batchCapacity];
        _releaseAt = new long[batchCapacity];
        _delayGate = new ushort[batchCapacity];
        _copies = new (int, ushort)[batchCapacity];
    }

    /// <summary>The pipeline's clock (a fake one in tests): use it, not the wall clock, for rates and delays.</summary>
    public TimeProvider Time { get; }

    /// <summary>Packets this stage has delayed that have not left yet.</summary>
    public int DelayedPackets { get; internal set; }

    /// <summary>Bytes of the packets this stage has delayed that have not left yet.</summary>
    public long DelayedBytes { get; internal set; }

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

    /// <summary>
    /// The name of the pipeline port with index <paramref name="inputPort"/> (a packet's
    /// <see cref="Runtime.PacketMeta.InputPort"/>); null when there is no such port or the runtime has not said.
    /// </summary>
    public string? PortName(int inputPort) =>
        PortNames is { } names && (uint)inputPort < (uint)names.Length ? names[inputPort] : null;

    /// <summary>The pipeline's port names by index; set by the runtime, null when unknown.</summary>
    internal string[]? PortNames { get; set; }

    /// <summary>Per gate (by index), whether it is connected; set by the runtime, null when unknown (all count as connected).</summary>
    internal bool[]? ConnectedGates { get; set; }

    /// <summary>
    /// Holds packet <paramref name="index"/> back and sends it to <paramref name="gate"/> once <paramref name="delay"/>
    /// has passed (netmap's tlem). Delayed packets leave in the order they were delayed, each no earlier than
    /// its time; the runtime keeps them (and frees them if the pipeline stops first).
    /// </summary>
    public void Delay(int index, GateId gate, TimeSpan delay)
    {
        if ((uint)gate.Index >= (uint)_gates.Length)
        {
            ThrowBadGate(gate);
        }

        _verdicts[index] = DelayVerdict;
        _delayGate[index] = (ushort)gate.Index;
        // Integer arithmetic: a double would round a release a tick early now and then.
        _releaseAt[index] = Time.GetTimestamp() + (long)((Int128)delay.Ticks * Time.TimestampFrequency / TimeSpan.TicksPerSecond);
    }

    /// <summary>
    /// Sends a copy of packet <paramref name="index"/> (new buffers, the bytes copied: the one place a packet is
    /// copied) to <paramref name="gate"/>, besides the packet's own verdict. False when no buffer is free.
    /// </summary>
    public bool TryCopyTo(int index, GateId gate)
    {
        if ((uint)gate.Index >= (uint)_gates.Length)
        {
            ThrowBadGate(gate);
        }

        if (Arena.FreeCount == 0)
        {
            LostCopies++; // counted by the runtime as an overflow drop
            return false;
        }

        if (_copyCount == _copies.Length)
        {
            // A flood makes several copies of one packet: grow once, then steady state allocates nothing.
            Array.Resize(ref _copies, _copies.Length * 2);
        }

        _copies[_copyCount++] = (index, (ushort)gate.Index);
        return true;
    }

    internal ReadOnlySpan<ushort> Verdicts(int count) => _verdicts.AsSpan(0, count);

    internal long ReleaseAt(int index) => _releaseAt[index];

    internal ushort DelayGate(int index) => _delayGate[index];

    internal ReadOnlySpan<(int Index, ushort Gate)> Copies => _copies.AsSpan(0, _copyCount);

    /// <summary>Copies asked for in this batch that could not be made (no free buffer).</summary>
    internal int LostCopies { get; private set; }

    internal DropReason ReasonOf(int index) => _reasons[index];

    /// <summary>Every packet starts on <c>out</c>, with no copies.</summary>
    internal void Reset(int count)
    {
        _verdicts.AsSpan(0, count).Clear();
        _copyCount = 0;
        LostCopies = 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowBadGate(GateId gate) =>
        throw new ArgumentOutOfRangeException(nameof(gate), $"stage '{StageName}' has no gate #{gate.Index}");
}
