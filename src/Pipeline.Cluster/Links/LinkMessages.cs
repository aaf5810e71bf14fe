using Akka.Actor;
using Akka.Cluster;

namespace Pipeline.Cluster.Links;

/// <summary>A link's timer or self-message: look at the pipe again.</summary>
internal sealed record LinkPoll : INoSerializationVerificationNeeded
{
    public static LinkPoll Instance { get; } = new();
}

/// <summary>A node of the target role runs and its receiving end of this pipe is <paramref name="InLink"/>.</summary>
internal sealed record TargetReady(UniqueAddress Node, IActorRef InLink) : INoSerializationVerificationNeeded;

/// <summary>The target node may (true) or may not (unreachable, stopping) get new packets; what it was sent stays in flight.</summary>
internal sealed record TargetReachability(UniqueAddress Node, bool Reachable) : INoSerializationVerificationNeeded;

/// <summary>The target node left the cluster: what was in flight to it is lost.</summary>
internal sealed record TargetRemoved(UniqueAddress Node) : INoSerializationVerificationNeeded;

/// <summary>The node stops: count what the link still holds (shutdown drops) and reply <see cref="LinkClosed"/>.</summary>
internal sealed record CloseLink : INoSerializationVerificationNeeded
{
    public static CloseLink Instance { get; } = new();
}

/// <summary>Reply to <see cref="CloseLink"/>.</summary>
internal sealed record LinkClosed(int Edge) : INoSerializationVerificationNeeded;
