using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using Netmap.Io;
using Netmap.Io.Ports;
using Netmap.Io.Ports.Vale;
using Netmap.Io.Rings;

namespace Pipeline.Benchmarks.Ports.Vale;

/// <summary>
/// Two ports of one VALE switch driven by one thread (one core), as pipebench.c <c>-t 1 -x copy</c>
/// (shared/reference-bench) drives its model of a copying switch: the producer fills up to <see cref="Batch"/>
/// TX slots of port a with a 14-byte Ethernet header to b's MAC and length 60, TxSync runs the switch (a
/// destination lookup per frame, learned beforehand, and a copy of each frame into b's RX ring, each port in
/// its own private region as in netmap), the consumer reads the 14 bytes of each frame on b into a checksum
/// and releases them. Each row is per packet: the Mpps column is Mpps per core.
/// </summary>
[MemoryDiagnoser]
public class ValeBenchmarks
{
    private const int Packets = 1 << 20;
    private const int SlotsPerRing = 1024;
    private const ushort FrameLength = 60;
    private const int EthernetHeaderLength = 14;

    private NetmapDomain _nm = null!;
    private PortHandle _a = null!;
    private PortHandle _b = null!;
    private ulong _checksum;

    [Params(32, 256)]
    public int Batch { get; set; }

    /// <summary>Sum of what the consumer read, so the reads are not dead code.</summary>
    public ulong Checksum => _checksum;

    // pipebench's template: dst 02:00:00:00:00:02 (port b), src 02:00:00:00:00:01 (port a), IPv4.
    private static ReadOnlySpan<byte> EthernetTemplate => [0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00];

    [GlobalSetup]
    public void Setup()
    {
        _nm = new NetmapDomain();
        var options = new RegisterOptions { TxSlots = SlotsPerRing, RxSlots = SlotsPerRing };
        _a = _nm.Open("valebench:a", options);
        _b = _nm.Open("valebench:b", options);
        _checksum = 0;

        // b speaks once from 02:00:00:00:00:02, so the switch learns it and sends a's frames to b alone.
        Span<byte> hello = stackalloc byte[FrameLength];
        hello.Clear();
        hello[..6].Fill(0xff);
        EthernetTemplate[..6].CopyTo(hello[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(hello[12..], 0x0800);
        if (_b.Inject(hello) == 0)
        {
            throw new InvalidOperationException("port b has no free TX slot");
        }

        _b.TxSync();
        _a.RxSync();
        _a.RxRing.Head = _a.RxRing.Cur = _a.RxRing.Tail;
        _a.RxSync();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        var dropped = ((ValePort)_b.Port).DroppedPackets;
        _a.Dispose();
        _b.Dispose();
        _nm.AssertNoLeaks();
        _nm.Dispose();
        if (dropped != 0)
        {
            throw new InvalidOperationException($"the switch dropped {dropped} frames for b");
        }
    }

    /// <summary>pipebench <c>-t 1 -b Batch -x copy</c>, through the VALE switch.</summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public ulong ValeForward()
    {
        var tx = _a.TxRing;
        var rx = _b.RxRing;
        var txArena = tx.Arena;
        var rxArena = rx.Arena;
        var batch = (uint)Batch;
        var status = SyncStatus.Ok;
        ulong sum = 0;
        var left = (uint)Packets;
        while (left > 0)
        {
            var k = Math.Min(Math.Min(batch, tx.Space), left);
            var i = tx.Head;
            for (var n = 0u; n < k; n++)
            {
                ref var slot = ref tx[i];
                EthernetTemplate.CopyTo(txArena.GetBuffer(slot.BufIdx));
                slot.Len = FrameLength;
                slot.Flags = SlotFlags.None;
                i = tx.Next(i);
            }

            tx.Head = tx.Cur = i;
            status |= tx.TxSync(); // the switch forwards now; a VALE TX ring is free again at once

            status |= rx.RxSync();
            var j = rx.Head;
            var tail = rx.Tail;
            var got = 0u;
            while (j != tail)
            {
                ref readonly var slot = ref rx[j];
                sum += ReadHeader(rxArena.GetBuffer(slot.BufIdx), slot.Len);
                j = rx.Next(j);
                got++;
            }

            if (got != k)
            {
                ThrowLost(k, got);
            }

            left -= got;
            rx.Head = rx.Cur = tail;
            status |= rx.RxSync();
        }

        if (status != SyncStatus.Ok)
        {
            ThrowBadSync(status);
        }

        _checksum += sum;
        return sum;
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

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowLost(uint sent, uint received) =>
        throw new InvalidOperationException($"a sent {sent} frames in one sync and b received {received}");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadSync(SyncStatus status) =>
        throw new InvalidOperationException($"a sync reported {status}");
}
