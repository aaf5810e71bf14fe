using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Pipeline.Config;

/// <summary>
/// Reads where a pipeline runs when it spans several nodes: the top-level <c>nodes:</c> list of node roles, a
/// port's or stage's <c>node: ROLE</c>, and a stage's <c>instances: N | per-node</c>. Bad values are reported at
/// the value (or at the key when it is empty), as <c>FILE:LINE:COL: message</c>.
/// </summary>
internal static class NodePlacementReader
{
    public const string NodesKey = "nodes";
    public const string NodeKey = "node";
    public const string InstancesKey = "instances";
    public const string PerNode = "per-node";

    /// <summary>The largest <c>instances: N</c>: more nodes of one role than any cluster here would run.</summary>
    public const int MaxInstances = 1024;

    /// <summary>The roles in file order; empty (with errors reported) when the section is bad.</summary>
    public static IReadOnlyList<string> ReadNodes(ConfigDiagnostics diagnostics, YamlScalarNode key, YamlNode value)
    {
        if (value is not YamlSequenceNode list || list.Children.Count == 0)
        {
            diagnostics.Add(ConfigDiagnostics.IsEmpty(value) ? key : value, $"'nodes' must be a non-empty list of node roles like [edge, workers], found {ConfigDiagnostics.Describe(value)}");
            return [];
        }

        var roles = new List<string>();
        foreach (var item in list.Children)
        {
            if (item is not YamlScalarNode { Value: { } role } || !PipeParser.IsName(role))
            {
                diagnostics.Add(item, $"a node role must be a name of letters, digits, '_' and '-', found {ConfigDiagnostics.Describe(item)}");
            }
            else if (roles.Contains(role))
            {
                diagnostics.Add(item, $"node role '{role}' is listed twice");
            }
            else
            {
                roles.Add(role);
            }
        }

        return roles;
    }

    /// <summary>
    /// A port's or stage's <c>node:</c> value: a role of <paramref name="roles"/>, or null when the key is absent or
    /// bad (reported). <paramref name="nodesGiven"/> tells a missing <c>nodes:</c> section from a bad one.
    /// </summary>
    public static string? ReadNode(ConfigDiagnostics diagnostics, IReadOnlyList<string> roles, bool nodesGiven, YamlScalarNode key, YamlNode value)
    {
        if (!nodesGiven)
        {
            diagnostics.Add(key, "'node' needs a top-level 'nodes:' list of the node roles");
            return null;
        }

        if (value is not YamlScalarNode { Value: { Length: > 0 } role } || ConfigDiagnostics.IsEmpty(value))
        {
            diagnostics.Add(ConfigDiagnostics.IsEmpty(value) ? key : value, $"'node' must be a node role, found {ConfigDiagnostics.Describe(value)}");
            return null;
        }

        if (roles.Count > 0 && !roles.Contains(role))
        {
            diagnostics.Add(value, $"unknown node role '{role}' (the 'nodes:' section lists: {string.Join(", ", roles)})");
            return null;
        }

        return role;
    }

    /// <summary>A stage's <c>instances:</c> value: N from 1 to <see cref="MaxInstances"/>, or 1 for <c>per-node</c>; 1 when bad (reported).</summary>
    public static int ReadInstances(ConfigDiagnostics diagnostics, bool nodesGiven, YamlScalarNode key, YamlNode value)
    {
        if (!nodesGiven)
        {
            diagnostics.Add(key, "'instances' needs a top-level 'nodes:' list of the node roles: instances of a stage run on the nodes of its role");
            return 1;
        }

        var text = (value as YamlScalarNode)?.Value;
        if (text == PerNode)
        {
            return 1;
        }

        if (text is not null && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= MaxInstances)
        {
            return n;
        }

        diagnostics.Add(ConfigDiagnostics.IsEmpty(value) ? key : value, $"'instances' must be an integer from 1 to {MaxInstances} or '{PerNode}', found {ConfigDiagnostics.Describe(value)}");
        return 1;
    }
}
