namespace Pipeline.Cli.Console;

/// <summary>
/// One row of the live view: a stage (what it was given), a port's receive side (<c>rx</c>) or its transmit
/// side (<c>tx</c>); a port that both receives and transmits has two rows.
/// </summary>
/// <param name="Node">The port or stage name.</param>
/// <param name="Role"><c>rx</c>, <c>tx</c> or <c>stage</c>.</param>
/// <param name="Packets">Packets so far.</param>
/// <param name="Bytes">Bytes so far.</param>
/// <param name="PacketsPerSecond">The rate since the previous sample.</param>
/// <param name="BitsPerSecond">The bit rate since the previous sample.</param>
/// <param name="Drops">Packets dropped at the node so far (on the first row of a port).</param>
internal sealed record TrafficRow(string Node, string Role, long Packets, long Bytes, double PacketsPerSecond, double BitsPerSecond, long Drops);
