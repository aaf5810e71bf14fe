using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Netmap.Io.Memory;
using Netmap.Io.Packets;
using Netmap.Io.Rings;
using Pipeline.Runtime;
using Pipeline.Stages;
using Stages;
using Stages.Ethernet;
using Stages.Ip;
using Stages.Standard;

namespace Pipeline.Benchmarks.Stages;

/// <summary>
/// The forwarding family: <c>l2-switch</c> (learned unicast both ways between two ports, and broadcast flooding to
/// two gates: one copy asked for and one verdict per packet), <c>router</c> (a 12-route IPv4 table and a 6-route
/// IPv6 one: lookup, TTL/hop-limit decrement, checksum update, MAC rewrite; the packets are reset from the template
/// every round, so each row includes a 64-byte copy per packet) and <c>lb</c> (the symmetric five-tuple hash of an
/// IPv4/TCP and an IPv6/UDP frame over 8 gates). Each row is per packet.
/// </summary>
[MemoryDiagnoser]
public class ForwardingBenchmarks
{
    private const int Packets = 4096; // per invoke: a multiple of every batch size

    private static readonly byte[] H1 = [0x02, 0, 0, 0, 0, 0x01];
    private static readonly byte[] H2 = [0x02, 0, 0, 0, 0, 0x02];
    private static readonly byte[] Broadcast = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

    private SwitchBench _switchBench = null!;
    private L2Switch _switch = null!;
    private StageBenchHarness _floodHarness = null!;
    private L2Switch _flooder = null!;
    private StageBenchHarness _routerV4Harness = null!;
    private StageBenchHarness _routerV6Harness = null!;
    private Router _router = null!;
    private StageBenchHarness _lbV4Harness = null!;
    private StageBenchHarness _lbV6Harness = null!;
    private LoadBalance _lb = null!;

    [Params(32, 256)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var registry = BuiltInStages.CreateRegistry();
        var switchOptions = new L2SwitchOptions { Gates = ["a", "b", "c"] };
        var gates = Gates(registry, "l2-switch", switchOptions);
        _switch = new L2Switch(switchOptions);
        _switchBench = new SwitchBench(Batch, gates);
        _flooder = new L2Switch(switchOptions);
        _floodHarness = new StageBenchHarness(Frame(H1, Broadcast, Ipv4Udp()), Batch, gates);

        var routes = new List<RouteOptions>();
        for (var n = 1; n <= 10; n++)
        {
            routes.Add(new RouteOptions { Prefix = $"10.{n}.0.0/16", Gate = "lan" + (n % 3) });
        }

        routes.Add(new RouteOptions { Prefix = "198.51.100.0/24", Gate = "dmz", NextHopMac = "02:00:00:00:00:0d" });
        routes.Add(new RouteOptions { Prefix = "0.0.0.0/0", Gate = "wan", NextHopMac = "02:00:00:00:00:fe" });
        routes.Add(new RouteOptions { Prefix = "2001:db8::/32", Gate = "wan" });
        routes.Add(new RouteOptions { Prefix = "2001:db8:1::/48", Gate = "lan0" });
        routes.Add(new RouteOptions { Prefix = "2001:db8:1:2::/64", Gate = "dmz", NextHopMac = "02:00:00:00:00:0d" });
        routes.Add(new RouteOptions { Prefix = "2001:db8:2::/48", Gate = "lan1" });
        routes.Add(new RouteOptions { Prefix = "2001:db8:3::/48", Gate = "lan2" });
        routes.Add(new RouteOptions { Prefix = "::/0", Gate = "wan" });
        var routerOptions = new RouterOptions { Routes = routes, Mac = "02:00:00:00:00:01" };
        _router = new Router(routerOptions);
        gates = Gates(registry, "router", routerOptions);
        _routerV4Harness = new StageBenchHarness(Frame(H1, H2, Ipv4Udp()), Batch, gates);
        _routerV6Harness = new StageBenchHarness(Frame(H1, H2, Ipv6Udp()), Batch, gates);

        var lbOptions = new LoadBalanceOptions { Gates = 8 };
        _lb = new LoadBalance(lbOptions);
        gates = Gates(registry, "lb", lbOptions);
        _lbV4Harness = new StageBenchHarness(Frame(H1, H2, Ipv4Udp(protocol: 6)), Batch, gates);
        _lbV6Harness = new StageBenchHarness(Frame(H1, H2, Ipv6Udp()), Batch, gates);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _switchBench.Dispose();
        _floodHarness.Dispose();
        _routerV4Harness.Dispose();
        _routerV6Harness.Dispose();
        _lbV4Harness.Dispose();
        _lbV6Harness.Dispose();
    }

    /// <summary><c>l2-switch</c>: H1 (port a) and H2 (port b) talking, both learned: a refresh and a lookup per packet.</summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public void L2SwitchLearned()
    {
        for (var n = 0; n < Packets; n += Batch)
        {
            _switchBench.Run(_switch);
        }
    }

    /// <summary><c>l2-switch</c>: broadcasts from a, flooded to b (a copy asked for) and c (the packet itself).</summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public void L2SwitchFlood()
    {
        for (var n = 0; n < Packets; n += Batch)
        {
            _floodHarness.Run(_flooder);
        }
    }

    /// <summary><c>router</c>: IPv4 to 198.51.100.2 (a /24 among 12 routes), TTL and checksum, both MACs rewritten.</summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public void RouterIpv4()
    {
        for (var n = 0; n < Packets; n += Batch)
        {
            _routerV4Harness.Reset();
            _routerV4Harness.Run(_router);
        }
    }

    /// <summary><c>router</c>: IPv6 to 2001:db8:1:2::2 (a /64 among 6 routes), hop limit, both MACs rewritten.</summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public void RouterIpv6()
    {
        for (var n = 0; n < Packets; n += Batch)
        {
            _routerV6Harness.Reset();
            _routerV6Harness.Run(_router);
        }
    }

    /// <summary><c>lb</c>: the symmetric five-tuple hash of an IPv4/TCP frame, 8 gates.</summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public void LoadBalanceIpv4()
    {
        for (var n = 0; n < Packets; n += Batch)
        {
            _lbV4Harness.Run(_lb);
        }
    }

    /// <summary><c>lb</c>: the symmetric five-tuple hash of an IPv6/UDP frame, 8 gates.</summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public void LoadBalanceIpv6()
    {
        for (var n = 0; n < Packets; n += Batch)
        {
            _lbV6Harness.Run(_lb);
        }
    }

    private static IReadOnlyList<string> Gates(StageRegistry registry, string type, object options)
    {
        registry.TryGet(type, out var descriptor);
        return descriptor!.GatesFor(options);
    }

    private static byte[] Frame(byte[] source, byte[] destination, byte[] l3)
    {
        var frame = new byte[14 + l3.Length];
        destination.CopyTo(frame, 0);
        source.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), l3[0] >> 4 == 6 ? (ushort)0x86DD : (ushort)0x0800);
        l3.CopyTo(frame, 14);
        return frame;
    }

    // IPv4 (192.0.2.1 -> 198.51.100.2, TTL 64, checksum), a UDP (or TCP-sized ports) header, payload: 50 bytes.
    private static byte[] Ipv4Udp(byte protocol = 17)
    {
        var ip = new byte[20 + 8 + 22];
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(2), (ushort)ip.Length);
        ip[8] = 64;
        ip[9] = protocol;
        byte[] addresses = [192, 0, 2, 1, 198, 51, 100, 2];
        addresses.CopyTo(ip, 12);
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(10), Checksum.Compute(ip.AsSpan(0, 20)));
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(20), 50000);
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(22), 443);
        return ip;
    }

    // IPv6 (2001:db8::1 -> 2001:db8:1:2::2, hop limit 64), a UDP header, payload: 70 bytes.
    private static byte[] Ipv6Udp()
    {
        var ip = new byte[40 + 8 + 22];
        ip[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(4), (ushort)(ip.Length - 40));
        ip[6] = 17;
        ip[7] = 64;
        BinaryPrimitives.WriteUInt128BigEndian(ip.AsSpan(8), ((UInt128)0x2001_0db8 << 96) | 1);
        BinaryPrimitives.WriteUInt128BigEndian(ip.AsSpan(24), ((UInt128)0x2001_0db8_0001_0002 << 64) | 2);
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(40), 50000);
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(42), 53);
        return ip;
    }

    /// <summary>
    /// A batch for the switch, which needs what <see cref="StageBenchHarness"/> leaves at default: packets from two
    /// ports (<see cref="PacketMeta.InputPort"/>) and the pipeline's port names. H1 on a and H2 on b alternate, each
    /// to the other; the switch only reads, so the batch is built once.
    /// </summary>
    private sealed class SwitchBench : IDisposable
    {
        private readonly BufferArena _arena;
        private readonly BatchPool _pool;
        private readonly PacketBatch _batch;
        private readonly StageContext _context;

        public SwitchBench(int batchSize, IReadOnlyList<string> gates)
        {
            _arena = new BufferArena(new ArenaOptions { BufferCount = batchSize + 64 });
            _pool = new BatchPool(_arena, batchSize, initialBatches: 1, isChecked: false);
            _batch = _pool.Rent(this, "bench");
            _context = new StageContext("bench", gates, _arena, batchSize) { PortNames = ["a", "b", "c"] };
            byte[][] frames = [Frame(H1, H2, Ipv4Udp()), Frame(H2, H1, Ipv4Udp())];
            for (var i = 0; i < batchSize; i++)
            {
                var frame = frames[i % 2];
                var index = _arena.Alloc(_pool.Owner);
                frame.CopyTo(_arena.GetBuffer(index)[128..]);
                _batch.Add(new Slot { BufIdx = index, Len = (ushort)frame.Length, Offset = 128 }, new PacketMeta { InputPort = (ushort)(i % 2) });
            }
        }

        public void Run(L2Switch stage)
        {
            _context.Reset(_batch.Count);
            stage.OnBatch(_batch, _context);
        }

        public void Dispose()
        {
            _pool.Return(_batch);
            _arena.Dispose();
        }
    }
}
