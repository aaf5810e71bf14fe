namespace Pipeline.Cluster.Wire;

/// <summary>A message between the nodes of a cluster pipeline: serialised by <see cref="ClusterMessageSerializer"/>.</summary>
internal interface IClusterMessage;
