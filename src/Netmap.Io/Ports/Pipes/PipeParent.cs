using Netmap.Io.Memory;

namespace Netmap.Io.Ports.Pipes;

/// <summary>
/// The port named before a pipe's brace (<c>X</c> in <c>X{N</c>). With no such port, netmap creates an
/// implicit persistent port with autodelete; this is that port: it lends its memory region to its pipes
/// and goes away with the last of them. At most 64 pipes per parent.
/// </summary>
public sealed class PipeParent
{
    /// <summary>netmap's limit of pipes per parent (<c>NM_MAXPIPES</c>).</summary>
    public const int MaxPipes = 64;

    /// <summary>Default slots per ring, as a VALE-style port's.</summary>
    public const uint DefaultSlots = 1024;

    private readonly Dictionary<string, PipePair> _pipes = new(StringComparer.Ordinal);

    internal PipeParent(NetmapDomain domain, string name, BufferArena arena, ushort memId)
    {
        Domain = domain;
        Name = name;
        Arena = arena;
        MemId = memId;
    }

    /// <summary>The domain.</summary>
    public NetmapDomain Domain { get; }

    /// <summary>The parent's name.</summary>
    public string Name { get; }

    /// <summary>The region its pipes use.</summary>
    public BufferArena Arena { get; }

    /// <summary>The region's id.</summary>
    public ushort MemId { get; }

    /// <summary>Pipes alive now.</summary>
    public int PipeCount => _pipes.Count;

    internal bool TryGet(string id, out PipePair pair) => _pipes.TryGetValue(id, out pair!);

    internal PipePair Create(string spec, string id, int txRings, int rxRings, int txSlots, int rxSlots)
    {
        if (_pipes.Count >= MaxPipes)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, spec, $"parent '{Name}' already has {MaxPipes} pipes");
        }

        var pair = new PipePair(this, id, ClampRings(txRings), ClampRings(rxRings), ClampSlots(txSlots), ClampSlots(rxSlots));
        _pipes.Add(id, pair);
        return pair;
    }

    internal void Remove(PipePair pair)
    {
        _pipes.Remove(pair.Id);
        if (_pipes.Count == 0)
        {
            Domain.RemovePipeParent(this);
        }
    }

    // nm_bound_var: below the low bound -> the default; above the high bound -> the high bound.
    private static int ClampRings(int n) => n < 1 ? 1 : Math.Min(n, 256);

    private static uint ClampSlots(int n) => n < 1 ? DefaultSlots : (uint)Math.Min(n, 4096);
}
