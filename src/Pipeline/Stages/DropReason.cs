namespace Pipeline.Stages;

/// <summary>Why a packet ended its life without leaving on a TX ring. Every drop is counted by reason.</summary>
public enum DropReason
{
    /// <summary>A stage's rule rejected it (a filter, an ACL).</summary>
    Filtered = 0,
    /// <summary>Its headers were truncated or invalid.</summary>
    Malformed,
    /// <summary>No route, no table entry, no destination.</summary>
    NoRoute,
    /// <summary>Too long for the next hop or the buffer.</summary>
    TooBig,
    /// <summary>A stage threw while holding it; the supervisor freed it.</summary>
    Fault,
    /// <summary>A queue or ring was full and the packet could not wait (a source's rx-missed).</summary>
    Overflow,
    /// <summary>It was sent to a gate that no pipe connects.</summary>
    Unconnected,
    /// <summary>It reached the <c>drop</c> sink of the pipeline.</summary>
    Discarded,
    /// <summary>The pipeline stopped while it was in flight.</summary>
    Shutdown,
    /// <summary>A port refused it on TX.</summary>
    TxError,
    /// <summary>Its IPv4 TTL or IPv6 hop limit ran out (a router).</summary>
    TtlExceeded,
    /// <summary>A deny rule matched it (a filter with no <c>deny</c> gate connected).</summary>
    Denied,
    /// <summary>It exceeded a rate limit.</summary>
    Rate,
    /// <summary>It duplicated a packet seen within the window (dedup).</summary>
    Duplicate,
    /// <summary>A link emulator lost it on purpose.</summary>
    Loss,
    /// <summary>A stage's own queue was full (a link emulator's max queue).</summary>
    QueueFull,
    /// <summary>It was in flight to a node of the cluster that left or died before taking it.</summary>
    NodeLost,
    /// <summary>A sampler did not pick it (the last reason: <see cref="DropReasons.Count"/> counts up to it).</summary>
    SampledOut,
}

/// <summary>Helpers over <see cref="DropReason"/>.</summary>
public static class DropReasons
{
    /// <summary>The number of reasons (array size for per-reason counters).</summary>
    public const int Count = (int)DropReason.SampledOut + 1;

    /// <summary>The reason's name as counters and tables print it: <c>no-route</c>.</summary>
    public static string Name(DropReason reason) => reason switch
    {
        DropReason.Filtered => "filtered",
        DropReason.Malformed => "malformed",
        DropReason.NoRoute => "no-route",
        DropReason.TooBig => "too-big",
        DropReason.Fault => "fault",
        DropReason.Overflow => "overflow",
        DropReason.Unconnected => "unconnected",
        DropReason.Discarded => "discarded",
        DropReason.Shutdown => "shutdown",
        DropReason.TxError => "tx-error",
        DropReason.TtlExceeded => "ttl-exceeded",
        DropReason.Denied => "denied",
        DropReason.Rate => "rate",
        DropReason.Duplicate => "duplicate",
        DropReason.Loss => "loss",
        DropReason.QueueFull => "queue-full",
        DropReason.NodeLost => "node-lost",
        DropReason.SampledOut => "sampled-out",
        _ => reason.ToString(),
    };
}
