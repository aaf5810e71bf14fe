namespace Pipeline.Cli.Commands;

/// <summary>The arguments of <c>pipeline gen</c>.</summary>
/// <param name="Spec">The port to transmit into (a netmap-style name).</param>
/// <param name="Count">Stop after this many packets; null for no limit.</param>
/// <param name="Size">Frame bytes without the FCS.</param>
/// <param name="Rate">Packets per second; null for as fast as the port takes them.</param>
/// <param name="Duration">Stop after this long; null for no limit.</param>
/// <param name="Batch">Packets per TX sync (pkt-gen's burst).</param>
/// <param name="Quiet">No progress line per second, only the summary.</param>
internal sealed record GenSettings(string Spec, long? Count = null, int Size = GenSettings.DefaultSize, double? Rate = null, TimeSpan? Duration = null, int Batch = GenSettings.DefaultBatch, bool Quiet = false)
{
    /// <summary>pkt-gen's default frame: 60 bytes, the Ethernet minimum without FCS.</summary>
    public const int DefaultSize = 60;

    /// <summary>pkt-gen's default burst.</summary>
    public const int DefaultBatch = 512;
}
