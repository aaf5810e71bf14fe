using Netmap.Io.Ports;

namespace Pipeline.Config;

/// <summary>
/// How ports of one pipeline are joined outside its pipes: the two ends of a netmap pipe, a monitor and the
/// port it watches, the ports of one VALE switch. A port fed only through such links by the pipeline's own
/// ports runs dry when the pipeline's finite sources have ended, so the pipeline can end.
/// </summary>
public static class PortLinks
{
    private const RegisterFlags MonitorFlags = RegisterFlags.MonitorRx | RegisterFlags.MonitorTx | RegisterFlags.ZcopyMon;

    /// <summary>True for a monitor (<c>PORT/r</c>, <c>/t</c>, <c>/rt</c>, <c>/z</c>): a port that only receives copies (or swapped buffers) of another port's traffic.</summary>
    public static bool IsMonitor(PortSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return (spec.Flags & MonitorFlags) != 0;
    }

    /// <summary>True when <paramref name="monitor"/> is a monitor of the port <paramref name="parent"/> names (the same name without the monitor flags).</summary>
    public static bool IsMonitorOf(PortSpec monitor, PortSpec parent)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        ArgumentNullException.ThrowIfNull(parent);
        return IsMonitor(monitor) && !IsMonitor(parent) && monitor.Prefix == parent.Prefix
            && string.Equals(monitor.Name, parent.Name, StringComparison.Ordinal);
    }

    /// <summary>True when <paramref name="a"/> and <paramref name="b"/> are the two ends of one netmap pipe (<c>X{N</c> and <c>X}N</c>).</summary>
    public static bool ArePipePeers(PortSpec a, PortSpec b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.IsPipe && b.IsPipe && !IsMonitor(a) && !IsMonitor(b) && a.Prefix == b.Prefix && a.IsPipeMaster != b.IsPipeMaster
            && string.Equals(a.PipeParent, b.PipeParent, StringComparison.Ordinal)
            && string.Equals(a.PipeId, b.PipeId, StringComparison.Ordinal);
    }

    /// <summary>The switch a VALE port (<c>valeS:P</c>) is on, <c>valeS</c>; null for other ports and for monitors.</summary>
    public static string? ValeSwitchOf(PortSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Prefix != PortPrefix.Vale || IsMonitor(spec))
        {
            return null;
        }

        var colon = spec.Name.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? spec.Name : spec.Name[..colon];
    }

    /// <summary>The port of <paramref name="definition"/> that <paramref name="monitor"/> watches, or null.</summary>
    public static PortDefinition? ParentOf(PipelineDefinition definition, PortSpec monitor)
    {
        ArgumentNullException.ThrowIfNull(definition);
        foreach (var port in definition.Ports)
        {
            if (IsMonitorOf(monitor, port.Spec))
            {
                return port;
            }
        }

        return null;
    }

    /// <summary>
    /// True when <paramref name="port"/> is joined to another port of <paramref name="definition"/> outside the
    /// pipes: a pipe end whose other end is declared, a VALE port with another port of its switch declared, a
    /// monitor of a declared port, or a port a declared monitor watches. Such a port is part of the pipeline's
    /// own wiring (a test harness must not swap it for a file).
    /// </summary>
    public static bool IsLinked(PipelineDefinition definition, PortDefinition port)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(port);
        var valeSwitch = ValeSwitchOf(port.Spec);
        foreach (var other in definition.Ports)
        {
            if (ReferenceEquals(other, port))
            {
                continue;
            }

            if (ArePipePeers(port.Spec, other.Spec) || IsMonitorOf(port.Spec, other.Spec) || IsMonitorOf(other.Spec, port.Spec)
                || (valeSwitch is not null && string.Equals(valeSwitch, ValeSwitchOf(other.Spec), StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// True when everything <paramref name="port"/> can receive comes from other ports of
    /// <paramref name="definition"/>: a pipe end whose other end is declared; a VALE port whose switch has no
    /// port outside the pipeline (<paramref name="switchIsPrivate"/> says, given the switch's name, whether
    /// anything else is attached; null takes every switch as the pipeline's own); a monitor of a declared port
    /// that watches only its transmissions (<c>/t</c>), or whose port is itself fed internally.
    /// </summary>
    public static bool IsFedInternally(PipelineDefinition definition, PortDefinition port, Func<string, bool>? switchIsPrivate = null)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(port);
        var spec = port.Spec;
        if (IsMonitor(spec))
        {
            if (ParentOf(definition, spec) is not { } parent)
            {
                return false;
            }

            var onlyTx = (spec.Flags & RegisterFlags.MonitorTx) != 0 && (spec.Flags & RegisterFlags.MonitorRx) == 0;
            return onlyTx || IsFedInternally(definition, parent, switchIsPrivate);
        }

        if (spec.IsPipe)
        {
            foreach (var other in definition.Ports)
            {
                if (ArePipePeers(spec, other.Spec))
                {
                    return true;
                }
            }

            return false;
        }

        return ValeSwitchOf(spec) is { } valeSwitch && (switchIsPrivate?.Invoke(valeSwitch) ?? true);
    }
}
