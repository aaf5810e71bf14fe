namespace Netmap.Io.Files;

/// <summary>
/// How a <c>pcap:</c> source replays its file, given through <see cref="Ports.RegisterOptions.Pcap"/>
/// (used by the open that creates the port; <c>pcap-out:</c> ports use only <see cref="Clock"/>).
/// </summary>
/// <example><c>new RegisterOptions { Pcap = new PcapOptions { Pace = PcapPace.Recorded, Speed = 2, Loop = 0 } }</c></example>
public sealed record PcapOptions
{
    /// <summary>The options a source uses when none are given: fast, once, speed 1.</summary>
    public static PcapOptions Default { get; } = new();

    /// <summary>Fast (as many packets as fit) or at the recorded rhythm. <b>Default:</b> <see cref="PcapPace.Fast"/>.</summary>
    public PcapPace Pace { get; init; } = PcapPace.Fast;

    /// <summary>How many times the file is replayed; 0 replays it forever. <b>Default:</b> 1.</summary>
    public int Loop { get; init; } = 1;

    /// <summary>Replay speed for <see cref="PcapPace.Recorded"/>: 2 plays twice as fast (positive, finite). <b>Default:</b> 1.</summary>
    public double Speed { get; init; } = 1.0;

    /// <summary>
    /// The clock: a recorded-pace source reads its timestamps (Stopwatch ticks by default), a sink stamps the
    /// packets it writes with its UTC time. Tests pass a manual clock. <b>Default:</b> <see cref="TimeProvider.System"/>.
    /// </summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}
