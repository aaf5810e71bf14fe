namespace Pipeline.Config;

/// <summary>
/// Checks what the ports ask of each other once every pipe is read: a monitor watches a port declared in the
/// same file (the runtime opens it first), a monitor only receives, so no pipe may send to it, and it copies
/// (<c>/r</c>, <c>/t</c>): a zero-copy monitor (<c>/z</c>) cannot watch a port whose buffers the pipeline swaps.
/// </summary>
internal static class PortRules
{
    public static void Check(ConfigDiagnostics diagnostics, IReadOnlyList<PortDefinition> ports, IReadOnlyList<EdgeDefinition> edges)
    {
        var monitors = new Dictionary<string, PortDefinition>(StringComparer.Ordinal);
        foreach (var port in ports)
        {
            if (!PortLinks.IsMonitor(port.Spec))
            {
                continue;
            }

            monitors[port.Name] = port;
            if ((port.Spec.Flags & Netmap.Io.Ports.RegisterFlags.ZcopyMon) != 0)
            {
                // netmap's zero-copy monitor gets the very buffers the watched port's reader releases; a pipeline's port
                // swaps every received buffer out for an empty one, which is what such a monitor would then get. It
                // also takes no offsets, and every pipeline port has them (the headroom stages push headers into).
                diagnostics.Add(port.Where, $"port '{port.Name}' is a zero-copy monitor ({port.Spec.Spec}), which a pipeline cannot use: the pipeline swaps fresh buffers into the rings of '{ParentSpec(port)}' as it reads them, so the monitor would get those, not the frames; use a copy monitor ('{ParentSpec(port)}/r' or '/t')");
                continue;
            }

            var declared = false;
            foreach (var other in ports)
            {
                declared |= PortLinks.IsMonitorOf(port.Spec, other.Spec);
            }

            if (!declared)
            {
                diagnostics.Add(port.Where, $"port '{port.Name}' monitors '{ParentSpec(port)}', which is not one of this pipeline's ports: declare it under 'ports:' too (a monitor opens after the port it watches)");
            }
        }

        var byName = new Dictionary<string, PortDefinition>(StringComparer.Ordinal);
        foreach (var port in ports)
        {
            byName[port.Name] = port;
        }

        foreach (var edge in edges)
        {
            if (edge.ToKind == NodeKind.Port && monitors.TryGetValue(edge.To, out var monitor))
            {
                diagnostics.Add(edge.Where, $"port '{monitor.Name}' is a monitor ({monitor.Spec.Spec}): it only receives copies of another port's traffic, so a pipe cannot send to it");
            }
            else if (edge.ToKind == NodeKind.Port && byName.TryGetValue(edge.To, out var sink) && !CanTransmit(sink.Spec))
            {
                diagnostics.Add(edge.Where, $"port '{sink.Name}' ({sink.Spec.Spec}) only receives: it has no TX ring, so a pipe cannot send to it");
            }

            if (edge.FromKind == NodeKind.Port && byName.TryGetValue(edge.From, out var source) && !CanReceive(source.Spec))
            {
                diagnostics.Add(edge.Where, $"port '{source.Name}' ({source.Spec.Spec}) only transmits: it has no RX ring, so nothing comes out of it for a pipe");
            }
        }
    }

    // A capture file is read or written, never both; /R and /T bind only the RX or only the TX rings (netmap's
    // NR_RX_RINGS_ONLY, NR_TX_RINGS_ONLY).
    private static bool CanTransmit(Netmap.Io.Ports.PortSpec spec) =>
        spec.Prefix != Netmap.Io.Ports.PortPrefix.Pcap && (spec.Flags & Netmap.Io.Ports.RegisterFlags.RxRingsOnly) == 0;

    private static bool CanReceive(Netmap.Io.Ports.PortSpec spec) =>
        spec.Prefix != Netmap.Io.Ports.PortPrefix.PcapOut && (spec.Flags & Netmap.Io.Ports.RegisterFlags.TxRingsOnly) == 0;

    // The monitor's spec without its flags: the port it watches, as a user would write it.
    private static string ParentSpec(PortDefinition monitor)
    {
        var spec = monitor.Spec.Spec;
        var slash = spec.LastIndexOf('/');
        return slash < 0 ? spec : spec[..slash];
    }
}
