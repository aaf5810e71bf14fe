using Netmap.Io.Linux.Interop;

namespace Netmap.Io.Linux;

/// <summary>
/// Raises a backend's <c>Notify</c> when one of its descriptors (packet sockets, TAP queues) becomes readable, or
/// writable after a send found no room: a thread that waits in poll(2) on them and on an eventfd that wakes it
/// for a new descriptor set, a re-arm or the stop. Used only while a Notification-mode sync loop listens.
/// </summary>
/// <remarks>
/// Edge-like, so a port that has not read yet does not make the thread spin: a descriptor that reported readable
/// is left out of the wait until the port found it empty (<see cref="ArmRead"/>, from the RX sync that drained it);
/// writability is watched only after a send was refused (<see cref="ArmWrite"/>) and until it is reported once.
/// A re-arm costs one volatile read, plus an eventfd write when the descriptor was disarmed (once per wake-up).
/// Thread: <see cref="ArmRead"/>/<see cref="ArmWrite"/> from the syncing threads; the rest under the owner's lock.
/// </remarks>
internal sealed unsafe class ReadinessWatcher : IDisposable
{
    private const int SafetyTimeoutMs = 1000;

    private readonly FileDescriptor _wake;
    private readonly string _name;
    private State _state = new([]);
    private Action? _onReady;
    private Thread? _thread;
    private volatile bool _stopping;

    public ReadinessWatcher(string name)
    {
        _name = name;
        var fd = LibC.EventFd(0, LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC);
        if (fd < 0)
        {
            throw LinuxErrors.Create(LinuxErrors.LastErrno, name, "eventfd", "CAP_NET_RAW", name);
        }

        _wake = new FileDescriptor(fd);
    }

    /// <summary>True while the thread runs.</summary>
    public bool IsRunning => _thread is not null;

    /// <summary>Watches <paramref name="descriptors"/> from now on (all armed for reading); indices are what the arm calls take.</summary>
    public void SetDescriptors(int[] descriptors)
    {
        Volatile.Write(ref _state, new State(descriptors));
        Wake();
    }

    /// <summary>Starts the thread, which calls <paramref name="onReady"/> on every readiness it sees.</summary>
    public void Start(Action onReady)
    {
        if (_thread is not null)
        {
            return;
        }

        _onReady = onReady;
        _stopping = false;
        _thread = new Thread(Run) { IsBackground = true, Name = "netmap notify " + _name };
        _thread.Start();
    }

    /// <summary>Stops the thread and waits for it.</summary>
    public void Stop()
    {
        var thread = _thread;
        if (thread is null)
        {
            return;
        }

        _stopping = true;
        Wake();
        thread.Join();
        _thread = null;
        _onReady = null;
    }

    /// <summary>Descriptor <paramref name="index"/> was found empty: watch it for reading again.</summary>
    public void ArmRead(int index)
    {
        var state = Volatile.Read(ref _state);
        if ((uint)index < (uint)state.Read.Length && Volatile.Read(ref state.Read[index]) == 0)
        {
            Volatile.Write(ref state.Read[index], 1);
            Wake();
        }
    }

    /// <summary>A send on descriptor <paramref name="index"/> found no room: report once when it can take more.</summary>
    public void ArmWrite(int index)
    {
        var state = Volatile.Read(ref _state);
        if ((uint)index < (uint)state.Write.Length && Volatile.Read(ref state.Write[index]) == 0)
        {
            Volatile.Write(ref state.Write[index], 1);
            Wake();
        }
    }

    public void Dispose()
    {
        Stop();
        _wake.Dispose();
    }

    private void Wake()
    {
        ulong one = 1;
        _ = LibC.Write(_wake.Fd, &one, sizeof(ulong)); // EAGAIN only when the counter is saturated: already awake
    }

    private void Run()
    {
        var fds = new LibC.PollFd[1];
        var map = new int[1];
        var erroring = 0;
        while (!_stopping)
        {
            if (erroring > 1)
            {
                // A descriptor that keeps reporting an error (a device down, or gone) would wake the port, which finds
                // nothing and re-arms, as fast as the two threads can go: at most a hundred looks a second then.
                BackOff(10);
            }

            var state = Volatile.Read(ref _state);
            var count = 1;
            if (fds.Length < state.Descriptors.Length + 1)
            {
                fds = new LibC.PollFd[state.Descriptors.Length + 1];
                map = new int[state.Descriptors.Length + 1];
            }

            fds[0] = new LibC.PollFd { Fd = _wake.Fd, Events = LibC.POLLIN };
            for (var i = 0; i < state.Descriptors.Length; i++)
            {
                var events = (short)((Volatile.Read(ref state.Read[i]) != 0 ? LibC.POLLIN : 0) | (Volatile.Read(ref state.Write[i]) != 0 ? LibC.POLLOUT : 0));
                if (events != 0)
                {
                    map[count] = i;
                    fds[count++] = new LibC.PollFd { Fd = state.Descriptors[i], Events = events };
                }
            }

            int ready;
            fixed (LibC.PollFd* p = fds)
            {
                ready = LibC.Poll(p, (nuint)count, SafetyTimeoutMs);
            }

            if (ready <= 0)
            {
                continue; // timeout or EINTR: look again
            }

            if ((fds[0].Revents & LibC.POLLIN) != 0)
            {
                ulong value;
                _ = LibC.Read(_wake.Fd, &value, sizeof(ulong));
            }

            var fired = false;
            var errored = false;
            for (var k = 1; k < count; k++)
            {
                var revents = fds[k].Revents;
                if (revents == 0)
                {
                    continue;
                }

                var i = map[k];
                if ((revents & (LibC.POLLERR | LibC.POLLHUP | LibC.POLLNVAL)) != 0)
                {
                    // A packet socket reports its device going down as a pending socket error (ENETDOWN), and poll(2)
                    // reports POLLERR until someone takes it: taken here (nothing else reads it on an mmap ring).
                    errored = true;
                    int error;
                    var length = (uint)sizeof(int);
                    _ = LibC.GetSockOpt(fds[k].Fd, LibC.SOL_SOCKET, LibC.SO_ERROR, &error, &length); // a TAP is no socket: ENOTSOCK, and the back-off above
                }

                if ((revents & (LibC.POLLIN | LibC.POLLERR | LibC.POLLHUP | LibC.POLLNVAL)) != 0)
                {
                    Volatile.Write(ref state.Read[i], 0);
                }

                if ((revents & (LibC.POLLOUT | LibC.POLLERR | LibC.POLLHUP | LibC.POLLNVAL)) != 0)
                {
                    Volatile.Write(ref state.Write[i], 0);
                }

                fired = true;
            }

            erroring = errored ? erroring + 1 : 0;
            if (fired && !_stopping)
            {
                _onReady?.Invoke();
            }
        }
    }

    // Waits about milliseconds ms, or until the stop: wake-ups (re-arms) in between are taken and do not end the wait.
    private void BackOff(int milliseconds)
    {
        var deadline = Environment.TickCount64 + milliseconds;
        var wake = new LibC.PollFd { Fd = _wake.Fd, Events = LibC.POLLIN };
        long left;
        while (!_stopping && (left = deadline - Environment.TickCount64) > 0)
        {
            if (LibC.Poll(&wake, 1, (int)left) > 0)
            {
                ulong value;
                _ = LibC.Read(_wake.Fd, &value, sizeof(ulong));
            }
        }
    }

    /// <summary>One descriptor set and its arm flags (replaced whole, so the syncing threads never see a torn set).</summary>
    private sealed class State(int[] descriptors)
    {
        public readonly int[] Descriptors = descriptors;
        public readonly int[] Read = Filled(descriptors.Length);
        public readonly int[] Write = new int[descriptors.Length];

        private static int[] Filled(int n)
        {
            var a = new int[n];
            Array.Fill(a, 1);
            return a;
        }
    }
}
