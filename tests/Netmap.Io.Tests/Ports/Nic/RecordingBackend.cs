using Netmap.Io.Ports.Nic;
using Netmap.Io.Rings;

namespace Netmap.Io.Tests.Ports.Nic;

/// <summary>
/// A device for the factory tests: implements only the original <see cref="INicBackend"/> members (the
/// defaults of the later ones apply, as for a backend written before them), keeps one queue of frames each
/// way in memory and records the control calls a port makes.
/// </summary>
internal sealed class RecordingBackend(string name, int txQueues = 1, int rxQueues = 1, int maxFrameSize = 1514, bool hostRings = false) : INicBackend
{
    private readonly Queue<byte[]>[] _received = NewQueues(rxQueues);
    private readonly List<byte[]> _sent = [];

    public List<string> Calls { get; } = [];

    public bool ThrowOnNetmapModeOn { get; init; }

    public bool Disposed { get; private set; }

    public IReadOnlyList<byte[]> Sent => _sent;

    public string InterfaceName => name;

    public int TxQueues => txQueues;

    public int RxQueues => rxQueues;

    public int MaxFrameSize => maxFrameSize;

    public bool SupportsHostRings => hostRings;

    public Action? Notify { get; set; }

    public void Arrive(byte[] frame, int queue = 0) => _received[queue].Enqueue(frame);

    public void SetNetmapMode(bool enabled)
    {
        Calls.Add($"netmap-mode {(enabled ? "on" : "off")}");
        if (enabled && ThrowOnNetmapModeOn)
        {
            throw new NetmapException(NetmapError.EPERM, name, "refused by the test");
        }
    }

    public bool TryReceive(int queue, out ReadOnlySpan<byte> frame)
    {
        if (_received[queue].TryPeek(out var next))
        {
            frame = next;
            return true;
        }

        frame = default;
        return false;
    }

    public void ReleaseReceived(int queue) => _received[queue].Dequeue();

    public bool TrySend(int queue, ReadOnlySpan<byte> frame)
    {
        _sent.Add(frame.ToArray());
        return true;
    }

    public void FlushSend(int queue) => Calls.Add($"flush {queue}");

    public bool TryReceiveFromHost(int queue, out ReadOnlySpan<byte> frame)
    {
        frame = default;
        return false;
    }

    public void ReleaseFromHost(int queue)
    {
    }

    public bool TrySendToHost(int queue, ReadOnlySpan<byte> frame) => false;

    public void Dispose()
    {
        Calls.Add("dispose");
        Disposed = true;
    }

    private static Queue<byte[]>[] NewQueues(int count)
    {
        var queues = new Queue<byte[]>[count];
        for (var i = 0; i < count; i++)
        {
            queues[i] = new Queue<byte[]>();
        }

        return queues;
    }
}

/// <summary>A <see cref="RecordingBackend"/> that also overrides the later members, recording their calls.</summary>
internal sealed class RecordingBackendWithQueues(string name, int txQueues, int rxQueues) : INicBackend
{
    private readonly RecordingBackend _inner = new(name, txQueues, rxQueues);

    public List<string> Calls => _inner.Calls;

    public string InterfaceName => _inner.InterfaceName;

    public int TxQueues => _inner.TxQueues;

    public int RxQueues => _inner.RxQueues;

    public int MaxFrameSize => _inner.MaxFrameSize;

    public bool SupportsHostRings => true;

    public Action? Notify { get; set; }

    public void SetNetmapMode(bool enabled) => _inner.SetNetmapMode(enabled);

    public void SetHostRingCounts(int hostTxRings, int hostRxRings) => Calls.Add($"host-rings {hostTxRings}/{hostRxRings}");

    public void SetQueueNetmapMode(RingKind kind, int queue, bool enabled) => Calls.Add($"{kind} {queue} {(enabled ? "on" : "off")}");

    public bool TryReceive(int queue, out ReadOnlySpan<byte> frame) => _inner.TryReceive(queue, out frame);

    public void ReleaseReceived(int queue) => _inner.ReleaseReceived(queue);

    public bool TrySend(int queue, ReadOnlySpan<byte> frame) => _inner.TrySend(queue, frame);

    public void FlushSend(int queue) => _inner.FlushSend(queue);

    public bool TryReceiveFromHost(int queue, out ReadOnlySpan<byte> frame) => _inner.TryReceiveFromHost(queue, out frame);

    public void ReleaseFromHost(int queue) => _inner.ReleaseFromHost(queue);

    public bool TrySendToHost(int queue, ReadOnlySpan<byte> frame) => _inner.TrySendToHost(queue, frame);

    public void Dispose() => _inner.Dispose();
}
