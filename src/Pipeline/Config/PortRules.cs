namespace Pipeline.Config;

/// <summary>
/// Checks what the ports ask of each other once every pipe is read: a monitor watches a port declared in the
/// same file (the runtime opens it first), and a monitor only receives, so no pipe may send to it.
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

        foreach (var edge in edges)
        {
            if (edge.ToKind == NodeKind.Port && monitors.TryGetValue(edge.To, out var monitor))
            {
                diagnostics.Add(edge.Where, $"port '{monitor.Name}' is a monitor ({monitor.Spec.Spec}): it only receives copies of another port's traffic, so a pipe cannot send to it");
            }
        }
    }

    // The monitor's spec without its flags: the port it watches, as a user would write it.
    private static string ParentSpec(PortDefinition monitor)
    {
        var spec = monitor.Spec.Spec;
        var slash = spec.LastIndexOf('/');
        return slash < 0 ? spec : spec[..slash];
    }
}
