namespace Pipeline.Cluster.Placement;

/// <summary>
/// One end of a pipe between nodes, as one node sees it. The node's pipeline gets a port named
/// <see cref="PortName"/> in place of the remote node (a netmap pipe end, <see cref="RuntimeSpec"/>), and the
/// link actor opens the pipe's other end (<see cref="LinkSpec"/>) to copy packets to or from the wire.
/// </summary>
/// <param name="Edge">The pipe's index in the definition's edges (the same on every node).</param>
/// <param name="PortName">The port in the node's pipeline: <c>from.gate-&gt;to</c>, the same on both nodes.</param>
/// <param name="RuntimeSpec">The pipe end the pipeline opens.</param>
/// <param name="LinkSpec">The pipe end the link opens.</param>
/// <param name="PeerRole">The role of the nodes at the other end.</param>
/// <param name="Outgoing">True on the sending node (a sink in its pipeline), false on the receiving node (a source).</param>
/// <param name="PeerNodesNeeded">Nodes of the peer role the pipeline waits for: a sending link sends nothing before that many run.</param>
internal sealed record LinkPlan(int Edge, string PortName, string RuntimeSpec, string LinkSpec, string PeerRole, bool Outgoing, int PeerNodesNeeded);
