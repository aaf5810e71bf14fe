using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Netmap.Io.Ports;
using Pipeline.Config;

namespace Pipeline.Cluster.Placement;

/// <summary>
/// A pipeline's placement over node roles: which role each port and stage runs on (its <c>node:</c>, else the
/// first role), how many nodes each role needs before the pipeline starts (the largest <c>instances:</c> of its
/// stages, at least one), and each role's part (<see cref="ForRole"/>), where a pipe between roles becomes a
/// port on each side.
/// </summary>
internal sealed class ClusterPlan
{
    /// <summary>The netmap pipe parent of the link pipes (a name a pipeline file is unlikely to use).</summary>
    public const string PipeParent = "pipeline.cluster";

    private readonly Dictionary<string, string> _roleOf = new(StringComparer.Ordinal);

    public ClusterPlan(PipelineDefinition definition, int linkSlots)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (definition.Nodes.Count == 0)
        {
            throw new ArgumentException($"pipeline '{definition.Name}' has no 'nodes:' section: it runs in one process (pipeline run without --role)", nameof(definition));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(linkSlots, 2);
        Definition = definition;
        LinkSlots = linkSlots;
        var first = definition.Nodes[0];
        var needed = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var role in definition.Nodes)
        {
            needed[role] = 1;
        }

        foreach (var port in definition.Ports)
        {
            _roleOf[port.Name] = port.Node ?? first;
        }

        foreach (var stage in definition.Stages)
        {
            var role = stage.Node ?? first;
            _roleOf[stage.Name] = role;
            needed[role] = Math.Max(needed[role], stage.Instances);
        }

        NodesNeeded = needed;
        Fingerprint = ComputeFingerprint(definition);
    }

    public PipelineDefinition Definition { get; }

    /// <summary>The roles, in file order.</summary>
    public IReadOnlyList<string> Roles => Definition.Nodes;

    /// <summary>Nodes of each role the pipeline waits for.</summary>
    public IReadOnlyDictionary<string, int> NodesNeeded { get; }

    /// <summary>Slots of each link pipe's rings.</summary>
    public int LinkSlots { get; }

    /// <summary>A short hash of the pipeline's shape (names, roles, pipes): nodes with different ones do not exchange packets.</summary>
    public string Fingerprint { get; }

    /// <summary>The role port or stage <paramref name="node"/> runs on.</summary>
    public string RoleOf(string node) => _roleOf[node];

    /// <summary>The role an edge's packets end on (the drop sink is wherever the sender is).</summary>
    public string TargetRole(EdgeDefinition edge) => edge.ToKind == NodeKind.Drop ? RoleOf(edge.From) : RoleOf(edge.To);

    /// <summary>The port a pipe between roles becomes on both of its nodes.</summary>
    public static string LinkPortName(EdgeDefinition edge) => $"{edge.From}.{edge.Gate}->{edge.To}";

    /// <summary>The part of the pipeline a node of <paramref name="role"/> runs.</summary>
    /// <exception cref="ArgumentException">The role is not one of <see cref="Roles"/>.</exception>
    public RolePlan ForRole(string role)
    {
        if (!Roles.Contains(role))
        {
            throw new ArgumentException($"unknown role '{role}': pipeline '{Definition.Name}' has the roles {string.Join(", ", Roles)}", nameof(role));
        }

        var ports = new List<PortDefinition>();
        var proper = new List<string>();
        foreach (var port in Definition.Ports)
        {
            if (RoleOf(port.Name) == role)
            {
                ports.Add(port);
                proper.Add(port.Name);
            }
        }

        var stages = Definition.Stages.Where(s => RoleOf(s.Name) == role).ToList();
        var edges = new List<EdgeDefinition>();
        var links = new List<LinkPlan>();
        var sources = new HashSet<string>(StringComparer.Ordinal);
        for (var e = 0; e < Definition.Edges.Count; e++)
        {
            var edge = Definition.Edges[e];
            var from = RoleOf(edge.From);
            var to = TargetRole(edge);
            if (from == role && edge.FromKind == NodeKind.Port)
            {
                sources.Add(edge.From);
            }

            if (from == role && to == role)
            {
                edges.Add(edge);
                continue;
            }

            if (from != role && to != role)
            {
                continue;
            }

            var outgoing = from == role;
            var name = LinkPortName(edge);
            var id = string.Create(CultureInfo.InvariantCulture, $"e{e}");
            var runtimeSpec = $"netmap:{PipeParent}{{{id}@conf:slots={LinkSlots}";
            var linkSpec = $"netmap:{PipeParent}}}{id}@conf:slots={LinkSlots}";
            ports.Add(new PortDefinition(name, PortSpecParser.Parse(runtimeSpec), edge.Where));
            var peer = outgoing ? to : from;
            links.Add(new LinkPlan(e, name, runtimeSpec, linkSpec, peer, outgoing, NodesNeeded[peer]));
            edges.Add(outgoing
                ? edge with { To = name, ToKind = NodeKind.Port }
                : edge with { From = name, FromKind = NodeKind.Port, Gate = "out" });
        }

        var local = Definition with { Ports = ports, Stages = stages, Edges = edges };
        return new RolePlan(role, local, links, proper, [.. proper.Where(sources.Contains)]);
    }

    private static string ComputeFingerprint(PipelineDefinition definition)
    {
        var text = new StringBuilder();
        text.Append(definition.Name).Append('|').AppendJoin(',', definition.Nodes).Append('|');
        foreach (var port in definition.Ports)
        {
            text.Append(port.Name).Append('@').Append(port.Node).Append('=').Append(port.Spec.Spec).Append(';');
        }

        foreach (var stage in definition.Stages)
        {
            text.Append(stage.Name).Append('@').Append(stage.Node).Append(':').Append(stage.Descriptor.Name).Append('*').Append(stage.Instances).Append(';');
        }

        foreach (var edge in definition.Edges)
        {
            text.Append(edge.From).Append('.').Append(edge.Gate).Append('>').Append(edge.To).Append(';');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }
}
