namespace Pipeline.Cli.Commands;

/// <summary>Why <c>pipeline run</c> stopped the pipeline.</summary>
internal enum StopReason
{
    /// <summary>Every source is finite and ended, and everything it gave was delivered or dropped.</summary>
    EndOfInput,
    /// <summary>The source ports received <c>--packets</c> packets.</summary>
    PacketLimit,
    /// <summary><c>--duration</c> seconds passed.</summary>
    Duration,
    /// <summary>Ctrl-C, SIGINT or SIGTERM.</summary>
    Interrupted,
    /// <summary>A port failed for good (a capture that cannot be written, a device gone).</summary>
    PortFailed,
}
