using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Netmap.Io.Packets;
using Pipeline.Stages;
using Stages.Standard;

namespace Pipeline.Benchmarks.Stages;

/// <summary>
/// The traffic shaping and inspection family: <c>rate-limit</c>, <c>dedup</c>, <c>checksum</c> (verify and fix),
/// <c>sample</c>, <c>tlem</c>, <c>mirror</c>, <c>drop</c>, on batches of one 128-byte IPv4/UDP frame with correct
/// checksums. None of them changes the packets' bytes or offsets (<c>checksum: fix</c> rewrites the same values), so
/// no row resets the batch; the verdicts are reset by every round. The clock is the system's. Each row is per packet.
/// </summary>
/// <remarks>
/// What each row measures: <c>rate-limit</c> on a 100 Gbit/s bucket (every packet passes); <c>dedup</c> on identical
/// packets (the first is remembered, the rest hash and compare as duplicates); <c>tlem</c> with a 1 s delay, 1 ms jitter,
/// 1% loss and a 100 Gbit/s rate, so every packet is drawn for, serialized and delayed (the harness never releases
/// them: verdicts only mark packets); <c>mirror</c> asks for a copy of every packet (the runtime makes copies when it
/// scatters, which the harness does not).
/// </remarks>
[MemoryDiagnoser]
public class ShapingBenchmarks
{
    private const int Packets = 4096; // per invoke: a multiple of every batch size
    private const int FrameLength = 128;

    private static readonly string[] OutOnly = ["out"];
    private static readonly string[] WithRest = ["out", "rest"];
    private static readonly string[] WithCopy = ["out", "copy"];

    private StageBenchHarness _plain = null!;
    private StageBenchHarness _sampled = null!;
    private StageBenchHarness _mirrored = null!;
    private RateLimit _rateLimit = null!;
    private Dedup _dedup = null!;
    private ChecksumStage _verify = null!;
    private ChecksumStage _fix = null!;
    private Sample _sample = null!;
    private Tlem _tlem = null!;
    private Mirror _mirror = null!;
    private Drop _drop = null!;

    [Params(32, 256)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var frame = Ipv4UdpFrame();
        _rateLimit = new RateLimit(new RateLimitOptions(bps: 100_000_000_000));
        _dedup = new Dedup(new DedupOptions());
        _verify = new ChecksumStage(new ChecksumOptions { Mode = ChecksumMode.Verify });
        _fix = new ChecksumStage(new ChecksumOptions { Mode = ChecksumMode.Fix });
        _sample = new Sample(new SampleOptions { Every = 8 });
        _tlem = new Tlem(new TlemOptions { Delay = "1s", Jitter = "1ms", Loss = 0.01, Rate = "100g", MaxQueue = "1g" });
        _mirror = new Mirror();
        _drop = new Drop(new DropOptions());

        _plain = new StageBenchHarness(frame, Batch, OutOnly);
        _sampled = new StageBenchHarness(frame, Batch, WithRest);
        _mirrored = new StageBenchHarness(frame, Batch, WithCopy);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _plain.Dispose();
        _sampled.Dispose();
        _mirrored.Dispose();
    }

    /// <summary><c>rate-limit</c>, a bit-rate bucket every packet fits.</summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public void RateLimit() => Rounds(_plain, _rateLimit);

    /// <summary><c>dedup</c>, identical packets: a 64-bit hash of 128 bytes and a compare with the one remembered.</summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public void Dedup() => Rounds(_plain, _dedup);

    /// <summary><c>checksum: verify</c>, the IPv4 header and the UDP checksum.</summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public void ChecksumVerify() => Rounds(_plain, _verify);

    /// <summary><c>checksum: fix</c>, both recomputed and written.</summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public void ChecksumFix() => Rounds(_plain, _fix);

    /// <summary><c>sample: every 8</c>, the rest to a connected <c>rest</c>.</summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public void Sample() => Rounds(_sampled, _sample);

    /// <summary><c>tlem</c>: loss draw, serialization, jitter draw, delay verdict.</summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public void Tlem() => Rounds(_plain, _tlem);

    /// <summary><c>mirror</c>, a copy asked for every packet.</summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public void Mirror() => Rounds(_mirrored, _mirror);

    /// <summary><c>drop</c>, every packet.</summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public void Drop() => Rounds(_plain, _drop);

    private void Rounds(StageBenchHarness harness, IPacketStage stage)
    {
        for (var n = 0; n < Packets; n += Batch)
        {
            harness.Run(stage);
        }
    }

    // dst, src, IPv4 (192.0.2.1 -> 198.51.100.7, UDP 40000 -> 4789), a patterned payload, both checksums right.
    private static byte[] Ipv4UdpFrame()
    {
        var frame = new byte[FrameLength];
        byte[] macs = [0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01];
        macs.CopyTo(frame, 0);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        var ip = frame.AsSpan(14, 20);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], FrameLength - 14);
        ip[8] = 64;
        ip[9] = 17;
        byte[] addresses = [192, 0, 2, 1, 198, 51, 100, 7];
        addresses.CopyTo(ip[12..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum.Compute(ip));
        var udp = frame.AsSpan(34);
        BinaryPrimitives.WriteUInt16BigEndian(udp, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], 4789);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)udp.Length);
        for (var i = 8; i < udp.Length; i++)
        {
            udp[i] = (byte)(i * 13);
        }

        var pseudo = Checksum.PseudoHeaderV4(ip.Slice(12, 4), ip.Slice(16, 4), 17, udp.Length);
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], Checksum.Finish(Checksum.Sum(udp, pseudo)));
        return frame;
    }
}
