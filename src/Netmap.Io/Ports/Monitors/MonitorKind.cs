namespace Netmap.Io.Ports.Monitors;

/// <summary>How a monitor gets the packets of its parent (netmap-notes §6).</summary>
public enum MonitorKind
{
    /// <summary>Copy monitor (<c>/r</c>, <c>/t</c>): its own buffers; each packet is copied in.</summary>
    Copy,

    /// <summary>Zero-copy monitor (<c>/z</c>): swaps buffers with the parent, in the parent's region; a second one chains after the first.</summary>
    ZeroCopy,
}
