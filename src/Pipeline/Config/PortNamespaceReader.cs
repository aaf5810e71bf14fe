using Netmap.Io.Linux;
using Netmap.Io.Ports;
using YamlDotNet.RepresentationModel;

namespace Pipeline.Config;

/// <summary>
/// Reads a port's <c>netns</c> key: the Linux network namespace its device is opened in (an <c>ip netns</c> name or
/// the absolute path of a namespace file), so that one pipeline can bridge interfaces of several namespaces. Bad
/// values are reported at the value (or at the key when it is empty), as <c>FILE:LINE:COL: message</c>.
/// </summary>
internal static class PortNamespaceReader
{
    public const string NetnsKey = "netns";

    /// <summary>The namespace, or null when the key is absent or bad (reported).</summary>
    public static string? Read(ConfigDiagnostics diagnostics, PortSpec spec, YamlScalarNode? key, YamlNode? value)
    {
        if (key is null || value is null)
        {
            return null;
        }

        if (value is not YamlScalarNode { Value: { Length: > 0 } name } scalar || ConfigDiagnostics.IsEmpty(value))
        {
            diagnostics.Add(
                ConfigDiagnostics.IsEmpty(value) ? key : value,
                $"'netns' must be a network namespace name (as 'ip netns list' shows it) or the absolute path of a namespace file, found {ConfigDiagnostics.Describe(value)}");
            return null;
        }

        if (!NetworkNamespace.IsValidName(name, out var reason))
        {
            diagnostics.Add(scalar, $"invalid 'netns': {reason}");
            return null;
        }

        if (!OpensADevice(spec))
        {
            diagnostics.Add(key, $"'netns' applies only to a port on a Linux device (netmap:IF, tap:NAME), not to '{spec.Spec}'");
            return null;
        }

        if (PortLinks.IsMonitor(spec))
        {
            diagnostics.Add(key, "'netns' does not apply to a monitor: it opens through the port it watches, in that port's namespace");
            return null;
        }

        return name;
    }

    /// <summary>
    /// Ports on one device name agree on its namespace: the domain knows an open interface by its name alone, so
    /// <c>netmap:eth0</c> of two namespaces cannot both be in one pipeline. Reported at the later port.
    /// </summary>
    public static void Check(ConfigDiagnostics diagnostics, IReadOnlyList<PortDefinition> ports)
    {
        for (var i = 0; i < ports.Count; i++)
        {
            var port = ports[i];
            if (!OpensADevice(port.Spec) || PortLinks.IsMonitor(port.Spec))
            {
                continue;
            }

            for (var j = 0; j < i; j++)
            {
                var earlier = ports[j];
                if (OpensADevice(earlier.Spec) && !PortLinks.IsMonitor(earlier.Spec) && earlier.Spec.Prefix == port.Spec.Prefix
                    && string.Equals(earlier.Spec.Name, port.Spec.Name, StringComparison.Ordinal)
                    && !string.Equals(earlier.Netns, port.Netns, StringComparison.Ordinal))
                {
                    diagnostics.Add(
                        port.Where,
                        $"port '{port.Name}' opens '{port.Spec.Name}' in {Describe(port.Netns)} but port '{earlier.Name}' opens it in {Describe(earlier.Netns)}: a pipeline reaches a device name in one namespace only (rename one of the interfaces)");
                    break;
                }
            }
        }
    }

    // A Linux interface (netmap:IF, not a pipe end) or a TAP: the ports whose open looks the device up in the
    // calling thread's network namespace.
    private static bool OpensADevice(PortSpec spec) =>
        spec.Prefix == PortPrefix.Tap || (spec.Prefix == PortPrefix.Netmap && !spec.IsPipe);

    private static string Describe(string? netns) => netns is null ? "the pipeline's own network namespace" : $"network namespace '{netns}'";
}
