using Netmap.Io.Rings;
using Pipeline.Config;
using Pipeline.Stages;
using Pipeline.Testing;
using Stages.Standard;
using static System.Buffers.Binary.BinaryPrimitives;
using static Stages.Tests.ForwardingKit;

namespace Stages.Tests.Standard;

public sealed class LoadBalanceTests
{
    private const int L3 = 14;

    public static TheoryData<FlowCase> Flows => new()
    {
        new FlowCase("ipv4 udp", (s, d, sp, dp) => new PacketBuilder().Ethernet().Ipv4(V4(s), V4(d)).Udp(sp, dp).Payload(10).Build()),
        new FlowCase("ipv4 tcp", (s, d, sp, dp) => new PacketBuilder().Ethernet().Ipv4(V4(s), V4(d)).Tcp(sp, dp).Build()),
        new FlowCase("ipv6 udp", (s, d, sp, dp) => new PacketBuilder().Ethernet().Ipv6(V6(s), V6(d)).Udp(sp, dp).Payload(10).Build()),
        new FlowCase("ipv6 tcp", (s, d, sp, dp) => new PacketBuilder().Ethernet().Ipv6(V6(s), V6(d)).Tcp(sp, dp).Build()),
        new FlowCase("tagged ipv4 udp", (s, d, sp, dp) => new PacketBuilder().Ethernet().Vlan(10).Ipv4(V4(s), V4(d)).Udp(sp, dp).Build()),
        new FlowCase("qinq ipv6 tcp", (s, d, sp, dp) => new PacketBuilder().Ethernet().Vlan(10, tpid: 0x88a8).Vlan(20).Ipv6(V6(s), V6(d)).Tcp(sp, dp).Build()),
        new FlowCase("non-ip (macs)", (s, d, sp, dp) => new PacketBuilder().Ethernet(Mac(s), Mac(d)).Payload(46).Build()),
    };

    [Theory]
    [MemberData(nameof(Flows))]
    public void Both_directions_of_a_flow_hash_alike_and_leave_by_the_same_gate(FlowCase flow)
    {
        using var bench = new StageBench(capacity: 256);
        var options = new LoadBalanceOptions { Gates = 8 };
        var pairs = new List<(int Forward, int Reverse)>();
        for (var n = 0; n < 100; n++)
        {
            var (s, d, sp, dp) = (n + 1, (n * 7) + 3, (ushort)(1000 + (n * 13)), (ushort)(80 + n));
            pairs.Add((bench.Add(flow.Frame(s, d, sp, dp)), bench.Add(flow.Frame(d, s, dp, sp))));
        }

        var context = Context(bench, "lb", options);

        bench.Run(new LoadBalance(options), context);

        foreach (var (forward, reverse) in pairs)
        {
            Assert.Equal(Meta(bench, forward).FlowHash, Meta(bench, reverse).FlowHash);
            Assert.NotEqual(0u, Meta(bench, forward).FlowHash);
            Assert.Equal(GateOf(context, forward), GateOf(context, reverse));
        }
    }

    [Theory]
    [MemberData(nameof(Flows))]
    public void Flows_spread_over_every_gate(FlowCase flow)
    {
        using var bench = new StageBench(capacity: 256);
        var options = new LoadBalanceOptions { Gates = 4 };
        for (var n = 0; n < 200; n++)
        {
            bench.Add(flow.Frame(n + 1, 1000 + (n * 31), (ushort)(5000 + n), 443));
        }

        var context = Context(bench, "lb", options);

        bench.Run(new LoadBalance(options), context);

        var perGate = new Dictionary<string, int>();
        for (var n = 0; n < 200; n++)
        {
            var gate = GateOf(context, n);
            perGate[gate] = perGate.GetValueOrDefault(gate) + 1;
        }

        Assert.Equal(["out0", "out1", "out2", "out3"], perGate.Keys.Order(StringComparer.Ordinal));
        Assert.All(perGate.Values, count => Assert.InRange(count, 25, 75)); // 50 each on average
    }

    [Fact]
    public void The_gate_follows_the_hash_and_the_packet_is_untouched()
    {
        using var bench = new StageBench();
        var options = new LoadBalanceOptions { Gates = 3 };
        var frame = new PacketBuilder().Ethernet().Ipv4("10.0.0.1", "10.0.0.2").Udp(1, 2).Payload(20).Build();
        var i = bench.Add(frame);
        var bufferBefore = bench.Buffer(i);
        var slotBefore = bench.Slot(i);
        var context = Context(bench, "lb", options);

        bench.Run(new LoadBalance(options), context);

        var hash = Meta(bench, i).FlowHash;
        Assert.Equal($"out{(ulong)hash * 3 >> 32}", GateOf(context, i));
        Assert.Equal(bufferBefore, bench.Buffer(i));
        Assert.Equal(slotBefore, bench.Slot(i));
        Assert.Equal(hash, LoadBalance.Hash(frame, LoadBalanceHash.FiveTuple));
    }

    [Fact]
    public void Five_tuple_hashes_ports_and_ip_does_not()
    {
        var a = new PacketBuilder().Ethernet().Ipv4("10.0.0.1", "10.0.0.2").Udp(1000, 53).Build();
        var b = new PacketBuilder().Ethernet().Ipv4("10.0.0.1", "10.0.0.2").Udp(1001, 53).Build();
        var tcp = new PacketBuilder().Ethernet().Ipv4("10.0.0.1", "10.0.0.2").Tcp(1000, 53).Build();
        var otherAddress = new PacketBuilder().Ethernet().Ipv4("10.0.0.3", "10.0.0.2").Udp(1000, 53).Build();

        Assert.NotEqual(LoadBalance.Hash(a, LoadBalanceHash.FiveTuple), LoadBalance.Hash(b, LoadBalanceHash.FiveTuple));
        Assert.NotEqual(LoadBalance.Hash(a, LoadBalanceHash.FiveTuple), LoadBalance.Hash(tcp, LoadBalanceHash.FiveTuple));
        Assert.Equal(LoadBalance.Hash(a, LoadBalanceHash.Ip), LoadBalance.Hash(b, LoadBalanceHash.Ip));
        Assert.Equal(LoadBalance.Hash(a, LoadBalanceHash.Ip), LoadBalance.Hash(tcp, LoadBalanceHash.Ip));
        Assert.NotEqual(LoadBalance.Hash(a, LoadBalanceHash.Ip), LoadBalance.Hash(otherAddress, LoadBalanceHash.Ip));
    }

    [Fact]
    public void Ipv4_fragments_hash_on_addresses_and_protocol_so_they_stay_together()
    {
        var first = new PacketBuilder().Ethernet().Ipv4("10.0.0.1", "10.0.0.2").Udp(1000, 53).Payload(40).Build();
        WriteUInt16BigEndian(first.AsSpan(L3 + 6), 0x2000); // MF, offset 0: the first fragment has the ports
        var later = new PacketBuilder().Ethernet().Ipv4("10.0.0.1", "10.0.0.2").Udp(7, 7).Payload(40).Build();
        WriteUInt16BigEndian(later.AsSpan(L3 + 6), 0x0006); // offset 48 bytes: the "ports" are payload
        var other = new PacketBuilder().Ethernet().Ipv4("10.0.0.1", "10.0.0.2").Udp(1000, 54).Payload(40).Build();
        WriteUInt16BigEndian(other.AsSpan(L3 + 6), 0x2000);

        Assert.Equal(LoadBalance.Hash(first, LoadBalanceHash.FiveTuple), LoadBalance.Hash(later, LoadBalanceHash.FiveTuple));
        Assert.Equal(LoadBalance.Hash(first, LoadBalanceHash.FiveTuple), LoadBalance.Hash(other, LoadBalanceHash.FiveTuple));
    }

    [Fact]
    public void Other_ip_protocols_hash_on_addresses_and_protocol()
    {
        var a = new PacketBuilder().Ethernet().Ipv4("10.0.0.1", "10.0.0.2").Payload(30).Build(); // protocol 253
        var b = new PacketBuilder().Ethernet().Ipv4("10.0.0.1", "10.0.0.2").Payload(31).Build();
        var reply = new PacketBuilder().Ethernet().Ipv4("10.0.0.2", "10.0.0.1").Payload(30).Build();

        Assert.Equal(LoadBalance.Hash(a, LoadBalanceHash.FiveTuple), LoadBalance.Hash(b, LoadBalanceHash.FiveTuple));
        Assert.Equal(LoadBalance.Hash(a, LoadBalanceHash.FiveTuple), LoadBalance.Hash(reply, LoadBalanceHash.FiveTuple));
    }

    [Fact]
    public void Vlan_tags_do_not_change_the_hash()
    {
        var plain = new PacketBuilder().Ethernet().Ipv4("10.0.0.1", "10.0.0.2").Udp(1, 2).Build();
        var tagged = new PacketBuilder().Ethernet().Vlan(100).Ipv4("10.0.0.1", "10.0.0.2").Udp(1, 2).Build();
        var qinq = new PacketBuilder().Ethernet().Vlan(5, tpid: 0x88a8).Vlan(100).Ipv4("10.0.0.1", "10.0.0.2").Udp(1, 2).Build();

        Assert.Equal(LoadBalance.Hash(plain, LoadBalanceHash.FiveTuple), LoadBalance.Hash(tagged, LoadBalanceHash.FiveTuple));
        Assert.Equal(LoadBalance.Hash(plain, LoadBalanceHash.FiveTuple), LoadBalance.Hash(qinq, LoadBalanceHash.FiveTuple));
    }

    public static TheoryData<MalformedCase> Malformed => new()
    {
        new MalformedCase("empty frame", () => []),
        new MalformedCase("13-byte frame", () => Udp4()[..13]),
        new MalformedCase("tag cut short", () => new PacketBuilder().Ethernet().Vlan(5).Ipv4().Build()[..17]),
        new MalformedCase("ipv4 header cut short", () => Udp4()[..(L3 + 19)]),
        new MalformedCase("ipv4 version 6", () => { var f = Udp4(); f[L3] = 0x65; return f; }),
        new MalformedCase("ipv4 ihl 4", () => { var f = Udp4(); f[L3] = 0x44; return f; }),
        new MalformedCase("ipv4 ihl past the frame", () => { var f = Udp4(); f[L3] = 0x4F; return f; }),
        new MalformedCase("udp ports cut short", () => Udp4()[..(L3 + 23)]),
        new MalformedCase("ipv6 header cut short", () => new PacketBuilder().Ethernet().Ipv6().Udp(1, 2).Build()[..(L3 + 39)]),
        new MalformedCase("ipv6 version 4", () => { var f = new PacketBuilder().Ethernet().Ipv6().Udp(1, 2).Build(); f[L3] = 0x40; return f; }),
        new MalformedCase("tcp ports cut short", () => new PacketBuilder().Ethernet().Ipv6().Tcp(1, 2).Build()[..(L3 + 42)]),
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_headers_are_dropped_and_left_alone(MalformedCase bad)
    {
        using var bench = new StageBench();
        var options = new LoadBalanceOptions { Gates = 2 };
        var i = bench.Add(bad.Frame());
        var good = bench.Add(Udp4());
        var bufferBefore = bench.Buffer(i);
        var slotBefore = bench.Slot(i);
        var context = Context(bench, "lb", options);

        bench.Run(new LoadBalance(options), context);

        StageBench.AssertDropped(context, i, DropReason.Malformed);
        Assert.Equal(bufferBefore, bench.Buffer(i));
        Assert.Equal(slotBefore, bench.Slot(i));
        Assert.StartsWith("out", GateOf(context, good), StringComparison.Ordinal);
    }

    [Fact]
    public void With_ip_hashing_cut_short_ports_are_fine()
    {
        using var bench = new StageBench();
        var options = new LoadBalanceOptions { Gates = 2, Hash = LoadBalanceHash.Ip };
        var i = bench.Add(Udp4().AsSpan(0, L3 + 20));
        var context = Context(bench, "lb", options);

        bench.Run(new LoadBalance(options), context);

        Assert.StartsWith("out", GateOf(context, i), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_slot_of_a_multi_slot_packet_gets_the_first_slots_hash()
    {
        using var bench = new StageBench();
        var options = new LoadBalanceOptions { Gates = 4 };
        var frame = new PacketBuilder().Ethernet().Ipv4("10.0.0.1", "10.0.0.2").Udp(1, 2).Payload(100).Build();
        var first = bench.Add(frame.AsSpan(0, 50), flags: SlotFlags.MoreFrag);
        var middle = bench.Add(frame.AsSpan(50, 10), flags: SlotFlags.MoreFrag); // 10 bytes: not a frame of its own
        var last = bench.Add(frame.AsSpan(60));
        var context = Context(bench, "lb", options);

        bench.Run(new LoadBalance(options), context);

        var hash = LoadBalance.Hash(frame, LoadBalanceHash.FiveTuple);
        Assert.Equal(hash, Meta(bench, first).FlowHash);
        Assert.Equal(hash, Meta(bench, middle).FlowHash);
        Assert.Equal(hash, Meta(bench, last).FlowHash);
        Assert.Equal($"out{(ulong)hash * 4 >> 32}", GateOf(context, first));
        Assert.Equal(0, context.Verdicts(3)[1]); // continuations keep the default verdict: the first slot's decides
    }

    [Theory]
    [InlineData(1)]
    [InlineData(65)]
    public void Gates_out_of_range_throw_naming_the_key(int gates)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new LoadBalanceOptions { Gates = gates });

        Assert.Equal("gates", ex.ParamName);
        Assert.Equal($"gates must be from 2 to 64, found {gates} (Parameter 'gates')", ex.Message);
    }

    [Fact]
    public void YAML_keys_bind_to_the_options_and_name_the_gates()
    {
        var yaml = OneStage("{ type: lb, gates: 3, hash: ip }", "s.out0 -> a", "s.out2 -> c");

        var definition = PipelineLoader.Parse(yaml, "p.yaml", BuiltInStages.CreateRegistry());

        var stage = Assert.Single(definition.Stages);
        Assert.Equal(typeof(LoadBalance), stage.Descriptor.StageType);
        Assert.Equal(new LoadBalanceOptions { Gates = 3, Hash = LoadBalanceHash.Ip }, stage.Options);
        Assert.Equal(["out0", "out1", "out2"], stage.Gates);
        Assert.Equal(LoadBalanceHash.FiveTuple, PipelineLoader.Parse(OneStage("{ type: lb, gates: 2 }", "s.out1 -> b"), "p.yaml", BuiltInStages.CreateRegistry()).Stages[0].Options is LoadBalanceOptions o ? o.Hash : default);
    }

    [Theory]
    [InlineData("{ type: lb, gates: 65 }", "s.out0 -> a", "p.yaml:7:18: invalid 'gates': gates must be from 2 to 64, found 65")]
    [InlineData("{ type: lb, gates: 2, hash: mac }", "s.out0 -> a", "p.yaml:7:34: 'hash' must be one of [five-tuple, ip], found 'mac'")]
    [InlineData("{ type: lb, gates: 2 }", "s.out2 -> a", "p.yaml:12:5: stage 's' has no gate 'out2' (gates: out0, out1)")]
    [InlineData("{ type: lb }", "s.out0 -> a", "p.yaml:7:3: stage 's' is missing required key 'gates'")]
    public void Bad_YAML_is_reported_at_its_place(string stage, string pipe, string error)
    {
        Assert.False(PipelineLoader.TryParse(OneStage(stage, pipe), "p.yaml", BuiltInStages.CreateRegistry(), out _, out var errors));

        Assert.Equal(error, Assert.Single(errors).ToString());
    }

    [Fact]
    public void Steady_state_allocates_nothing()
    {
        using var bench = new StageBench();
        var options = new LoadBalanceOptions { Gates = 8 };
        var stage = new LoadBalance(options);
        var context = Context(bench, "lb", options);
        var frames = new List<byte[]>();
        foreach (var flow in Flows)
        {
            frames.Add(flow.Frame(1, 2, 3, 4));
        }

        frames.Add(Udp4()[..20]);
        var allocated = AllocatedInSteadyState(() =>
        {
            bench.Recycle();
            for (var n = 0; n < 32; n++)
            {
                bench.Add(frames[n % frames.Count]);
            }

            bench.Run(stage, context);
        });

        Assert.Equal(0, allocated);
    }

    private static byte[] Udp4() => new PacketBuilder().Ethernet().Ipv4("10.0.0.1", "10.0.0.2").Udp(1000, 2000).Payload(10).Build();

    private static string V4(int n) => $"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}";

    private static string V6(int n) => $"2001:db8::{n >> 16:x}:{n & 0xFFFF:x}";

    private static string Mac(int n) => $"02:00:00:{(n >> 16) & 255:x2}:{(n >> 8) & 255:x2}:{n & 255:x2}";

    /// <summary>A kind of flow: a frame from endpoint (address s, port sp) to (d, dp), named.</summary>
    public sealed record FlowCase(string Name, Func<int, int, ushort, ushort, byte[]> Frame)
    {
        public override string ToString() => Name;
    }

    /// <summary>One malformed frame, named.</summary>
    public sealed record MalformedCase(string Name, Func<byte[]> Frame)
    {
        public override string ToString() => Name;
    }
}
