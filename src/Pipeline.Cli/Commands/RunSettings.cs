namespace Pipeline.Cli.Commands;

/// <summary>The arguments of <c>pipeline run</c>.</summary>
/// <param name="File">The pipeline file.</param>
/// <param name="Duration">Stop after this long; null for no limit.</param>
/// <param name="Packets">Stop once the source ports have received this many packets; null for no limit.</param>
/// <param name="Checked">Checked mode: batch and buffer ownership verified.</param>
/// <param name="Quiet">No progress while running, only the final table.</param>
/// <param name="Role">The node role to run (<c>--role</c>): one node of a cluster pipeline; null runs the whole pipeline here.</param>
/// <param name="Seeds">Nodes to join (<c>--seed HOST:PORT</c>); empty starts a new cluster.</param>
/// <param name="Listen">Where this node listens (<c>--listen HOST:PORT</c>); null for 127.0.0.1 and a free port.</param>
internal sealed record RunSettings(
    string File, TimeSpan? Duration = null, long? Packets = null, bool Checked = false, bool Quiet = false,
    string? Role = null, IReadOnlyList<string>? Seeds = null, string? Listen = null);
