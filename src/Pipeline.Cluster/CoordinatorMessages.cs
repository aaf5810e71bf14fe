using Akka.Actor;

namespace Pipeline.Cluster;

/// <summary>The coordinator's timer: report to the other nodes and refresh the cluster view.</summary>
internal sealed record ReportTick : INoSerializationVerificationNeeded
{
    public static ReportTick Instance { get; } = new();
}

/// <summary>This node stops: tell the others at once, so they send it nothing new. Replies <see cref="StepDone"/>.</summary>
internal sealed record BeginStop : INoSerializationVerificationNeeded
{
    public static BeginStop Instance { get; } = new();
}

/// <summary>Send the last report (the final counters) to every other node. Replies <see cref="StepDone"/>.</summary>
internal sealed record SendFinalReport : INoSerializationVerificationNeeded
{
    public static SendFinalReport Instance { get; } = new();
}

/// <summary>Reply to <see cref="BeginStop"/> and <see cref="SendFinalReport"/>.</summary>
internal sealed record StepDone : INoSerializationVerificationNeeded
{
    public static StepDone Instance { get; } = new();
}
