using Netmap.Io.Memory;
using Netmap.Io.Ports.Vale;

namespace Netmap.Io.Ports.Pipes;

/// <summary>
/// The port named before a pipe's brace (<c>X</c> in <c>X{N</c>): it lends its memory region to its pipes, so
/// they are zero-copy with it (netmap-notes §5). When X is a VALE port (<c>valeB:P{N</c>, created unbound if
/// absent, as netmap's parent lookup does) or a persistent port (<c>netmap:P{N</c>), that port is the
/// <see cref="Backing"/>: its region is used and the port is kept (attached to its switch) until the last pipe
/// goes. With no such port, netmap creates an implicit persistent port with autodelete; this is that port,
/// in the default region (or the one <c>@N</c> names), gone with the last pipe. At most 64 pipes per parent.
/// </summary>
/// <remarks>
/// A VALE port's private region has room for the port's rings once more (see <see cref="ValePort"/>); pipes
/// that do not fit fail ENOMEM saying so: ask for fewer slots, or give the port a shared region (<c>@N</c>).
/// </remarks>
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

    /// <summary>A parent that is VALE port <paramref name="backing"/>: its region, its slot counts as defaults, a reference on it.</summary>
    internal PipeParent(NetmapDomain domain, string name, ValePort backing)
        : this(domain, name, backing.Arena, backing.MemId)
    {
        Backing = backing;
        backing.AddPipeReference();
    }

    /// <summary>The VALE port (ephemeral or persistent) the pipes hang off, or null for an implicit parent.</summary>
    public ValePort? Backing { get; }

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

        // netmap: 0 slots -> the parent's count (a VALE parent's rings; 1024 for an implicit parent).
        var masterTx = ClampSlots(txSlots, Backing?.TxRingArray[0].NumSlots ?? DefaultSlots);
        var masterRx = ClampSlots(rxSlots, Backing?.RxRingArray[0].NumSlots ?? DefaultSlots);
        var tx = ClampRings(txRings);
        var rx = ClampRings(rxRings);
        if (Backing is not null)
        {
            // Only TX rings carry buffers (master TX, and the slave's TX rings = the master's RX count).
            var needed = ((long)tx * masterTx) + ((long)rx * masterRx);
            var free = Arena.FreeCount;
            if (needed > free)
            {
                ThrowHelper.Netmap(NetmapError.ENOMEM, spec,
                    $"pipe {id} needs {needed} buffers in the region of '{Name}' (mem id {MemId}), which has {free} free: ask for fewer slots (@conf:slots=N) or give '{Name}' a larger shared region (@N)");
            }
        }

        var pair = new PipePair(this, id, tx, rx, masterTx, masterRx);
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

    private static uint ClampSlots(int n, uint dflt) => n < 1 ? dflt : (uint)Math.Min(n, 4096);
}
