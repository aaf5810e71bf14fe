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
    private readonly List<ValeLink> _links = [];

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
            if (existing.Wrapped is { } wrapped)
            {
                ThrowHelper.Netmap(NetmapError.EBUSY, spec, $"'{name}' links {bridge} to {wrapped.Switch?.Name} through persistent port '{wrapped.Name}' (netmap's bwrap): it is in kernel use");
            }

            return existing;
        }

        if (_persistent.TryGetValue(name[(colon + 1)..], out var persistent))
        {
            // valeB:P with P persistent opens the attached port; not attached to B → EINVAL (notes §7.2).
            if (!ReferenceEquals(persistent.Switch, sw) || sw is null)
            {
                ThrowHelper.Netmap(NetmapError.EINVAL, spec, $"persistent port '{persistent.Name}' is not attached to {bridge}: attach it first");
            }

            if (persistent.Link is { } link)
            {
                ThrowHelper.Netmap(NetmapError.EBUSY, spec, $"'{persistent.Name}' is wrapped onto {link.Second.Name} and links it to {bridge}: it is in kernel use until {link.Second.Name}:{persistent.Name} is detached");
            }

            return persistent;
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
    /// P not persistent → EINVAL; already attached to B → EBUSY. P already attached to another switch A is
    /// wrapped onto B (netmap's bwrap, <see cref="ValeLink"/>): P then links A and B. That needs P not open by
    /// a handle and not wrapped already (else EBUSY).
    /// </summary>
    public void Attach(string valeName)
    {
        var (bridge, portName) = SplitValeName(valeName);
        if (!_persistent.TryGetValue(portName, out var port))
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, valeName, $"'{portName}' is not an existing persistent port");
            return;
        }

        var current = port.Switch;
        if (current is not null)
        {
            if (current.Name == bridge)
            {
                ThrowHelper.Netmap(NetmapError.EBUSY, valeName, $"'{portName}' is already attached to {bridge}");
            }

            if (port.Link is { } link)
            {
                ThrowHelper.Netmap(NetmapError.EBUSY, valeName, $"'{portName}' already links {current.Name} to {link.Second.Name}: it is in kernel use");
            }

            if (port.Bindings > 0)
            {
                ThrowHelper.Netmap(NetmapError.EBUSY, valeName, $"'{portName}' is open by a handle ({current.Name}:{portName}); close it before wrapping it onto {bridge}");
            }
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

        if (current is null)
        {
            sw.Attach(port);
            port.Switch = sw;
        }
        else
        {
            Wrap(port, current, sw, valeName);
        }

        if (!_switches.Contains(sw))
        {
            _switches.Add(sw);
        }
    }

    /// <summary>
    /// VALE_DETACH (<c>vale-ctl -d valeB:P</c>): detaches persistent port P from switch B, or unwraps it when B
    /// is the switch it was wrapped onto. No switch B → ENXIO; an ephemeral port → EBUSY; P not attached to B →
    /// EINVAL; the first attachment of a port that is also wrapped onto another switch → EBUSY.
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

        var found = sw.Find(valeName);
        if (found?.Link is { } wrap && found.Wrapped is not null)
        {
            Unwrap(wrap);
            return;
        }

        if (!_persistent.TryGetValue(portName, out var port) || !ReferenceEquals(port.Switch, sw))
        {
            if (found is not null)
            {
                ThrowHelper.Netmap(NetmapError.EBUSY, valeName, "an ephemeral port cannot be detached: close its handles");
            }

            ThrowHelper.Netmap(NetmapError.EINVAL, valeName, $"'{portName}' is not attached to {bridge}");
            return;
        }

        if (port.Link is { } link)
        {
            ThrowHelper.Netmap(NetmapError.EBUSY, valeName, $"'{portName}' is also wrapped onto {link.Second.Name}: detach {link.Second.Name}:{portName} first");
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

        if (port.PipeReferences > 0)
        {
            ThrowHelper.Netmap(NetmapError.EBUSY, name, $"'{name}' has pipes open ({name}{{N or {name}}}N)");
        }

        _persistent.Remove(name);
        port.Destroy();
    }

    /// <summary>Stops every link, then destroys every persistent port (domain disposal, after all handles closed).</summary>
    public void DestroyAllPersistent()
    {
        foreach (var link in _links.ToArray())
        {
            Unwrap(link);
        }

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

    /// <summary>
    /// The port a pipe named <c>valeB:P{N</c> or <c>netmap:P{N</c> hangs off, when P is a VALE port: the VALE
    /// port (created unbound on first use, as netmap's parent lookup creates it) or the persistent port P.
    /// Null when P is neither (an implicit parent). The caller takes a pipe reference on it.
    /// </summary>
    public ValePort? PipeParentPort(string spec, PortPrefix prefix, string parentName, ushort memId)
    {
        if (prefix == PortPrefix.Vale)
        {
            return Open(spec, parentName, memId, 0, 0, 0, 0, 0, out _);
        }

        return prefix == PortPrefix.Netmap ? FindPersistent(parentName) : null;
    }

    /// <summary>Wraps persistent port <paramref name="port"/>, attached to <paramref name="first"/>, onto <paramref name="second"/>.</summary>
    private void Wrap(ValePort port, ValeSwitch first, ValeSwitch second, string valeName)
    {
        var wrapper = new ValePort(domain, second, valeName, port);
        second.Attach(wrapper);
        var link = new ValeLink(port, wrapper, first, second);
        link.BindPort();
        port.Link = link;
        wrapper.Link = link;
        first.AddLink(link);
        second.AddLink(link);
        _links.Add(link);
    }

    /// <summary>Detaches a wrapper from its switch and stops its link; the wrapped port stays on its first switch.</summary>
    private void Unwrap(ValeLink link)
    {
        link.BeginStop();
        try
        {
            link.Second.Detach(link.Wrapper); // nothing new is delivered to the wrapper from here on
        }
        finally
        {
            link.EndStop();
        }

        link.First.RemoveLink(link);
        link.Second.RemoveLink(link);
        _links.Remove(link);
        link.Port.Link = null;
        link.Wrapper.Link = null;
        link.Wrapper.Switch = null;
        link.Wrapper.Destroy();
        RemoveIfEmpty(link.Second);
        link.UnbindPort();
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
            // The port's rings, then as much again for the zero-copy monitors and pipes that share the region
            // (netmap sizes it for the port's rings plus its fake host rings), the extra buffers and a margin.
            var extra = Math.Clamp(extraBuffers, 0, 65536);
            var count = BufferArena.FirstValidIndex + (2 * ((tx * (int)txs) + (rx * (int)rxs))) + extra + 64;
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
