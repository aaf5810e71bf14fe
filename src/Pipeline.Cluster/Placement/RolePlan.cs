using Pipeline.Config;

namespace Pipeline.Cluster.Placement;

/// <summary>
/// What one node of a role runs: the part of the pipeline placed on its role, with a port for every pipe that
/// crosses to another role (<see cref="Links"/>), and the names of the ports that really read and write packets.
/// </summary>
/// <param name="Role">The role.</param>
/// <param name="Definition">The node's pipeline: its ports and stages, the link ports, the edges between them.</param>
/// <param name="Links">The ends of the cross-node pipes on this node.</param>
/// <param name="Ports">The ports of the pipeline proper on this node (not the link ports).</param>
/// <param name="Sources">Those of <paramref name="Ports"/> that feed a pipe (they read packets).</param>
internal sealed record RolePlan(string Role, PipelineDefinition Definition, IReadOnlyList<LinkPlan> Links, IReadOnlyList<string> Ports, IReadOnlyList<string> Sources);
