namespace Netmap.Io.Sync;

/// <summary>How <see cref="Ports.PortHandle.StartSyncLoop"/> runs (netmap's <c>SYNC_KLOOP_START</c> body and its mode option).</summary>
public sealed record SyncLoopOptions
{
    /// <summary>The longest sleep netmap accepts (<c>sleep_us</c> ≤ 1,000,000); a longer one fails EINVAL.</summary>
    public static readonly TimeSpan MaxSleepInterval = TimeSpan.FromSeconds(1);

    /// <summary>The longest a <see cref="SyncLoopMode.Notification"/> loop waits before a pass anyway (netmap: 3 s).</summary>
    public static readonly TimeSpan NotificationTimeout = TimeSpan.FromSeconds(3);

    /// <summary>How the loop waits between passes.</summary>
    public SyncLoopMode Mode { get; init; } = SyncLoopMode.Sleep;

    /// <summary>
    /// <see cref="SyncLoopMode.Sleep"/>: the wait after each pass, from 0 to <see cref="MaxSleepInterval"/>
    /// (rounded up to whole milliseconds); ignored by the other modes. Default 1 ms.
    /// </summary>
    public TimeSpan SleepInterval { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// The bound TX rings are synced by the application's own <c>TxSync</c> calls, not by the loop (netmap's
    /// <c>NM_OPT_SYNC_KLOOP_DIRECT_TX</c>). Only with <see cref="SyncLoopMode.Notification"/>, else EINVAL.
    /// </summary>
    public bool DirectTx { get; init; }

    /// <summary>
    /// The bound RX rings are synced by the application's own <c>RxSync</c> calls, not by the loop (netmap's
    /// <c>NM_OPT_SYNC_KLOOP_DIRECT_RX</c>). Only with <see cref="SyncLoopMode.Notification"/>, else EINVAL.
    /// </summary>
    public bool DirectRx { get; init; }
}
