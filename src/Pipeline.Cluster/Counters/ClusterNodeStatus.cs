namespace Pipeline.Cluster.Counters;

/// <summary>Where a node of the cluster pipeline stands.</summary>
public enum ClusterNodeStatus
{
    /// <summary>A member, waiting for the other roles before its part of the pipeline starts.</summary>
    Waiting,
    /// <summary>Its part of the pipeline runs.</summary>
    Running,
    /// <summary>It stopped answering; its packets wait until it answers again or is downed.</summary>
    Unreachable,
    /// <summary>It left the cluster after stopping its part of the pipeline.</summary>
    Left,
    /// <summary>It died or was downed: its row holds what it last reported, and what was lost with it.</summary>
    Lost,
}
