using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using Netmap.Io;
using Netmap.Io.Ports;
using Netmap.Io.Rings;

namespace Pipeline.Benchmarks.Ports.Pipes;

/// <summary>
/// A netmap pipe driven by one thread, as pipebench.c's 1-thread loop (shared/reference-bench) drives its C
/// model: the producer fills up to <see cref="Batch"/> TX slots of the master with a 14-byte Ethernet header
/// and length 64, TxSync moves them zero-copy to the slave's RX ring, the consumer reads the 14 bytes of
/// each into a checksum and releases them. One pipe of 1024-slot rings on the default arena (2048-byte
/// buffers at a 2112-byte stride: compare with pipebench <c>-s 2112</c>). Each row is per packet.
/// </summary>
[MemoryDiagnoser]
public class PipeBenchmarks
{
    private const int Packets = 1 << 20;
    private const int SlotsPerRing = 1024;
    private const ushort PacketLength = 64;
    private const int EthernetHeaderLength = 14;
    private const ulong Headroom = 64;
    private const int VlanTagLength = 4;
    private const uint VlanTag = 0x8100_0064; // TPID 0x8100, VID 100, as pipebench

    private NetmapDomain _nm = null!;
    private PortHandle _master = null!;
    private PortHandle _slave = null!;
    private ulong _checksum;
    private byte _seq;

    [Params(32, 256)]
    public int Batch { get; set; }

    /// <summary>Sum of what the consumer read, so the reads are not dead code.</summary>
    public ulong Checksum => _checksum;

    // pipebench's template: dst 02:00:00:00:00:02, src 02:00:00:00:00:01, IPv4.
    private static ReadOnlySpan<byte> EthernetTemplate => [0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00];

    [GlobalSetup(Targets = [nameof(PipeSwap)])]
    public void SetupSwap() => Open(offsets: null);

    // The slave pops at most what the master pushed, so a max offset of 128 leaves room both ways.
    [GlobalSetup(Targets = [nameof(PipeSwapVlan)])]
    public void SetupVlan() => Open(new OffsetOptions { MaxOffset = 128, InitialOffset = Headroom });

    [GlobalCleanup]
    public void Cleanup()
    {
        _master.Dispose();
        _slave.Dispose();
        _nm.AssertNoLeaks();
        _nm.Dispose();
    }

    /// <summary>
    /// pipebench <c>-t 1 -b Batch</c>: slot swap only. The producer and the consumer are methods of their own, as
    /// pipebench's <c>produce</c> and <c>consume</c>: a small loop gets the registers to itself (inlined into this
    /// loop, the JIT spilled the slot, the index and the sequence number to the stack, ~15% slower), and they reach
    /// slots and buffers through a <see cref="RingView"/>.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public ulong PipeSwap()
    {
        var tx = _master.TxRing;
        var rx = _slave.RxRing;
        var batch = (uint)Batch;
        var seq = _seq;
        var status = SyncStatus.Ok;
        ulong sum = 0;
        var left = (uint)Packets;
        while (left > 0)
        {
            var k = Math.Min(Math.Min(batch, tx.Space), left);
            tx.Head = tx.Cur = Produce(tx, tx.Head, k, seq);
            seq += (byte)k;
            status |= tx.TxSync();

            status |= rx.RxSync();
            var j = rx.Head;
            var tail = rx.Tail;
            if (j == tail)
            {
                ThrowStalled(left);
            }

            sum += Consume(rx, j, tail, out var n);
            left -= n;
            rx.Head = rx.Cur = tail; // released by the next RxSync, which also takes the next batch (one sync a round)
        }

        return Finish(sum, seq, status);
    }

    /// <summary>pipebench's produce: <paramref name="k"/> slots from <paramref name="i"/>, a header and a length each.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static uint Produce(Ring tx, uint i, uint k, byte seq)
    {
        var view = tx.View();
        for (var n = 0u; n < k; n++)
        {
            ref var slot = ref view[i];
            var buffer = view.Buffer(slot.BufIdx);
            EthernetTemplate.CopyTo(buffer);
            buffer[5] = seq++;
            slot.Len = PacketLength;
            slot.Flags = SlotFlags.None;
            i = view.Next(i);
        }

        return i;
    }

    /// <summary>pipebench's consume: the slots [<paramref name="j"/>, <paramref name="tail"/>) into a checksum.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong Consume(Ring rx, uint j, uint tail, out uint n)
    {
        ulong sum = 0;
        n = 0;
        var view = rx.View();
        while (j != tail)
        {
            ref readonly var slot = ref view[j];
            sum += ReadHeader(view.Buffer(slot.BufIdx), slot.Len);
            j = view.Next(j);
            n++;
        }

        return sum;
    }

    /// <summary>
    /// pipebench <c>-t 1 -b Batch -m vlan</c>: the producer pushes a 4-byte tag in front of the header
    /// (offset -= 4, no copy), the consumer reads the tag's VID and pops it.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public ulong PipeSwapVlan()
    {
        var tx = _master.TxRing;
        var rx = _slave.RxRing;
        var batch = (uint)Batch;
        var seq = _seq;
        var status = SyncStatus.Ok;
        ulong sum = 0;
        var left = (uint)Packets;
        while (left > 0)
        {
            var k = Math.Min(Math.Min(batch, tx.Space), left);
            tx.Head = tx.Cur = ProduceVlan(tx, tx.Head, k, seq);
            seq += (byte)k;
            status |= tx.TxSync();

            status |= rx.RxSync();
            var j = rx.Head;
            var tail = rx.Tail;
            if (j == tail)
            {
                ThrowStalled(left);
            }

            sum += ConsumeVlan(rx, j, tail, out var n);
            left -= n;
            rx.Head = rx.Cur = tail; // released by the next RxSync, which also takes the next batch (one sync a round)
        }

        return Finish(sum, seq, status);
    }

    /// <summary>pipebench's produce with <c>-m vlan</c>: a header at the headroom, then a tag pushed in front of it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static uint ProduceVlan(Ring tx, uint i, uint k, byte seq)
    {
        for (var n = 0u; n < k; n++)
        {
            ref var slot = ref tx[i];
            // As pipebench (s->offset = HEADROOM): every packet starts at the headroom, whatever offset
            // the slot came back with.
            tx.SetOffset(ref slot, Headroom);
            slot.Len = PacketLength;
            slot.Flags = SlotFlags.None;
            var packet = tx.Packet(i);
            var data = packet.Data;
            EthernetTemplate.CopyTo(data);
            data[5] = seq++;
            BinaryPrimitives.WriteUInt32BigEndian(packet.Push(VlanTagLength), VlanTag);
            i = tx.Next(i);
        }

        return i;
    }

    /// <summary>pipebench's consume with <c>-m vlan</c>: the tag's VID, a pop, then the header.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong ConsumeVlan(Ring rx, uint j, uint tail, out uint n)
    {
        ulong sum = 0;
        n = 0;
        while (j != tail)
        {
            var packet = rx.Packet(j);
            sum += BinaryPrimitives.ReadUInt16BigEndian(packet.Data[2..]); // the VID
            packet.Pop(VlanTagLength);
            sum += ReadHeader(packet.Data, packet.Length);
            j = rx.Next(j);
            n++;
        }

        return sum;
    }

    private void Open(OffsetOptions? offsets)
    {
        // Like the C model, which keeps no time: RX syncs leave Ring.Timestamp alone (netmap's no_timestamp knob).
        _nm = new NetmapDomain { NoTimestamp = true };
        var options = new RegisterOptions { TxSlots = SlotsPerRing, RxSlots = SlotsPerRing, Offsets = offsets };
        _master = _nm.Open("netmap:pipe{0", options);
        _slave = _nm.Open("netmap:pipe}0", options);
        _checksum = 0;
        _seq = 0;
    }

    /// <summary>pipebench's consume: dst+src (8 + 4 bytes) and the ethertype, xored with the length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ReadHeader(ReadOnlySpan<byte> packet, int length)
    {
        var header = packet[..EthernetHeaderLength];
        return BinaryPrimitives.ReadUInt64LittleEndian(header)
            ^ BinaryPrimitives.ReadUInt32LittleEndian(header[8..])
            ^ BinaryPrimitives.ReadUInt16LittleEndian(header[12..])
            ^ (ulong)length;
    }

    private ulong Finish(ulong sum, byte seq, SyncStatus status)
    {
        if (status != SyncStatus.Ok)
        {
            ThrowBadSync(status);
        }

        _seq = seq;
        _checksum += sum;
        return sum;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowStalled(uint left) =>
        throw new InvalidOperationException($"the pipe delivered nothing with {left} packets still to go");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadSync(SyncStatus status) =>
        throw new InvalidOperationException($"a sync reported {status}");
}
