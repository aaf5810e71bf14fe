using System.Runtime.CompilerServices;
using Netmap.Io;
using Netmap.Io.Memory;
using Netmap.Io.Ports;
using Netmap.Io.Rings;

namespace Pipeline.Cli.Bench;

/// <summary>
/// The <c>pipe</c> scenario: one netmap pipe of 1024-slot rings on a default arena (2048-byte buffers at a
/// 2112-byte stride, like pipebench <c>-s 2112</c>), driven by one thread as pipebench.c's 1-thread loop
/// drives its C model: fill up to a batch of TX slots of the master (a 14-byte header, the length), TxSync
/// (the slots move to the slave's RX ring, zero-copy), RxSync, read every header into a checksum, release.
/// A frame larger than a buffer takes several slots (MOREFRAG).
/// </summary>
internal sealed class PipeLoop : IBenchLoop
{
    private const int SlotsPerRing = 1024;

    private readonly NetmapDomain _domain;
    private readonly PortHandle _master;
    private readonly PortHandle _slave;
    private readonly int _size;
    private readonly uint _batch;
    private readonly int _capacity;
    private readonly uint _fragments;
    private byte _seq;
    private ulong _checksum;
    private long _sent;
    private long _received;

    public PipeLoop(int size, int batch)
    {
        _size = size;
        _batch = (uint)batch;
        _domain = new NetmapDomain { NoTimestamp = true }; // as the pipeline runtime's domain and pipebench: no clock read per RX sync
        try
        {
            var options = new RegisterOptions { TxSlots = SlotsPerRing, RxSlots = SlotsPerRing };
            _master = _domain.Open("netmap:bench{0", options);
            _slave = _domain.Open("netmap:bench}0", options);
        }
        catch
        {
            _domain.Dispose();
            throw;
        }

        _capacity = _master.Arena.BufferSize;
        _fragments = (uint)SlotWriter.Fragments(size, _capacity);
    }

    public bool ProcessWide => false;

    /// <summary>Sum of what the consumer read, so the reads are not dead code.</summary>
    public ulong Checksum => _checksum;

    public long Run(long packets)
    {
        // Fetched once: TxRing/RxRing check the binding on each call, and the loop needs neither handle.
        var tx = _master.TxRing;
        var rx = _slave.RxRing;
        var arena = tx.Arena;
        var header = SlotWriter.EthernetTemplate;
        var size = _size;
        var capacity = _capacity;
        var fragments = _fragments;
        var seq = _seq;
        var status = SyncStatus.Ok;
        ulong sum = 0;
        long received = 0;
        long sent = 0;
        while (received < packets)
        {
            var k = Math.Min(_batch, tx.Space / fragments);
            k = (uint)Math.Min(k, packets - received);
            tx.Head = tx.Cur = Produce(tx, arena, tx.Head, k, header, size, capacity, seq);
            seq += (byte)k;
            sent += k;
            status |= tx.TxSync();

            status |= rx.RxSync();
            var j = rx.Head;
            var tail = rx.Tail;
            if (j == tail)
            {
                ThrowStalled(packets - received);
            }

            sum += SlotWriter.Consume(rx, j, tail, ref received);
            rx.Head = rx.Cur = tail; // released by the next RxSync, which also takes the next batch (one sync a round, as a netmap loop)
        }

        if (status != SyncStatus.Ok)
        {
            ThrowBadSync(status);
        }

        _seq = seq;
        _checksum += sum;
        _sent += sent;
        _received += received;
        return received;
    }

    // The producer and the consumer (SlotWriter.Consume) are methods of their own, as pipebench's produce and consume: a
    // small loop gets the registers to itself (inlined into Run, the JIT spilled its locals to the stack, ~15% slower).

    /// <summary>Writes <paramref name="k"/> frames from slot <paramref name="i"/>; returns the slot after the last.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static uint Produce(Ring tx, BufferArena arena, uint i, uint k, ReadOnlySpan<byte> header, int size, int capacity, byte seq)
    {
        if (size <= capacity)
        {
            return ProduceOneSlot(tx, i, k, (ushort)size, seq);
        }

        for (var n = 0u; n < k; n++)
        {
            i = SlotWriter.Write(tx, arena, i, header, size, capacity, 0, seq++);
        }

        return i;
    }

    /// <summary>
    /// <see cref="Produce"/> for frames that fit a slot, as pipebench's produce: the 14-byte template (a constant
    /// length, so the copy is two moves, not a call), the varying byte, the length; through a <see cref="RingView"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static uint ProduceOneSlot(Ring tx, uint i, uint k, ushort size, byte seq)
    {
        var view = tx.View();
        for (var n = 0u; n < k; n++)
        {
            ref var slot = ref view[i];
            var buffer = view.Buffer(slot.BufIdx);
            SlotWriter.EthernetTemplate.CopyTo(buffer);
            buffer[5] = seq++;
            slot.Len = size;
            slot.Flags = SlotFlags.None;
            i = view.Next(i);
        }

        return i;
    }

    public void Complete()
    {
        if (_sent != _received)
        {
            throw new BenchFailedException($"pipe: {_sent} packets sent, {_received} received");
        }
    }

    public void Dispose()
    {
        _master.Dispose();
        _slave.Dispose();
        try
        {
            _domain.AssertNoLeaks();
        }
        finally
        {
            _domain.Dispose();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowStalled(long left) =>
        throw new BenchFailedException($"pipe: the pipe delivered nothing with {left} packets still to go");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadSync(SyncStatus status) =>
        throw new BenchFailedException($"pipe: a sync reported {status}");
}
