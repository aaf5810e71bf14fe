namespace Pipeline.Cli.Commands;

/// <summary>The arguments of <c>pipeline run</c>.</summary>
/// <param name="File">The pipeline file.</param>
/// <param name="Duration">Stop after this long; null for no limit.</param>
/// <param name="Packets">Stop once the source ports have received this many packets; null for no limit.</param>
/// <param name="Checked">Checked mode: batch and buffer ownership verified.</param>
/// <param name="Quiet">No progress while running, only the final table.</param>
internal sealed record RunSettings(string File, TimeSpan? Duration = null, long? Packets = null, bool Checked = false, bool Quiet = false);
