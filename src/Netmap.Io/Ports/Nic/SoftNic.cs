using Netmap.Io.Rings;

namespace Netmap.Io.Ports.Nic;

/// <summary>
/// An in-process network interface (<see cref="NetmapDomain.CreateSoftInterface"/>): the device behind
/// <c>netmap:NAME</c> when no real one is wanted. Test code plays both neighbours of the interface: the wire
/// (<see cref="InjectFromWire"/> delivers a frame to the interface, <see cref="TryReadWire(int, Span{byte}, out int)"/>
/// reads one it transmitted) and the host network stack (<see cref="HostTransmit"/> sends a frame out through
/// the interface, <see cref="TryReadHost(Span{byte}, out int)"/> reads one the interface delivered to the stack).
/// </summary>
/// <remarks>
/// <para>It follows netmap's rules for a NIC with host rings (netmap-notes §8). Outside netmap mode the wire and
/// the host stack talk directly: wire frames go to the stack, the stack's frames to the wire. In netmap mode a
/// wire frame for RX queue q goes to the port's NIC RX ring q if that ring is bound (else still to the stack),
/// and a frame the stack transmits on queue q goes to host RX ring q mod (host RX rings) if NIC TX ring
/// q mod (TX queues) is bound (else still to the wire). What the port's host TX rings send reaches the stack.</para>
/// <para>Every queue is bounded (<c>queueCapacity</c> frames): a full one drops the frame and counts it, except
/// the wire TX queue, which refuses it (<see cref="INicBackend.TrySend"/> false), so the port keeps it in its
/// ring until the wire is read. Frames queued for the port's rings when it leaves netmap mode are dropped and
/// counted. The wire carries frames up to 64 KiB whatever <see cref="MaxFrameSize"/> says (as AF_PACKET hands
/// up GRO-merged frames), so a port's own length checks can be exercised.</para>
/// Thread: the test side may run on any thread (producers are lock-free); each queue has one consumer at a time:
/// the port's ring sync for the port side, the test for the wire and stack side.
/// </remarks>
public sealed class SoftNic : INicBackend
{
    /// <summary>Default largest frame: a 1500-byte MTU, the Ethernet header and one VLAN tag.</summary>
    public const int DefaultMaxFrameSize = 1518;

    /// <summary>Default frames per queue.</summary>
    public const int DefaultQueueCapacity = 512;

    /// <summary>The longest frame the soft wire carries.</summary>
    public const int MaxWireFrame = 65535;

    private readonly FrameQueue[] _wireRx;
    private readonly FrameQueue[] _wireTx;
    private readonly FrameQueue _toHost;
    private readonly int[] _txQueueOn;
    private readonly int[] _rxQueueOn;
    private readonly int _queueCapacity;
    private FrameQueue[] _hostRx;
    private int _netmapMode;
    private int _disposed;
    private long _wireRxDrops;
    private long _hostRxDrops;
    private long _hostStackDrops;
    private long _wireTxDrops;
    private long _flushes;

    internal SoftNic(string name, int txQueues, int rxQueues, int maxFrameSize, bool hostRings, int queueCapacity)
    {
        InterfaceName = name;
        TxQueues = txQueues;
        RxQueues = rxQueues;
        MaxFrameSize = maxFrameSize;
        SupportsHostRings = hostRings;
        _queueCapacity = queueCapacity;
        _wireRx = NewQueues(rxQueues, queueCapacity, maxFrameSize);
        _wireTx = NewQueues(txQueues, queueCapacity, maxFrameSize);
        _toHost = new FrameQueue(queueCapacity, maxFrameSize);
        _hostRx = NewQueues(1, queueCapacity, maxFrameSize);
        _txQueueOn = new int[txQueues];
        _rxQueueOn = new int[rxQueues];
    }

    /// <inheritdoc/>
    public string InterfaceName { get; }

    /// <inheritdoc/>
    public int TxQueues { get; }

    /// <inheritdoc/>
    public int RxQueues { get; }

    /// <inheritdoc/>
    public int MaxFrameSize { get; }

    /// <inheritdoc/>
    public bool SupportsHostRings { get; }

    /// <summary>Always true: every arrival and every frame read off the wire raises <see cref="Notify"/>.</summary>
    public bool SupportsNotify => true;

    /// <inheritdoc/>
    public Action? Notify { get; set; }

    /// <summary>True while a port has the interface in netmap mode.</summary>
    public bool IsInNetmapMode => Volatile.Read(ref _netmapMode) != 0;

    /// <summary>Frames each queue holds at most.</summary>
    public int QueueCapacity => _queueCapacity;

    /// <summary>Wire frames dropped because the NIC RX queue they were for was full (or the port left netmap mode before reading them).</summary>
    public long WireRxDrops => Volatile.Read(ref _wireRxDrops);

    /// <summary>Host-stack frames dropped because their host RX queue was full (netmap: host RX ring plus queue full), or the port left netmap mode before reading them.</summary>
    public long HostRxDrops => Volatile.Read(ref _hostRxDrops);

    /// <summary>Frames for the host stack dropped because its queue was full (wire frames outside netmap mode; a port's host TX is refused and counted by the port).</summary>
    public long HostStackDrops => Volatile.Read(ref _hostStackDrops);

    /// <summary>Host-stack frames for the wire dropped because the wire TX queue was full.</summary>
    public long WireTxDrops => Volatile.Read(ref _wireTxDrops);

    /// <summary>Times a port kicked the device (<see cref="FlushSend"/>): once per NIC TX sync that sent something.</summary>
    public long Flushes => Volatile.Read(ref _flushes);

    /// <summary>Frames waiting in the wire TX queue <paramref name="queue"/> (transmitted, not yet read by the test).</summary>
    public int PendingOnWire(int queue = 0) => _wireTx[CheckQueue(queue, TxQueues, "TX")].Count;

    /// <summary>Frames waiting for the host stack (delivered, not yet read by the test).</summary>
    public int PendingForHost => _toHost.Count;

    /// <summary>
    /// The wire delivers <paramref name="frame"/> to the interface on RX queue <paramref name="queue"/>: to the
    /// port's NIC RX ring when that ring is in netmap mode, else to the host stack. False when the queue was full
    /// (the frame is dropped and counted).
    /// </summary>
    public bool InjectFromWire(ReadOnlySpan<byte> frame, int queue = 0)
    {
        ThrowIfDisposed();
        CheckFrame(frame);
        var q = CheckQueue(queue, RxQueues, "RX");
        // Acquire: the per-queue flag is written under the domain lock when a ring is bound or unbound.
        if (IsInNetmapMode && Volatile.Read(ref _rxQueueOn[q]) != 0)
        {
            if (!_wireRx[q].TryEnqueue(frame))
            {
                Interlocked.Increment(ref _wireRxDrops);
                return false;
            }

            Notify?.Invoke();
            return true;
        }

        if (!_toHost.TryEnqueue(frame))
        {
            Interlocked.Increment(ref _hostStackDrops);
            return false;
        }

        return true;
    }

    /// <summary>
    /// The host stack transmits <paramref name="frame"/> through the interface on queue <paramref name="queue"/>:
    /// to host RX ring queue mod (host RX rings) when the interface is in netmap mode and NIC TX ring queue mod
    /// <see cref="TxQueues"/> is bound, else to the wire. False when the frame was dropped (counted).
    /// </summary>
    public bool HostTransmit(ReadOnlySpan<byte> frame, int queue = 0)
    {
        ThrowIfDisposed();
        CheckFrame(frame);
        ArgumentOutOfRangeException.ThrowIfNegative(queue);
        var txQueue = queue % TxQueues;
        if (SupportsHostRings && IsInNetmapMode && Volatile.Read(ref _txQueueOn[txQueue]) != 0)
        {
            var hostRx = Volatile.Read(ref _hostRx);
            if (!hostRx[queue % hostRx.Length].TryEnqueue(frame))
            {
                Interlocked.Increment(ref _hostRxDrops);
                return false;
            }

            Notify?.Invoke();
            return true;
        }

        if (!_wireTx[txQueue].TryEnqueue(frame))
        {
            Interlocked.Increment(ref _wireTxDrops);
            return false;
        }

        return true;
    }

    /// <summary>Reads (and removes) the oldest frame transmitted on wire TX queue <paramref name="queue"/>; false when there is none. Allocation-free.</summary>
    public bool TryReadWire(int queue, Span<byte> destination, out int length)
    {
        length = _wireTx[CheckQueue(queue, TxQueues, "TX")].TryDequeue(destination);
        if (length < 0)
        {
            return false;
        }

        Notify?.Invoke(); // room on the wire: a port waiting to transmit can go on
        return true;
    }

    /// <summary>The oldest frame transmitted on wire TX queue <paramref name="queue"/>, removed; null when there is none.</summary>
    public byte[]? ReadWire(int queue = 0)
    {
        var frame = _wireTx[CheckQueue(queue, TxQueues, "TX")].Dequeue();
        if (frame is not null)
        {
            Notify?.Invoke();
        }

        return frame;
    }

    /// <summary>Reads (and removes) the oldest frame delivered to the host stack; false when there is none. Allocation-free.</summary>
    public bool TryReadHost(Span<byte> destination, out int length)
    {
        length = _toHost.TryDequeue(destination);
        return length >= 0;
    }

    /// <summary>The oldest frame delivered to the host stack, removed; null when there is none.</summary>
    public byte[]? ReadHost() => _toHost.Dequeue();

    /// <inheritdoc/>
    public void SetNetmapMode(bool enabled)
    {
        Volatile.Write(ref _netmapMode, enabled ? 1 : 0);
        if (enabled)
        {
            return;
        }

        // netmap drops what is still in a ring when the port goes: here, what was queued for the rings.
        Array.Clear(_txQueueOn);
        Array.Clear(_rxQueueOn);
        long wire = 0;
        foreach (var queue in _wireRx)
        {
            wire += queue.Clear();
        }

        long host = 0;
        foreach (var queue in Volatile.Read(ref _hostRx))
        {
            host += queue.Clear();
        }

        Interlocked.Add(ref _wireRxDrops, wire);
        Interlocked.Add(ref _hostRxDrops, host);
    }

    /// <inheritdoc/>
    public void SetHostRingCounts(int hostTxRings, int hostRxRings)
    {
        var count = Math.Max(1, hostRxRings);
        if (count != Volatile.Read(ref _hostRx).Length)
        {
            // Release: a host-stack sender sees the new queues fully built.
            Volatile.Write(ref _hostRx, NewQueues(count, _queueCapacity, MaxFrameSize));
        }
    }

    /// <inheritdoc/>
    public void SetQueueNetmapMode(RingKind kind, int queue, bool enabled)
    {
        var flags = kind == RingKind.Tx ? _txQueueOn : _rxQueueOn;
        Volatile.Write(ref flags[queue], enabled ? 1 : 0);
    }

    /// <inheritdoc/>
    public bool TryReceive(int queue, out ReadOnlySpan<byte> frame) => _wireRx[queue].TryPeek(out frame);

    /// <inheritdoc/>
    public void ReleaseReceived(int queue) => _wireRx[queue].Release();

    /// <inheritdoc/>
    public bool TrySend(int queue, ReadOnlySpan<byte> frame) => _wireTx[queue].TryEnqueue(frame);

    /// <inheritdoc/>
    public void FlushSend(int queue) => Interlocked.Increment(ref _flushes);

    /// <inheritdoc/>
    public bool TryReceiveFromHost(int queue, out ReadOnlySpan<byte> frame)
    {
        var hostRx = Volatile.Read(ref _hostRx);
        if ((uint)queue >= (uint)hostRx.Length)
        {
            frame = default;
            return false;
        }

        return hostRx[queue].TryPeek(out frame);
    }

    /// <inheritdoc/>
    public void ReleaseFromHost(int queue)
    {
        var hostRx = Volatile.Read(ref _hostRx);
        if ((uint)queue < (uint)hostRx.Length)
        {
            hostRx[queue].Release();
        }
    }

    /// <inheritdoc/>
    public bool TrySendToHost(int queue, ReadOnlySpan<byte> frame) => _toHost.TryEnqueue(frame);

    /// <summary>Marks the interface removed (<see cref="NetmapDomain.RemoveSoftInterface"/> does it); the test side then throws ObjectDisposedException.</summary>
    public void Dispose() => Volatile.Write(ref _disposed, 1);

    private static FrameQueue[] NewQueues(int count, int capacity, int frameHint)
    {
        var queues = new FrameQueue[count];
        for (var i = 0; i < count; i++)
        {
            queues[i] = new FrameQueue(capacity, frameHint);
        }

        return queues;
    }

    private static int CheckQueue(int queue, int count, string direction)
    {
        if ((uint)queue >= (uint)count)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(queue), $"{direction} queue {queue} does not exist (the interface has {count})");
        }

        return queue;
    }

    private static void CheckFrame(ReadOnlySpan<byte> frame)
    {
        if (frame.Length > MaxWireFrame)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(frame), $"a {frame.Length}-byte frame is longer than the soft wire carries ({MaxWireFrame})");
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
