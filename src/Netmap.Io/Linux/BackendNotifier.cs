namespace Netmap.Io.Linux;

/// <summary>
/// The notification side of a Linux NIC backend (<see cref="AfPacketBackend"/>, <see cref="TapBackend"/>): owns the
/// <see cref="ReadinessWatcher"/> (made on the first <see cref="Enable"/>, its thread started and stopped as
/// Notification-mode loops come and go), the lock that orders that against <see cref="Close"/>, the descriptor list the
/// watcher polls (asked of the backend through a callback) and the count of raised notifications.
/// </summary>
/// <remarks>
/// Thread: <see cref="ArmRead"/>/<see cref="ArmWrite"/> from the syncing threads (one volatile read when no loop ever
/// listened); the rest from any thread, under the lock.
/// </remarks>
internal sealed class BackendNotifier
{
    private readonly Lock _lock = new();
    private readonly string _name;
    private readonly Func<int[]> _descriptors;
    private readonly Action _raise;
    private ReadinessWatcher? _watcher;
    private bool _closed;
    private long _notifications;

    /// <param name="name">The interface name, for the thread's name and errors.</param>
    /// <param name="descriptors">The descriptors to poll, in the index order the arm calls use; called under the lock.</param>
    public BackendNotifier(string name, Func<int[]> descriptors)
    {
        _name = name;
        _descriptors = descriptors;
        _raise = Raise;
    }

    /// <summary>The backend's <c>Notify</c>: raised from the poll thread.</summary>
    public Action? Notify { get; set; }

    /// <summary>Times <see cref="Notify"/> was raised.</summary>
    public long Notifications => Interlocked.Read(ref _notifications);

    /// <summary>True while the poll thread runs.</summary>
    public bool IsWatching
    {
        get
        {
            lock (_lock)
            {
                return _watcher?.IsRunning == true;
            }
        }
    }

    /// <summary>Starts the poll thread (making the watcher the first time) or stops it; nothing after <see cref="Close"/>.</summary>
    public void Enable(bool enabled)
    {
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            if (!enabled)
            {
                _watcher?.Stop();
                return;
            }

            if (_watcher is null)
            {
                var watcher = new ReadinessWatcher(_name);
                watcher.SetDescriptors(_descriptors());
                Volatile.Write(ref _watcher, watcher);
            }

            _watcher.Start(_raise);
        }
    }

    /// <summary>The backend's descriptors changed: the watcher (if any) polls the new list from now on.</summary>
    public void UpdateDescriptors()
    {
        lock (_lock)
        {
            if (_watcher is not null && !_closed)
            {
                _watcher.SetDescriptors(_descriptors());
            }
        }
    }

    /// <summary>Descriptor <paramref name="index"/> was found empty: watch it for reading again (if a watcher exists).</summary>
    public void ArmRead(int index) => Volatile.Read(ref _watcher)?.ArmRead(index);

    /// <summary>A send on descriptor <paramref name="index"/> found no room: report when it has (if a watcher exists).</summary>
    public void ArmWrite(int index) => Volatile.Read(ref _watcher)?.ArmWrite(index);

    /// <summary>Stops the thread and frees the watcher; false when already closed (the backend's Dispose then does nothing).</summary>
    public bool Close()
    {
        lock (_lock)
        {
            if (_closed)
            {
                return false;
            }

            _closed = true;
            _watcher?.Dispose();
            return true;
        }
    }

    private void Raise()
    {
        Interlocked.Increment(ref _notifications);
        Notify?.Invoke();
    }
}
