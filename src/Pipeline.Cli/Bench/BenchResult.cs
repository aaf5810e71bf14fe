namespace Pipeline.Cli.Bench;

/// <summary>What one case measured, or why it did not run.</summary>
internal sealed record BenchResult(BenchCase Case)
{
    /// <summary>Packets that reached the consumer in the measured window.</summary>
    public long Packets { get; init; }

    /// <summary>The measured window.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Bytes allocated in the window: by the measuring thread, or by the whole process (<see cref="ProcessWideAllocations"/>).</summary>
    public long AllocatedBytes { get; init; }

    /// <summary>
    /// True when <see cref="AllocatedBytes"/> counts every thread (the pipeline scenarios: actors, the driver and
    /// the runtime's background work, Akka's scheduler included); false for the one-thread loops.
    /// </summary>
    public bool ProcessWideAllocations { get; init; }

    /// <summary>Garbage collections of generation 0, 1 and 2 during the window.</summary>
    public int Gen0 { get; init; }

    /// <inheritdoc cref="Gen0"/>
    public int Gen1 { get; init; }

    /// <inheritdoc cref="Gen0"/>
    public int Gen2 { get; init; }

    /// <summary>How many runs the figure is the median of.</summary>
    public int Rounds { get; init; } = 1;

    /// <summary>What the scenario adds to the report's note (afpacket: frames offered, delivered and dropped where), or null.</summary>
    public string? Note { get; init; }

    /// <summary>Why the case did not run (a scenario not available here), or null.</summary>
    public string? Unavailable { get; init; }

    /// <summary>Why the case failed (a packet lost or damaged, a stall, a port that would not open), or null.</summary>
    public string? Failure { get; init; }

    /// <summary>True when the case ran to the end and its figures count.</summary>
    public bool Ran => Unavailable is null && Failure is null;

    /// <summary>What to print instead of figures when the case did not run: <c>not available here: ...</c> or <c>failed: ...</c>.</summary>
    public string? Problem => Unavailable ?? (Failure is null ? null : "failed: " + Failure);

    /// <summary>Millions of packets per second.</summary>
    public double Mpps => Ran && Elapsed > TimeSpan.Zero ? Packets / Elapsed.TotalSeconds / 1e6 : 0;

    /// <summary>Gigabits per second of frame bytes (no preamble, inter-frame gap or FCS).</summary>
    public double Gbps => Mpps * Case.Size * 8 / 1e3;

    /// <summary>Nanoseconds per packet.</summary>
    public double NsPerPacket => Packets > 0 ? Elapsed.TotalNanoseconds / Packets : 0;

    /// <summary>Bytes allocated per packet.</summary>
    public double AllocatedPerPacket => Packets > 0 ? (double)AllocatedBytes / Packets : 0;
}
