namespace Netmap.Io.Memory;

/// <summary>A snapshot of who holds the arena's buffers.</summary>
/// <param name="Total">Buffers in the arena, the two reserved ones included.</param>
/// <param name="Free">Buffers on the free list.</param>
/// <param name="Holders">Per owner name, the buffers it holds (checked mode; else one "unknown" row).</param>
/// <param name="SampleIndices">Up to 16 indices of buffers that are out (checked mode).</param>
/// <param name="NativeBytes">Bytes of native memory the arena maps.</param>
public sealed record ArenaAudit(
    int Total,
    int Free,
    IReadOnlyList<KeyValuePair<string, int>> Holders,
    IReadOnlyList<uint> SampleIndices,
    long NativeBytes)
{
    /// <summary>Buffers that can ever be handed out (all but indices 0 and 1).</summary>
    public int Usable => Total - BufferArena.FirstValidIndex;

    /// <summary>Buffers out of the free list.</summary>
    public int InUse => Usable - Free;

    /// <summary>"N of M buffers are out: owner holds k (indices ...)".</summary>
    public override string ToString()
    {
        if (InUse == 0)
        {
            return $"all {Usable} buffers are free";
        }

        var text = new System.Text.StringBuilder();
        text.Append(InUse).Append(" of ").Append(Usable).Append(" buffers are out: ");
        for (var i = 0; i < Holders.Count; i++)
        {
            text.Append(i == 0 ? string.Empty : ", ").Append(Holders[i].Key).Append(" holds ").Append(Holders[i].Value);
        }

        if (SampleIndices.Count > 0)
        {
            text.Append(" (indices ").AppendJoin(", ", SampleIndices).Append(')');
        }

        return text.ToString();
    }
}
