namespace Pipeline.Cli.Bench;

/// <summary>How a pipeline scenario's two ports are driven: the YAML keys <c>thread</c> and <c>sync</c> of its ports.</summary>
internal enum BenchPorts
{
    /// <summary><c>thread: actor</c> (the runtime's default): each port's actor syncs its rings, polling every 1 ms when idle.</summary>
    Actor,
    /// <summary><c>thread: dedicated</c>: a thread per port runs its sync loop, sleeping up to 1 ms when idle and woken by the pipeline.</summary>
    Dedicated,
    /// <summary><c>thread: dedicated, sync: busy-poll</c>: a thread per port that never waits (a core each).</summary>
    BusyPoll,
}

/// <summary>Names and YAML of <see cref="BenchPorts"/>.</summary>
internal static class BenchPortsText
{
    /// <summary>The names <c>--ports</c> takes.</summary>
    public const string Names = "actor, dedicated, busy-poll";

    /// <summary><c>actor</c>, <c>dedicated</c> or <c>busy-poll</c>.</summary>
    public static string Name(this BenchPorts ports) => ports switch
    {
        BenchPorts.Dedicated => "dedicated",
        BenchPorts.BusyPoll => "busy-poll",
        _ => "actor",
    };

    /// <summary>The keys to add to each port's YAML mapping (with a leading comma), empty for the default.</summary>
    public static string Yaml(this BenchPorts ports) => ports switch
    {
        BenchPorts.Dedicated => ", thread: dedicated",
        BenchPorts.BusyPoll => ", thread: dedicated, sync: busy-poll",
        _ => string.Empty,
    };

    /// <summary>Reads a <c>--ports</c> value.</summary>
    public static bool TryParse(string text, out BenchPorts ports)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "actor":
                ports = BenchPorts.Actor;
                return true;
            case "dedicated":
                ports = BenchPorts.Dedicated;
                return true;
            case "busy-poll":
                ports = BenchPorts.BusyPoll;
                return true;
            default:
                ports = BenchPorts.Actor;
                return false;
        }
    }
}
