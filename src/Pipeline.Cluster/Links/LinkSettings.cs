namespace Pipeline.Cluster.Links;

/// <summary>How the links of one node work.</summary>
/// <param name="Window">Batches a sending link may have unacknowledged per target node (the cross-node pipe's credit).</param>
/// <param name="MaxMessageBytes">The largest batch message, header included.</param>
/// <param name="PollInterval">How long an idle link waits before looking at its pipe again.</param>
/// <param name="SelfUid">This node's incarnation, written into every batch.</param>
/// <param name="Headroom">The pipeline's headroom (a receiving link writes packets after it).</param>
/// <param name="MaxPackets">The most packets in one batch message: half the link pipe, so the receiver's pipe takes a whole message at once.</param>
/// <param name="HotPoll">How long after the last packet moved a link keeps looking at its pipe without a timer.</param>
internal sealed record LinkSettings(int Window, int MaxMessageBytes, TimeSpan PollInterval, int SelfUid, int Headroom, int MaxPackets, TimeSpan HotPoll);
