using Akka.Actor;
using Pipeline.Cluster.Counters;

namespace Pipeline.Cluster.Wire;

/// <summary>
/// What a node tells every other node, a few times a second: that it runs (and where its receiving link ends
/// are, so senders can reach them), whether its input has ended and nothing moves in it, its counters, and its
/// per-peer link ledger. Any node builds the cluster-wide table and decides the end of input from these.
/// </summary>
/// <param name="Address">The node's Akka address.</param>
/// <param name="Uid">The node's incarnation.</param>
/// <param name="Role">Its role.</param>
/// <param name="Fingerprint">The pipeline it runs (nodes of different pipelines ignore each other).</param>
/// <param name="Sequence">Grows with every report of this incarnation.</param>
/// <param name="Started">Its part of the pipeline runs (its receiving link ends exist).</param>
/// <param name="HasSources">It has ports that read packets (not links).</param>
/// <param name="SourcesFinished">All of them are finite and have ended (true when it has none).</param>
/// <param name="Idle">Nothing is held or moving in it: no batch out, no packet in a link or waiting for credit.</param>
/// <param name="Stopping">It is stopping: send it nothing new.</param>
/// <param name="SourceIn">Packets its ports have read.</param>
/// <param name="SinkOut">Packets its ports have transmitted.</param>
/// <param name="InLinks">Its receiving link ends, by edge.</param>
/// <param name="Rows">Its counters.</param>
/// <param name="Ledger">Packets exchanged with each peer.</param>
internal sealed record NodeReport(
    string Address,
    int Uid,
    string Role,
    string Fingerprint,
    long Sequence,
    bool Started,
    bool HasSources,
    bool SourcesFinished,
    bool Idle,
    bool Stopping,
    long SourceIn,
    long SinkOut,
    IReadOnlyList<InLinkEndpoint> InLinks,
    IReadOnlyList<ClusterCounterRow> Rows,
    IReadOnlyList<LedgerRow> Ledger) : IClusterMessage;

/// <summary>The receiving end of the pipe <paramref name="Edge"/> on a node.</summary>
internal sealed record InLinkEndpoint(int Edge, IActorRef Actor);

/// <summary>
/// Packets one node exchanged with a peer over cross-node pipes: sent to it (handed to the transport), acknowledged
/// by it, counted lost with it, received from it, and the largest origin source-in seen in its batches.
/// </summary>
internal sealed record LedgerRow(string PeerAddress, int PeerUid, long SentTo, long AckedBy, long LostTo, long ReceivedFrom, long SourceInSeen);
