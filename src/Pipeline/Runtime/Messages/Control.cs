namespace Pipeline.Runtime.Messages;

/// <summary>Wiring is complete: start (sources start reading).</summary>
internal sealed record Start
{
    public static Start Instance { get; } = new();
}

/// <summary>A port actor's timer: look at the rings again.</summary>
internal sealed record Poll
{
    public static Poll Instance { get; } = new();
}

/// <summary>
/// The port raised a notification (or the pipeline asked it to look): a port actor takes what its rings have now.
/// One instance, told at most once while pending (<see cref="PortWaker"/>), so a notification allocates nothing.
/// </summary>
internal sealed record Wake
{
    public static Wake Instance { get; } = new();
}

/// <summary>Sources stop reading; what is in flight keeps going.</summary>
internal sealed record StopSources
{
    public static StopSources Instance { get; } = new();
}

/// <summary>Free every batch still held (counted as shutdown drops) and reply <see cref="ShutdownDone"/>.</summary>
internal sealed record Shutdown
{
    public static Shutdown Instance { get; } = new();
}

/// <summary>Reply to <see cref="Shutdown"/>.</summary>
internal sealed record ShutdownDone(string Node);
