using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Stages;
using Stages.Filter;

namespace Pipeline.Benchmarks.Stages;

/// <summary>
/// The filtering family: <c>filter</c> and <c>classify</c>, each with 10 rules, on batches of one IPv4/TCP frame to
/// port 443 that only the 8th rule matches, so every packet is read once and compared against 8 rules. The
/// stages only read packets, so no reset is needed between rounds. Each row is per packet.
/// </summary>
[MemoryDiagnoser]
public class FilterBenchmarks
{
    private const int Packets = 4096; // per invoke: a multiple of every batch size

    private static readonly string[] DenyRules = ["ip src 10.66.0.0/16", "vlan 999", "ip6 src 2001:db8:bad::/48"];

    private static readonly string[] AllowRules = ["udp dst 53", "udp dst 123", "tcp dst 22", "tcp dst 80", "tcp dst 443", "icmp", "arp"];

    private StageBenchHarness _filterHarness = null!;
    private StageBenchHarness _classifyHarness = null!;
    private Filter _filter = null!;
    private Classify _classify = null!;

    [Params(32, 256)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var frame = Ipv4TcpFrame(destinationPort: 443);

        _filter = new Filter(new FilterOptions { Deny = DenyRules, Allow = AllowRules });
        _filterHarness = new StageBenchHarness(frame, Batch, ["out", "deny"]);

        var rules = new ClassifyRule[DenyRules.Length + AllowRules.Length];
        for (var i = 0; i < rules.Length; i++)
        {
            var match = i < DenyRules.Length ? DenyRules[i] : AllowRules[i - DenyRules.Length];
            rules[i] = new ClassifyRule { Match = match, Gate = "class" + i };
        }

        var options = new ClassifyOptions { Rules = rules };
        _classify = new Classify(options);
        BuiltInStages.CreateRegistry().TryGet("classify", out var descriptor);
        _classifyHarness = new StageBenchHarness(frame, Batch, descriptor!.GatesFor(options));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _filterHarness.Dispose();
        _classifyHarness.Dispose();
    }

    /// <summary><c>filter</c>: 3 deny rules, then 7 allow rules; the packet passes by the 5th allow rule.</summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public void Filter()
    {
        for (var n = 0; n < Packets; n += Batch)
        {
            _filterHarness.Run(_filter);
        }
    }

    /// <summary><c>classify</c>: the same 10 rules, each to its own gate; the packet leaves by the 8th.</summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public void Classify()
    {
        for (var n = 0; n < Packets; n += Batch)
        {
            _classifyHarness.Run(_classify);
        }
    }

    // Ethernet, IPv4 (192.0.2.1 -> 198.51.100.2, TCP), a TCP header from port 50000, 26 bytes of payload: 80 bytes.
    private static byte[] Ipv4TcpFrame(ushort destinationPort)
    {
        var frame = new byte[14 + 20 + 20 + 26];
        byte[] macs = [0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01];
        macs.CopyTo(frame, 0);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        var ip = frame.AsSpan(14);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(frame.Length - 14));
        ip[8] = 64;
        ip[9] = 6;
        byte[] addresses = [192, 0, 2, 1, 198, 51, 100, 2];
        addresses.CopyTo(ip[12..]);
        var tcp = ip[20..];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 50000);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], destinationPort);
        tcp[12] = 5 << 4;
        return frame;
    }
}
