namespace Pipeline.Cluster.Links;

/// <summary>
/// What a link actor holds right now, published after each pass for the node's reports (end-of-input detection)
/// and for a graceful stop that waits for the links to empty.
/// </summary>
internal sealed class LinkState
{
    private int _held;
    private int _unacked;
    private bool _pipeBusy;

    /// <summary>Packets the link holds: read from its pipe and not yet sent (sending side), or received and not yet written (receiving side).</summary>
    public int Held
    {
        get => Volatile.Read(ref _held);
        set => Volatile.Write(ref _held, value);
    }

    /// <summary>Sending side: batches sent and not yet acknowledged.</summary>
    public int Unacked
    {
        get => Volatile.Read(ref _unacked);
        set => Volatile.Write(ref _unacked, value);
    }

    /// <summary>The link's pipe had packets left at its last pass (sending side: unread; receiving side: not yet taken by the pipeline).</summary>
    public bool PipeBusy
    {
        get => Volatile.Read(ref _pipeBusy);
        set => Volatile.Write(ref _pipeBusy, value);
    }

    /// <summary>Nothing held, nothing unacknowledged, the pipe empty.</summary>
    public bool Idle => Held == 0 && Unacked == 0 && !PipeBusy;
}
