using Netmap.Io.Memory;

namespace Netmap.Io.Ports.Vale;

/// <summary>
/// The VALE switches of one domain (netmap's bridge table, notes §7.1): at most <see cref="MaxSwitches"/>,
/// created on first use, removed when their last port leaves.
/// </summary>
/// <remarks>Thread: called with the domain lock held.</remarks>
internal sealed class ValeRegistry(NetmapDomain domain)
{
    /// <summary>netmap's default max_bridges.</summary>
    public const int MaxSwitches = 8;

    private readonly List<ValeSwitch> _switches = [];

    public IReadOnlyList<ValeSwitch> Switches => _switches;

    public ValeSwitch? Find(string name)
    {
        foreach (var sw in _switches)
        {
            if (sw.Name == name)
            {
                return sw;
            }
        }

        return null;
    }

    /// <summary>
    /// Opens port P of switch B for <c>valeB:P</c>, creating the switch and the port on first use. Ring
    /// counts are clamped to [1, 16] (default 1), slot counts to [1, 4096] (default 1024). Without a mem id
    /// the port gets a private region sized for its rings and <paramref name="extraBuffers"/>.
    /// </summary>
    public ValePort Open(string spec, string name, ushort memId, int txRings, int rxRings, int txSlots, int rxSlots, int extraBuffers, out bool created)
    {
        created = false;
        var colon = name.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 || colon > 15 || name.Length - colon - 1 > 15 || name.Length - colon - 1 == 0)
        {
            ThrowHelper.Netmap(NetmapError.ENOMEM, spec, "a VALE name needs ':' within its first 16 characters and a port part of 1 to 15 characters");
        }

        var bridge = name[..colon];
        var sw = Find(bridge);
        if (sw?.Find(name) is { } existing)
        {
            return existing;
        }

        if (sw is null)
        {
            if (_switches.Count >= MaxSwitches)
            {
                ThrowHelper.Netmap(NetmapError.ENOMEM, spec, $"no free VALE switch slot ({MaxSwitches} switches exist)");
            }

            sw = new ValeSwitch(domain, bridge);
        }

        if (!sw.HasRoom)
        {
            ThrowHelper.Netmap(NetmapError.ENOMEM, spec, $"switch {bridge} has no room for another port");
        }

        var tx = Clamp(txRings, 1, 16, 1);
        var rx = Clamp(rxRings, 1, 16, 1);
        var txs = (uint)Clamp(txSlots, 1, 4096, 1024);
        var rxs = (uint)Clamp(rxSlots, 1, 4096, 1024);
        BufferArena arena;
        var privateRegion = memId == 0;
        if (privateRegion)
        {
            var extra = Math.Clamp(extraBuffers, 0, 65536);
            var count = BufferArena.FirstValidIndex + (tx * (int)txs) + (rx * (int)rxs) + extra + 64;
            var dflt = domain.DefaultArena;
            (memId, arena) = domain.CreatePrivateRegion(new ArenaOptions { BufferCount = count, BufferSize = dflt.BufferSize, Checked = dflt.Checked });
        }
        else
        {
            arena = domain.GetRegion(memId);
        }

        ValePort port;
        try
        {
            port = new ValePort(sw, name, arena, memId, privateRegion, tx, txs, rx, rxs);
        }
        catch (NetmapException) when (privateRegion)
        {
            domain.ReleasePrivateRegion(memId);
            throw;
        }

        sw.Attach(port);
        if (!_switches.Contains(sw))
        {
            _switches.Add(sw);
        }

        created = true;
        return port;
    }

    /// <summary>Forgets a switch whose last port left.</summary>
    public void RemoveIfEmpty(ValeSwitch sw)
    {
        if (sw.ActivePorts == 0)
        {
            _switches.Remove(sw);
        }
    }

    private static int Clamp(int asked, int min, int max, int dflt) => asked == 0 ? dflt : Math.Clamp(asked, min, max);
}
