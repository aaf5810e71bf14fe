namespace Netmap.Io.Ports;

/// <summary>
/// A port spec that does not parse: the decoder that rejected it and the 0-based index of the offending
/// character (the spec's length when it ended too early), e.g. <c>netmap:eth0/q: EINVAL: unknown flag 'q' at position 12</c>.
/// </summary>
public sealed class PortSpecException : NetmapException
{
    /// <summary>Creates the exception; <paramref name="message"/> names the character and its position.</summary>
    public PortSpecException(NetmapError code, string spec, PortSpecPhase phase, int position, string message)
        : base(code, spec, message)
    {
        Phase = phase;
        Position = position;
    }

    /// <summary>The decoder that rejected the spec.</summary>
    public PortSpecPhase Phase { get; }

    /// <summary>Index of the offending character in the spec, or the spec's length if it ended too early.</summary>
    public int Position { get; }
}
