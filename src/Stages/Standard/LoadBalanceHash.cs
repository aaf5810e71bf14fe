namespace Stages.Standard;

/// <summary>What <see cref="LoadBalance"/> hashes: YAML <c>five-tuple</c> or <c>ip</c>.</summary>
public enum LoadBalanceHash
{
    /// <summary>Addresses, protocol and TCP/UDP/SCTP ports (addresses and protocol for fragments and other protocols).</summary>
    FiveTuple,

    /// <summary>The IP addresses only.</summary>
    Ip,
}
