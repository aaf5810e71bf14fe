using System.Runtime.CompilerServices;
using Netmap.Io;
using Netmap.Io.Ports;
using Netmap.Io.Ports.Vale;
using Netmap.Io.Rings;

namespace Pipeline.Cli.Bench;

/// <summary>
/// The <c>vale</c> scenario: two ports of one VALE switch, each in its own private region as in netmap, driven
/// by one thread as pipebench.c <c>-x copy</c> drives its model: fill up to a batch of port a's TX slots (a
/// 14-byte header to b's MAC, which the switch has learned, and the length), TxSync (the switch looks the
/// destination up and copies each frame into b's RX ring), RxSync on b, read every header, release.
/// </summary>
internal sealed class ValeLoop : IBenchLoop
{
    private const int SlotsPerRing = 1024;

    private readonly NetmapDomain _domain;
    private readonly PortHandle _a;
    private readonly PortHandle _b;
    private readonly int _size;
    private readonly uint _batch;
    private readonly int _capacity;
    private readonly uint _fragments;
    private ulong _checksum;
    private long _sent;
    private long _received;

    public ValeLoop(int size, int batch)
    {
        _size = size;
        _batch = (uint)batch;
        _domain = new NetmapDomain { NoTimestamp = true }; // as the pipeline runtime's domain and pipebench: no clock read per RX sync
        try
        {
            var options = new RegisterOptions { TxSlots = SlotsPerRing, RxSlots = SlotsPerRing };
            _a = _domain.Open("valebench:a", options);
            _b = _domain.Open("valebench:b", options);
            _capacity = _a.Arena.BufferSize;
            _fragments = (uint)SlotWriter.Fragments(size, _capacity);
            Learn();
        }
        catch
        {
            _domain.Dispose();
            throw;
        }
    }

    public bool ProcessWide => false;

    /// <summary>Sum of what the consumer read, so the reads are not dead code.</summary>
    public ulong Checksum => _checksum;

    public long Run(long packets)
    {
        var tx = _a.TxRing;
        var rx = _b.RxRing;
        var txArena = tx.Arena;
        var header = SlotWriter.EthernetTemplate;
        var size = _size;
        var capacity = _capacity;
        var fragments = _fragments;
        // b's RX ring is drained in every round, so it has NumSlots - 1 free slots when a sends.
        var room = Math.Min(_batch, (rx.NumSlots - 1) / fragments);
        var status = SyncStatus.Ok;
        ulong sum = 0;
        long received = 0;
        long sent = 0;
        while (received < packets)
        {
            var k = Math.Min(room, tx.Space / fragments);
            k = (uint)Math.Min(k, packets - received);
            var i = tx.Head;
            for (var n = 0u; n < k; n++)
            {
                i = SlotWriter.Write(tx, txArena, i, header, size, capacity, 0, -1);
            }

            tx.Head = tx.Cur = i;
            sent += k;
            status |= tx.TxSync(); // the switch forwards now; a VALE sender's ring is free again at once

            status |= rx.RxSync();
            var j = rx.Head;
            var tail = rx.Tail;
            long got = 0;
            sum += SlotWriter.Consume(rx, j, tail, ref got);

            if (got != k)
            {
                ThrowLost(k, got);
            }

            rx.Head = rx.Cur = tail;
            status |= rx.RxSync();
            received += got;
        }

        if (status != SyncStatus.Ok)
        {
            ThrowBadSync(status);
        }

        _checksum += sum;
        _sent += sent;
        _received += received;
        return received;
    }

    public void Complete()
    {
        var dropped = ((ValePort)_b.Port).DroppedPackets;
        if (_sent != _received || dropped != 0)
        {
            throw new BenchFailedException($"vale: {_sent} packets sent, {_received} received, {dropped} dropped by the switch");
        }
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
        try
        {
            _domain.AssertNoLeaks();
        }
        finally
        {
            _domain.Dispose();
        }
    }

    /// <summary>b sends one frame from its MAC (flooded to a, which drops it), so the switch forwards a's frames to b only.</summary>
    private void Learn()
    {
        Span<byte> frame = stackalloc byte[60];
        frame.Clear();
        frame[..6].Fill(0xff);
        SlotWriter.EthernetTemplate[..6].CopyTo(frame[6..]); // b's MAC is the template's destination
        frame[12] = 0x08;
        if (_b.Inject(frame) == 0)
        {
            throw new BenchFailedException("vale: port b has no free TX slot");
        }

        _b.TxSync();
        _a.RxSync();
        var rx = _a.RxRing;
        rx.Head = rx.Cur = rx.Tail;
        _a.RxSync();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowLost(uint sent, long received) =>
        throw new BenchFailedException($"vale: a sent {sent} frames in one sync and b received {received}");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadSync(SyncStatus status) =>
        throw new BenchFailedException($"vale: a sync reported {status}");
}
