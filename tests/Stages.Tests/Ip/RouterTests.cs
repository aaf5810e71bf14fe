using System.Net;
using Netmap.Io.Packets;
using Netmap.Io.Rings;
using Pipeline.Config;
using Pipeline.Stages;
using Pipeline.Testing;
using Stages.Ip;
using static System.Buffers.Binary.BinaryPrimitives;
using static Stages.Tests.ForwardingKit;

namespace Stages.Tests.Ip;

public sealed class RouterTests
{
    private const int L3 = 14; // the IP header after an untagged Ethernet header
    private const string RouterMac = "02:00:00:00:00:fe";
    private const string GatewayMac = "02:00:00:00:00:0a";

    private static readonly byte[] RouterMacBytes = [0x02, 0, 0, 0, 0, 0xfe];
    private static readonly byte[] GatewayMacBytes = [0x02, 0, 0, 0, 0, 0x0a];

    // Nested prefixes, each to its own gate, in both families.
    private static readonly RouterOptions Table = new()
    {
        Routes =
        [
            new RouteOptions { Prefix = "10.0.0.0/8", Gate = "g8" },
            new RouteOptions { Prefix = "10.1.0.0/16", Gate = "g16" },
            new RouteOptions { Prefix = "10.1.2.0/24", Gate = "g24" },
            new RouteOptions { Prefix = "10.1.2.3/32", Gate = "host" },
            new RouteOptions { Prefix = "0.0.0.0/0", Gate = "default" },
            new RouteOptions { Prefix = "2001:db8::/32", Gate = "g8" },
            new RouteOptions { Prefix = "2001:db8:1::/48", Gate = "g16" },
            new RouteOptions { Prefix = "2001:db8:1:2::/64", Gate = "g24" },
            new RouteOptions { Prefix = "2001:db8:1:2::3", Gate = "host" },
        ],
    };

    public static TheoryData<string, string> Ipv4Destinations => new()
    {
        { "10.9.9.9", "g8" },
        { "10.1.9.9", "g16" },
        { "10.1.2.9", "g24" },
        { "10.1.2.3", "host" },
        { "10.1.2.4", "g24" },
        { "10.255.255.255", "g8" },
        { "11.0.0.0", "default" },
        { "192.0.2.1", "default" },
        { "9.255.255.255", "default" },
    };

    public static TheoryData<string, string> Ipv6Destinations => new()
    {
        { "2001:db8:9::1", "g8" },
        { "2001:db8:1:9::1", "g16" },
        { "2001:db8:1:2::9", "g24" },
        { "2001:db8:1:2::3", "host" },
        { "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "g8" },
    };

    [Theory]
    [MemberData(nameof(Ipv4Destinations))]
    public void Ipv4_goes_to_the_gate_of_the_longest_matching_prefix(string destination, string gate)
    {
        using var bench = new StageBench();
        var i = bench.Add(Ipv4Frame(destination));
        var context = Context(bench, "router", Table);

        bench.Run(new Router(Table), context);

        Assert.Equal(gate, GateOf(context, i));
    }

    [Theory]
    [MemberData(nameof(Ipv6Destinations))]
    public void Ipv6_goes_to_the_gate_of_the_longest_matching_prefix(string destination, string gate)
    {
        using var bench = new StageBench();
        var i = bench.Add(Ipv6Frame(destination));
        var context = Context(bench, "router", Table);

        bench.Run(new Router(Table), context);

        Assert.Equal(gate, GateOf(context, i));
    }

    [Fact]
    public void The_gates_are_the_distinct_route_gates_in_the_order_first_named()
    {
        var definition = PipelineLoader.Parse(OneStage(RouterYaml(), "s.g8 -> a"), "p.yaml", BuiltInStages.CreateRegistry());

        Assert.Equal(["g8", "g16", "g24", "host", "default"], Assert.Single(definition.Stages).Gates);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(2)]
    [InlineData(255)]
    public void Routing_ipv4_decrements_the_ttl_and_updates_the_checksum_and_touches_nothing_else(byte ttl)
    {
        using var bench = new StageBench();
        var frame = Ipv4Frame("10.1.2.9", ttl: ttl);
        var i = bench.Add(frame);
        var slotBefore = bench.Slot(i);
        var bufferBefore = bench.Buffer(i);
        var context = Context(bench, "router", Table);

        bench.Run(new Router(Table), context);

        Assert.Equal("g24", GateOf(context, i));
        Assert.Equal(slotBefore, bench.Slot(i));
        var data = bench.Data(i);
        Assert.Equal(ttl - 1, data[L3 + 8]);
        Assert.True(Checksum.Verify(data.AsSpan(L3, 20)));
        Assert.Equal(FullChecksum(data.AsSpan(L3, 20)), ReadUInt16BigEndian(data.AsSpan(L3 + 10)));

        // Only the TTL and the checksum changed, in the packet and in the whole buffer.
        var expected = (byte[])bufferBefore.Clone();
        var at = StageBench.DefaultHeadroom + L3;
        expected[at + 8] = (byte)(ttl - 1);
        expected[at + 10] = data[L3 + 10];
        expected[at + 11] = data[L3 + 11];
        Assert.Equal(expected, bench.Buffer(i));
    }

    [Fact]
    public void The_incremental_checksum_matches_a_full_recomputation_for_every_ttl_and_many_headers()
    {
        using var bench = new StageBench(capacity: 256);
        var frames = new List<byte[]>();
        for (var n = 0; n < 254; n++)
        {
            // Every TTL from 2 to 255, with identifications that walk the checksum through its range (0x0000 and 0xFFFF sums included).
            frames.Add(Ipv4Frame("10.1.2.9", ttl: (byte)(2 + n), id: (ushort)(n * 257)));
        }

        foreach (var frame in frames)
        {
            bench.Add(frame);
        }

        var context = Context(bench, "router", Table);

        bench.Run(new Router(Table), context);

        for (var n = 0; n < frames.Count; n++)
        {
            var data = bench.Data(n);
            Assert.Equal(frames[n][L3 + 8] - 1, data[L3 + 8]);
            Assert.True(Checksum.Verify(data.AsSpan(L3, 20)), $"packet {n}");
            Assert.Equal(FullChecksum(data.AsSpan(L3, 20)), ReadUInt16BigEndian(data.AsSpan(L3 + 10)));
        }
    }

    [Fact]
    public void Routing_ipv6_decrements_the_hop_limit_and_touches_nothing_else()
    {
        using var bench = new StageBench();
        var i = bench.Add(Ipv6Frame("2001:db8:1::5", hopLimit: 9));
        var slotBefore = bench.Slot(i);
        var bufferBefore = bench.Buffer(i);
        var context = Context(bench, "router", Table);

        bench.Run(new Router(Table), context);

        Assert.Equal("g16", GateOf(context, i));
        Assert.Equal(slotBefore, bench.Slot(i));
        var expected = (byte[])bufferBefore.Clone();
        expected[StageBench.DefaultHeadroom + L3 + 7] = 8;
        Assert.Equal(expected, bench.Buffer(i));
    }

    [Fact]
    public void Macs_are_rewritten_when_the_router_and_the_route_name_them()
    {
        var options = new RouterOptions
        {
            Mac = RouterMac,
            Routes =
            [
                new RouteOptions { Prefix = "10.0.0.0/8", Gate = "lan", NextHop = IPAddress.Parse("10.0.0.1"), NextHopMac = GatewayMac },
                new RouteOptions { Prefix = "192.0.2.0/24", Gate = "lan" },
                new RouteOptions { Prefix = "2001:db8::/32", Gate = "lan", NextHopMac = GatewayMac },
            ],
        };
        using var bench = new StageBench();
        var viaGateway = bench.Add(Ipv4Frame("10.1.1.1"));
        var direct = bench.Add(Ipv4Frame("192.0.2.7"));
        var v6 = bench.Add(Ipv6Frame("2001:db8::7"));
        var before = bench.Data(direct);
        var context = Context(bench, "router", options);

        bench.Run(new Router(options), context);

        var data = bench.Data(viaGateway);
        Assert.Equal(GatewayMacBytes, data[0..6]);
        Assert.Equal(RouterMacBytes, data[6..12]);
        data = bench.Data(direct);
        Assert.Equal(before[0..6], data[0..6]); // no next-hop-mac: the destination is left as it came
        Assert.Equal(RouterMacBytes, data[6..12]);
        Assert.Equal(before[12..(L3 + 8)], data[12..(L3 + 8)]); // between the MACs and the TTL: untouched
        Assert.Equal(before[(L3 + 12)..], data[(L3 + 12)..]); // after the checksum: untouched
        data = bench.Data(v6);
        Assert.Equal(GatewayMacBytes, data[0..6]);
        Assert.Equal(RouterMacBytes, data[6..12]);
    }

    [Fact]
    public void Without_mac_options_the_macs_are_left_as_they_came()
    {
        using var bench = new StageBench();
        var frame = Ipv4Frame("10.1.1.1");
        var i = bench.Add(frame);
        var context = Context(bench, "router", Table);

        bench.Run(new Router(Table), context);

        Assert.Equal(frame[..14], bench.Data(i)[..14]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public void An_expired_ttl_or_hop_limit_is_dropped_and_left_alone(byte ttl)
    {
        using var bench = new StageBench();
        var v4 = bench.Add(Ipv4Frame("10.1.1.1", ttl: ttl));
        var v6 = bench.Add(Ipv6Frame("2001:db8::1", hopLimit: ttl));
        var v4Before = bench.Data(v4);
        var v6Before = bench.Data(v6);
        var context = Context(bench, "router", Table);

        bench.Run(new Router(Table), context);

        StageBench.AssertDropped(context, v4, DropReason.TtlExceeded);
        StageBench.AssertDropped(context, v6, DropReason.TtlExceeded);
        Assert.Equal(v4Before, bench.Data(v4));
        Assert.Equal(v6Before, bench.Data(v6));
    }

    [Fact]
    public void No_route_and_non_ip_frames_are_dropped_as_no_route()
    {
        var options = new RouterOptions { Routes = [new RouteOptions { Prefix = "10.0.0.0/8", Gate = "lan" }] };
        using var bench = new StageBench();
        var elsewhere = bench.Add(Ipv4Frame("192.0.2.1"));
        var v6 = bench.Add(Ipv6Frame("2001:db8::1")); // no IPv6 route at all
        var arp = bench.Add(new PacketBuilder().Ethernet().Arp("10.0.0.1", "10.0.0.2").Build());
        var expiredElsewhere = bench.Add(Ipv4Frame("192.0.2.1", ttl: 1)); // the lookup comes first
        var context = Context(bench, "router", options);

        bench.Run(new Router(options), context);

        StageBench.AssertDropped(context, elsewhere, DropReason.NoRoute);
        StageBench.AssertDropped(context, v6, DropReason.NoRoute);
        StageBench.AssertDropped(context, arp, DropReason.NoRoute);
        StageBench.AssertDropped(context, expiredElsewhere, DropReason.NoRoute);
    }

    public static TheoryData<MalformedCase> Malformed => new()
    {
        new MalformedCase("empty frame", () => []),
        new MalformedCase("13-byte frame", () => Ipv4Frame("10.1.1.1")[..13]),
        new MalformedCase("tag cut short", () => new PacketBuilder().Ethernet().Vlan(5).Ipv4("10.0.0.1", "10.1.1.1").Build()[..16]),
        new MalformedCase("ipv4 header cut short", () => Ipv4Frame("10.1.1.1")[..(L3 + 19)]),
        new MalformedCase("ipv4 version 5", () => Patch(Ipv4Frame("10.1.1.1"), f => f[L3] = 0x55)),
        new MalformedCase("ipv4 ihl 4", () => Patch(Ipv4Frame("10.1.1.1"), f => f[L3] = 0x44)),
        new MalformedCase("ipv4 ihl past the frame", () => Patch(Ipv4Frame("10.1.1.1", payload: 0), f => f[L3] = 0x4F)),
        new MalformedCase("ipv4 total length past the frame", () => Patch(Ipv4Frame("10.1.1.1"), f => WriteUInt16BigEndian(f.AsSpan(L3 + 2), (ushort)(f.Length - L3 + 1)))),
        new MalformedCase("ipv4 total length under the header", () => Patch(Ipv4Frame("10.1.1.1"), f => WriteUInt16BigEndian(f.AsSpan(L3 + 2), 19))),
        new MalformedCase("ipv4 bad checksum", () => { var f = Ipv4Frame("10.1.1.1"); f[L3 + 10] ^= 0x01; return f; }),
        new MalformedCase("ipv6 header cut short", () => Ipv6Frame("2001:db8::1")[..(L3 + 39)]),
        new MalformedCase("ipv6 version 4", () => { var f = Ipv6Frame("2001:db8::1"); f[L3] = 0x40; return f; }),
        new MalformedCase("ipv6 payload length past the frame", () => { var f = Ipv6Frame("2001:db8::1"); WriteUInt16BigEndian(f.AsSpan(L3 + 4), (ushort)(f.Length - L3 - 40 + 1)); return f; }),
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_headers_are_dropped_and_left_alone(MalformedCase bad)
    {
        using var bench = new StageBench();
        var frame = bad.Frame();
        var i = bench.Add(frame);
        var good = bench.Add(Ipv4Frame("10.1.1.1"));
        var bufferBefore = bench.Buffer(i);
        var slotBefore = bench.Slot(i);
        var context = Context(bench, "router", Table);

        bench.Run(new Router(Table), context);

        StageBench.AssertDropped(context, i, DropReason.Malformed);
        Assert.Equal(bufferBefore, bench.Buffer(i));
        Assert.Equal(slotBefore, bench.Slot(i));
        Assert.Equal("g16", GateOf(context, good));
    }

    [Fact]
    public void Ethernet_padding_after_the_ip_packet_is_fine_and_untouched()
    {
        using var bench = new StageBench();
        var frame = new PacketBuilder().Ethernet().Ipv4("10.0.0.1", "10.1.1.1").Build(); // 34 bytes: padded to 60
        var padded = new byte[60];
        frame.CopyTo(padded, 0);
        padded.AsSpan(frame.Length).Fill(0xA5);
        var i = bench.Add(padded);
        var context = Context(bench, "router", Table);

        bench.Run(new Router(Table), context);

        Assert.Equal("g16", GateOf(context, i));
        Assert.All(bench.Data(i)[frame.Length..], b => Assert.Equal(0xA5, b));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Tagged_frames_are_routed_with_their_tags_kept(int tags)
    {
        using var bench = new StageBench();
        var builder = new PacketBuilder().Ethernet().Vlan(100, tpid: tags == 2 ? (ushort)0x88a8 : (ushort)0x8100);
        if (tags == 2)
        {
            builder.Vlan(200);
        }

        var frame = builder.Ipv4("10.0.0.1", "10.1.2.3", ttl: 7).Udp(1, 2).Payload(10).Build();
        var i = bench.Add(frame);
        var context = Context(bench, "router", Table);

        bench.Run(new Router(Table), context);

        Assert.Equal("host", GateOf(context, i));
        var data = bench.Data(i);
        var l3 = L3 + (4 * tags);
        Assert.Equal(frame[..l3], data[..l3]);
        Assert.Equal(6, data[l3 + 8]);
        Assert.True(Checksum.Verify(data.AsSpan(l3, 20)));
    }

    [Fact]
    public void A_multi_slot_packet_is_routed_by_its_first_slot_and_measured_over_all()
    {
        using var bench = new StageBench();
        var frame = Ipv4Frame("10.1.1.1", payload: 100);
        var first = bench.Add(frame.AsSpan(0, 50), flags: SlotFlags.MoreFrag);
        var rest = bench.Add(frame.AsSpan(50));
        var restBefore = bench.Buffer(rest);
        // The same packet with a total length one byte past its slots.
        var longer = Patch(Ipv4Frame("10.1.1.1", payload: 100), f => WriteUInt16BigEndian(f.AsSpan(L3 + 2), (ushort)(f.Length - L3 + 1)));
        var badFirst = bench.Add(longer.AsSpan(0, 50), flags: SlotFlags.MoreFrag);
        bench.Add(longer.AsSpan(50));
        var context = Context(bench, "router", Table);

        bench.Run(new Router(Table), context);

        Assert.Equal("g16", GateOf(context, first));
        Assert.Equal(63, bench.Data(first)[L3 + 8]);
        Assert.Equal(restBefore, bench.Buffer(rest));
        StageBench.AssertDropped(context, badFirst, DropReason.Malformed);
    }

    public static TheoryData<string, string> BadOptions => new()
    {
        { "not a prefix", "prefix must be an IPv4 or IPv6 prefix like 10.0.0.0/8 or 2001:db8::/32, found '10.0.0/8'" },
        { "too long", "prefix '10.0.0.0/33' must end in a length from /0 to /32" },
        { "host bits", "prefix '10.1.0.0/8' has bits set past its length (did you mean 10.0.0.0/8?)" },
        { "v6 host bits", "prefix '2001:db8::1/64' has bits set past its length (did you mean 2001:db8::/64?)" },
        { "bad gate", "gate must be a gate name (letters, digits, '_' and '-'), found 'a b'" },
        { "multicast mac", "mac must be a unicast MAC address (the low bit of the first byte clear), found '01:00:5e:00:00:01'" },
        { "bad next-hop-mac", "next-hop-mac must be a MAC address like 02:00:00:00:00:01, found '02:00'" },
        { "no routes", "routes must list at least one route" },
        { "same prefix", "routes has prefix 10.0.0.0/8 twice" },
        { "next-hop family", "route 10.0.0.0/8: next-hop 2001:db8::1 is not an IPv4 address" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Bad_option_throws_naming_the_key(string name, string message)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => name switch
        {
            "not a prefix" => new RouteOptions { Prefix = "10.0.0/8", Gate = "a" },
            "too long" => new RouteOptions { Prefix = "10.0.0.0/33", Gate = "a" },
            "host bits" => new RouteOptions { Prefix = "10.1.0.0/8", Gate = "a" },
            "v6 host bits" => new RouteOptions { Prefix = "2001:db8::1/64", Gate = "a" },
            "bad gate" => new RouteOptions { Prefix = "10.0.0.0/8", Gate = "a b" },
            "multicast mac" => new RouterOptions { Routes = [Route("10.0.0.0/8")], Mac = "01:00:5e:00:00:01" },
            "bad next-hop-mac" => new RouteOptions { Prefix = "10.0.0.0/8", Gate = "a", NextHopMac = "02:00" },
            "no routes" => new RouterOptions { Routes = [] },
            "same prefix" => new RouterOptions { Routes = [Route("10.0.0.0/8"), Route("10.0.0.0/8")] },
            _ => new RouterOptions { Routes = [Route("10.0.0.0/8") with { NextHop = IPAddress.Parse("2001:db8::1") }] },
        });

        Assert.Equal($"{message} (Parameter '{ex.ParamName}')", ex.Message);
    }

    [Fact]
    public void YAML_keys_bind_to_the_options()
    {
        var definition = PipelineLoader.Parse(OneStage(RouterYaml(), "s.g8 -> a"), "p.yaml", BuiltInStages.CreateRegistry());

        var options = Assert.IsType<RouterOptions>(Assert.Single(definition.Stages).Options);
        Assert.Equal(RouterMac, options.Mac);
        Assert.Equal(6, options.Routes.Count);
        Assert.Equal(new RouteOptions { Prefix = "10.0.0.0/8", Gate = "g8", NextHop = IPAddress.Parse("10.0.0.1"), NextHopMac = GatewayMac }, options.Routes[0]);
        Assert.Equal(new RouteOptions { Prefix = "2001:db8:1::/48", Gate = "g16" }, options.Routes[5]);
        Assert.Equal("0.0.0.0/0", options.Routes[4].Prefix);
    }

    [Theory]
    [InlineData("{ prefix: 10.0.0.0/33, gate: g8 }", "p.yaml:10:11: invalid 'prefix': prefix '10.0.0.0/33' must end in a length from /0 to /32")]
    [InlineData("{ prefix: 10.0.0.0/8, gate: g8, next-hop: nowhere }", "p.yaml:10:51: 'next-hop' must be an IP address (IPv4 as a dotted quad like 192.0.2.1, or IPv6), found 'nowhere'")]
    [InlineData("{ prefix: 10.0.0.0/8, gate: g8, next-hop-mac: \"ff:ff:ff:ff:ff:ff\" }", "p.yaml:10:41: invalid 'next-hop-mac': next-hop-mac must be a unicast MAC address (the low bit of the first byte clear), found 'ff:ff:ff:ff:ff:ff'")]
    [InlineData("{ prefix: 10.0.0.0/8, gate: g8 }\n      - { prefix: 10.0.0.0/8, gate: g16 }", "p.yaml:9:5: invalid 'routes': routes has prefix 10.0.0.0/8 twice")]
    public void Bad_YAML_is_reported_at_its_key(string route, string error)
    {
        var stage = $"\n    type: router\n    routes:\n      - {route}";
        Assert.False(PipelineLoader.TryParse(OneStage(stage, "s.g8 -> a"), "p.yaml", BuiltInStages.CreateRegistry(), out _, out var errors));

        Assert.Equal(error, Assert.Single(errors).ToString());
    }

    [Fact]
    public void Steady_state_allocates_nothing()
    {
        using var bench = new StageBench();
        var frames = new[]
        {
            Ipv4Frame("10.1.2.3"), Ipv4Frame("10.1.9.9"), Ipv4Frame("192.0.2.1"), Ipv6Frame("2001:db8:1:2::3"),
            Ipv6Frame("2001:db8:9::1"), Ipv4Frame("10.1.1.1", ttl: 1), Ipv4Frame("10.1.1.1")[..20],
        };
        var options = Table with { Mac = RouterMac };
        var stage = new Router(options);
        var context = Context(bench, "router", options);

        var allocated = AllocatedInSteadyState(() =>
        {
            bench.Recycle();
            for (var n = 0; n < 28; n++)
            {
                bench.Add(frames[n % frames.Length]);
            }

            bench.Run(stage, context);
        });

        Assert.Equal(0, allocated);
    }

    private static RouteOptions Route(string prefix) => new() { Prefix = prefix, Gate = "a" };

    private static string RouterYaml() => $$"""

            type: router
            mac: "{{RouterMac}}"
            routes:
              - { prefix: 10.0.0.0/8, gate: g8, next-hop: 10.0.0.1, next-hop-mac: "{{GatewayMac}}" }
              - { prefix: 10.1.0.0/16, gate: g16 }
              - { prefix: 10.1.2.0/24, gate: g24 }
              - { prefix: 10.1.2.3/32, gate: host }
              - { prefix: 0.0.0.0/0, gate: default }
              - { prefix: "2001:db8:1::/48", gate: g16 }
        """;

    private static byte[] Ipv4Frame(string destination, byte ttl = 64, ushort id = 1, int payload = 18) =>
        new PacketBuilder().Ethernet().Ipv4("192.0.2.99", destination, ttl, id).Udp(1000, 2000).Payload(payload).Build();

    private static byte[] Ipv6Frame(string destination, byte hopLimit = 64) =>
        new PacketBuilder().Ethernet().Ipv6("2001:db8:ff::1", destination, hopLimit).Udp(1000, 2000).Payload(18).Build();

    // Changes an IPv4 frame, then recomputes its header checksum (over 20 bytes) so that only the change is wrong.
    private static byte[] Patch(byte[] frame, Action<byte[]> change)
    {
        change(frame);
        WriteUInt16BigEndian(frame.AsSpan(L3 + 10), 0);
        WriteUInt16BigEndian(frame.AsSpan(L3 + 10), FullChecksum(frame.AsSpan(L3, 20)));
        return frame;
    }

    // The header's checksum computed from scratch, its checksum field taken as zero.
    private static ushort FullChecksum(ReadOnlySpan<byte> header)
    {
        var copy = header.ToArray();
        copy[10] = copy[11] = 0;
        return TestPackets.Checksum(copy);
    }

    /// <summary>One malformed frame, named.</summary>
    public sealed record MalformedCase(string Name, Func<byte[]> Frame)
    {
        public override string ToString() => Name;
    }
}
