namespace Netmap.Io.Sync;

/// <summary>How a sync loop waits between two passes over its rings (netmap's kloop without/with eventfds).</summary>
public enum SyncLoopMode
{
    /// <summary>Never waits: pass after pass, one core spinning (netmap's kloop with <c>sleep_us</c> 0).</summary>
    BusyPoll = 0,

    /// <summary>Waits <see cref="SyncLoopOptions.SleepInterval"/> (at most 1 s) after each pass (netmap's kloop without eventfds).</summary>
    Sleep = 1,

    /// <summary>
    /// Waits (at most 3 s) for the port to report new RX packets or new TX room, or for the application's
    /// <see cref="Ports.PortHandle.KickSyncLoop"/> (netmap's kloop with eventfds). Only ports that raise
    /// notifications (pipes) accept it.
    /// </summary>
    Notification = 2,
}
