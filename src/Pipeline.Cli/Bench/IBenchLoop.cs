namespace Pipeline.Cli.Bench;

/// <summary>
/// A scenario's running setup: ports open, ready to move packets. <see cref="BenchRunner"/> calls
/// <see cref="Run"/> in chunks (warm-up, then the measured window), then <see cref="Complete"/>, then disposes it.
/// </summary>
/// <remarks>Thread: every call comes from the one measuring thread.</remarks>
internal interface IBenchLoop : IDisposable
{
    /// <summary>True when work happens on other threads too, so allocations are counted process-wide.</summary>
    bool ProcessWide { get; }

    /// <summary>Moves packets until at least <paramref name="packets"/> more reached the consumer; returns how many did. Allocates nothing.</summary>
    long Run(long packets);

    /// <summary>Stops producing, lets what is in flight arrive, and throws <see cref="BenchFailedException"/> when a packet was lost or damaged.</summary>
    void Complete();

    /// <summary>After <see cref="Complete"/>: what the report's note should add (afpacket: where dropped frames went), or null.</summary>
    string? Note => null;
}

/// <summary>A scenario broke its own accounting (a packet lost, dropped or damaged) or stalled.</summary>
internal sealed class BenchFailedException(string message) : Exception(message);
