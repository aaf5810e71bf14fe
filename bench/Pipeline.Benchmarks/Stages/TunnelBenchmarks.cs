using System.Buffers.Binary;
using System.Net;
using BenchmarkDotNet.Attributes;
using Netmap.Io.Packets;
using Pipeline.Runtime;
using Pipeline.Stages;
using Stages.Ethernet;
using Stages.Tunnels;

namespace Pipeline.Benchmarks.Stages;

/// <summary>
/// The header push/pop and tunnel family: <c>mpls-push</c>, <c>mpls-pop</c>, <c>vxlan-encap</c>,
/// <c>vxlan-decap</c>, <c>eth-rewrite</c>, on batches of one 64-byte IPv4/UDP frame (or that frame labelled, or in
/// VXLAN, for the pops). A stage that changes the packets runs after <see cref="StageBenchHarness.Reset"/>, whose
/// copy of the template is in its row; the round-trip rows (push then pop, encap then decap) need no reset and show
/// the pair's cost alone. Each row is per packet.
/// </summary>
[MemoryDiagnoser]
public class TunnelBenchmarks
{
    private const int Packets = 4096; // per invoke: a multiple of every batch size
    private const uint Vni = 5001;

    private static readonly string[] WithOther = ["out", "other"];

    private StageBenchHarness _plain = null!;
    private StageBenchHarness _labelled = null!;
    private StageBenchHarness _tunnelled = null!;
    private StageBenchHarness _roundTrip = null!;
    private MplsPush _mplsPush = null!;
    private MplsPop _mplsPop = null!;
    private VxlanEncap _vxlanEncap = null!;
    private VxlanDecap _vxlanDecap = null!;
    private EthRewrite _ethRewrite = null!;
    private ClearFlowHashes _clearFlowHashes = null!;

    [Params(32, 256)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var frame = Ipv4UdpFrame();
        _mplsPush = new MplsPush(new MplsPushOptions { Label = 16, Tc = 5 });
        _mplsPop = new MplsPop();
        _vxlanEncap = new VxlanEncap(new VxlanEncapOptions
        {
            Vni = Vni,
            SrcIp = IPAddress.Parse("192.0.2.1"),
            DstIp = IPAddress.Parse("198.51.100.7"),
            SrcMac = "02:00:00:00:00:01",
            DstMac = "02:00:00:00:00:fe",
        });
        _vxlanDecap = new VxlanDecap(new VxlanDecapOptions { Vni = Vni });
        _ethRewrite = new EthRewrite(new EthRewriteOptions { Src = "02:00:00:00:00:0a", Dst = "02:00:00:00:00:0b" });
        _clearFlowHashes = new ClearFlowHashes();

        _plain = new StageBenchHarness(frame, Batch, WithOther);
        _labelled = new StageBenchHarness(Labelled(frame), Batch, WithOther);
        _tunnelled = new StageBenchHarness(Tunnelled(frame), Batch, WithOther);
        _roundTrip = new StageBenchHarness(frame, Batch, WithOther);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _plain.Dispose();
        _labelled.Dispose();
        _tunnelled.Dispose();
        _roundTrip.Dispose();
    }

    /// <summary><c>mpls-push</c> over IPv4 (bottom of stack), after a reset of the 64-byte frame.</summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public void MplsPush()
    {
        for (var n = 0; n < Packets; n += Batch)
        {
            _plain.Reset();
            _plain.Run(_mplsPush);
        }
    }

    /// <summary><c>mpls-pop</c> of a bottom entry over IPv4 (EtherType restored), after a reset of the 68-byte frame.</summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public void MplsPop()
    {
        for (var n = 0; n < Packets; n += Batch)
        {
            _labelled.Reset();
            _labelled.Run(_mplsPop);
        }
    }

    /// <summary><c>mpls-push</c> then <c>mpls-pop</c> on the same batch: the frame comes back as it was, no reset.</summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public void MplsPushPop()
    {
        for (var n = 0; n < Packets; n += Batch)
        {
            _roundTrip.Run(_mplsPush);
            _roundTrip.Run(_mplsPop);
        }
    }

    /// <summary>
    /// <c>vxlan-encap</c> with <c>udp-src: flow</c>, the flow hash computed from the inner frame for every packet
    /// (the metadata is cleared with the reset), after a reset of the 64-byte frame.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public void VxlanEncap()
    {
        for (var n = 0; n < Packets; n += Batch)
        {
            _plain.Reset();
            _plain.Run(_clearFlowHashes);
            _plain.Run(_vxlanEncap);
        }
    }

    /// <summary><c>vxlan-decap</c> of the matching VNI (outer checksum verified), after a reset of the 114-byte packet.</summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public void VxlanDecap()
    {
        for (var n = 0; n < Packets; n += Batch)
        {
            _tunnelled.Reset();
            _tunnelled.Run(_vxlanDecap);
        }
    }

    /// <summary>
    /// <c>vxlan-encap</c> then <c>vxlan-decap</c> on the same batch, no reset: after the first round the flow hash is
    /// in the metadata, so this is the cost with a hash an earlier stage (or round) computed.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public void VxlanEncapDecap()
    {
        for (var n = 0; n < Packets; n += Batch)
        {
            _roundTrip.Run(_vxlanEncap);
            _roundTrip.Run(_vxlanDecap);
        }
    }

    /// <summary><c>eth-rewrite</c> of both MACs; it rewrites in place, so no reset is needed.</summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public void EthRewrite()
    {
        for (var n = 0; n < Packets; n += Batch)
        {
            _plain.Run(_ethRewrite);
        }
    }

    // Ethernet, IPv4 (10.0.0.1 -> 10.0.0.2, UDP, valid checksum), UDP 1234 -> 80, 22 bytes of payload: 64 bytes.
    private static byte[] Ipv4UdpFrame()
    {
        var frame = new byte[64];
        byte[] macs = [0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01];
        macs.CopyTo(frame, 0);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        var ip = frame.AsSpan(14, 20);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(frame.Length - 14));
        ip[8] = 64;
        ip[9] = 17;
        byte[] addresses = [10, 0, 0, 1, 10, 0, 0, 2];
        addresses.CopyTo(ip[12..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum.Compute(ip));
        var udp = frame.AsSpan(34);
        BinaryPrimitives.WriteUInt16BigEndian(udp, 1234);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], 80);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)udp.Length);
        return frame;
    }

    // The frame with a bottom-of-stack entry (label 16, TTL 64) after the Ethernet header, EtherType 0x8847.
    private static byte[] Labelled(byte[] frame)
    {
        var labelled = new byte[frame.Length + 4];
        frame.AsSpan(0, 12).CopyTo(labelled);
        BinaryPrimitives.WriteUInt16BigEndian(labelled.AsSpan(12), 0x8847);
        BinaryPrimitives.WriteUInt32BigEndian(labelled.AsSpan(14), (16u << 12) | (1u << 8) | 64);
        frame.AsSpan(14).CopyTo(labelled.AsSpan(18));
        return labelled;
    }

    // The frame in outer Ethernet/IPv4/UDP (port 4789)/VXLAN (VNI 5001) headers.
    private static byte[] Tunnelled(byte[] frame)
    {
        var packet = new byte[50 + frame.Length];
        byte[] macs = [0x02, 0, 0, 0, 0, 0xFE, 0x02, 0, 0, 0, 0, 0x01];
        macs.CopyTo(packet, 0);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(12), 0x0800);
        var ip = packet.AsSpan(14, 20);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(packet.Length - 14));
        BinaryPrimitives.WriteUInt16BigEndian(ip[6..], 0x4000);
        ip[8] = 64;
        ip[9] = 17;
        byte[] addresses = [192, 0, 2, 1, 198, 51, 100, 7];
        addresses.CopyTo(ip[12..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum.Compute(ip));
        var udp = packet.AsSpan(34, 8);
        BinaryPrimitives.WriteUInt16BigEndian(udp, 50000);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], 4789);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(packet.Length - 34));
        packet[42] = 0x08;
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(46), Vni << 8);
        frame.CopyTo(packet, 50);
        return packet;
    }

    // Forgets the packets' flow hashes, so vxlan-encap computes each one as it would for fresh packets.
    private sealed class ClearFlowHashes : IPacketStage
    {
        public void OnBatch(PacketBatch batch, StageContext context)
        {
            foreach (ref var meta in batch.Open().Meta)
            {
                meta.FlowHash = 0;
            }
        }
    }
}
