namespace Pipeline.Cluster;

/// <summary>Where this node's part of a cluster pipeline stands.</summary>
public enum ClusterPipelineStatus
{
    /// <summary>Joining the cluster.</summary>
    Joining,
    /// <summary>A member, waiting for every role to have its nodes (<see cref="ClusterPipeline.WaitingFor"/>).</summary>
    Waiting,
    /// <summary>Its part of the pipeline runs.</summary>
    Running,
    /// <summary>Stopping: draining, then leaving the cluster.</summary>
    Stopping,
    /// <summary>Stopped.</summary>
    Stopped,
    /// <summary>Its part of the pipeline could not start (<see cref="ClusterPipeline.Started"/> holds why).</summary>
    Failed,
}

/// <summary>A role the pipeline waits for: <paramref name="Present"/> of its <paramref name="Needed"/> nodes are members.</summary>
public sealed record RoleWait(string Role, int Present, int Needed)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Role} ({Present} of {Needed})";
}
