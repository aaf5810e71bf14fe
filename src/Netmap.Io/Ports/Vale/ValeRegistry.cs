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
    private readonly Dictionary<string, ValePort> _persistent = new(StringComparer.Ordinal);

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

        if (_persistent.TryGetValue(name[(colon + 1)..], out var persistent))
        {
            // valeB:P with P persistent opens the attached port; not attached to B → EINVAL (notes §7.2).
            return ReferenceEquals(persistent.Switch, sw) && sw is not null
                ? persistent
                : ThrowHelper.Netmap<ValePort>(NetmapError.EINVAL, spec, $"persistent port '{persistent.Name}' is not attached to {bridge}: attach it first");
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

        var port = NewPort(sw, name, memId, txRings, rxRings, txSlots, rxSlots, extraBuffers);
        sw.Attach(port);
        if (!_switches.Contains(sw))
        {
            _switches.Add(sw);
        }

        created = true;
        return port;
    }

    /// <summary>The port opened as <paramref name="valeName"/> (<c>valeB:P</c>, ephemeral or attached persistent), or null.</summary>
    public ValePort? FindPort(string valeName)
    {
        var colon = valeName.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 || Find(valeName[..colon]) is not { } sw)
        {
            return null;
        }

        if (sw.Find(valeName) is { } ephemeral)
        {
            return ephemeral;
        }

        return _persistent.TryGetValue(valeName[(colon + 1)..], out var persistent) && ReferenceEquals(persistent.Switch, sw) ? persistent : null;
    }

    /// <summary>The persistent port named <paramref name="name"/>, or null.</summary>
    public ValePort? FindPersistent(string name) => _persistent.TryGetValue(name, out var port) ? port : null;

    /// <summary>
    /// VALE_NEWIF (<c>vale-ctl -n P</c>): a persistent port attached to no switch. A name starting with
    /// <c>vale</c>, empty or of 16 characters or more → EINVAL; an existing one → EEXIST.
    /// </summary>
    public ValePort CreatePersistent(string name, ushort memId, int txRings, int rxRings, int txSlots, int rxSlots)
    {
        if (name.Length == 0 || name.Length >= 16 || name.StartsWith("vale", StringComparison.Ordinal) || name.Contains(':', StringComparison.Ordinal))
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, name, "a persistent port name has 1 to 15 characters, no ':' and does not start with 'vale'");
        }

        if (_persistent.ContainsKey(name))
        {
            ThrowHelper.Netmap(NetmapError.EEXIST, name, $"interface '{name}' already exists");
        }

        var port = NewPort(null, name, memId, txRings, rxRings, txSlots, rxSlots, 0);
        _persistent.Add(name, port);
        return port;
    }

    /// <summary>
    /// VALE_ATTACH (<c>vale-ctl -a valeB:P</c>): attaches persistent port P to switch B (created if needed).
    /// P not persistent → EINVAL; already attached to B → EBUSY; attached to another switch → EBUSY
    /// (netmap attaches it through a wrapper; not done here).
    /// </summary>
    public void Attach(string valeName)
    {
        var (bridge, portName) = SplitValeName(valeName);
        if (!_persistent.TryGetValue(portName, out var port))
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, valeName, $"'{portName}' is not an existing persistent port");
            return;
        }

        if (port.Switch is { } current)
        {
            ThrowHelper.Netmap(NetmapError.EBUSY, valeName, current.Name == bridge
                ? $"'{portName}' is already attached to {bridge}"
                : $"'{portName}' is attached to {current.Name}; a second switch (netmap's wrapper) is not supported in this build");
        }

        var sw = Find(bridge);
        if (sw is null)
        {
            if (_switches.Count >= MaxSwitches)
            {
                ThrowHelper.Netmap(NetmapError.ENOMEM, valeName, $"no free VALE switch slot ({MaxSwitches} switches exist)");
            }

            sw = new ValeSwitch(domain, bridge);
        }
        else if (sw.Find(valeName) is not null)
        {
            ThrowHelper.Netmap(NetmapError.EBUSY, valeName, $"switch {bridge} already has a port named '{valeName}'");
        }

        if (!sw.HasRoom)
        {
            ThrowHelper.Netmap(NetmapError.ENOMEM, valeName, $"switch {bridge} has no room for another port");
        }

        sw.Attach(port);
        port.Switch = sw;
        if (!_switches.Contains(sw))
        {
            _switches.Add(sw);
        }
    }

    /// <summary>
    /// VALE_DETACH (<c>vale-ctl -d valeB:P</c>): detaches persistent port P from switch B. No switch B → ENXIO;
    /// an ephemeral port → EBUSY; P not attached to B → EINVAL.
    /// </summary>
    public void Detach(string valeName)
    {
        var (bridge, portName) = SplitValeName(valeName);
        var sw = Find(bridge);
        if (sw is null)
        {
            ThrowHelper.Netmap(NetmapError.ENXIO, valeName, $"no switch {bridge}");
            return;
        }

        if (!_persistent.TryGetValue(portName, out var port) || !ReferenceEquals(port.Switch, sw))
        {
            if (sw.Find(valeName) is not null)
            {
                ThrowHelper.Netmap(NetmapError.EBUSY, valeName, "an ephemeral port cannot be detached: close its handles");
            }

            ThrowHelper.Netmap(NetmapError.EINVAL, valeName, $"'{portName}' is not attached to {bridge}");
            return;
        }

        sw.Detach(port);
        port.Switch = null;
        RemoveIfEmpty(sw);
    }

    /// <summary>
    /// VALE_DELIF (<c>vale-ctl -r P</c>): destroys persistent port P. No such port → ENXIO; attached or
    /// open → EBUSY.
    /// </summary>
    public void DestroyPersistent(string name)
    {
        if (!_persistent.TryGetValue(name, out var port))
        {
            ThrowHelper.Netmap(NetmapError.ENXIO, name, $"no persistent port '{name}'");
            return;
        }

        if (port.Switch is { } sw)
        {
            ThrowHelper.Netmap(NetmapError.EBUSY, name, $"'{name}' is attached to {sw.Name}: detach it first");
        }

        if (port.Bindings > 0)
        {
            ThrowHelper.Netmap(NetmapError.EBUSY, name, $"'{name}' is open");
        }

        _persistent.Remove(name);
        port.Destroy();
    }

    /// <summary>Destroys every persistent port (domain disposal, after all handles closed).</summary>
    public void DestroyAllPersistent()
    {
        var ports = new List<ValePort>(_persistent.Values);
        _persistent.Clear();
        foreach (var port in ports)
        {
            port.Destroy();
        }
    }

    /// <summary>Forgets a switch whose last port left.</summary>
    public void RemoveIfEmpty(ValeSwitch sw)
    {
        if (sw.ActivePorts == 0)
        {
            _switches.Remove(sw);
        }
    }

    private static (string Bridge, string Port) SplitValeName(string valeName)
    {
        var colon = valeName.IndexOf(':', StringComparison.Ordinal);
        if (!valeName.StartsWith("vale", StringComparison.Ordinal) || colon < 0 || colon > 15 || valeName.Length - colon - 1 is 0 or > 15)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, valeName, "expected valeB:P (B and P of 1 to 15 characters)");
        }

        return (valeName[..colon], valeName[(colon + 1)..]);
    }

    private ValePort NewPort(ValeSwitch? sw, string name, ushort memId, int txRings, int rxRings, int txSlots, int rxSlots, int extraBuffers)
    {
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

        try
        {
            return new ValePort(domain, sw, name, arena, memId, privateRegion, tx, txs, rx, rxs);
        }
        catch (NetmapException) when (privateRegion)
        {
            domain.ReleasePrivateRegion(memId);
            throw;
        }
    }

    private static int Clamp(int asked, int min, int max, int dflt) => asked == 0 ? dflt : Math.Clamp(asked, min, max);
}
