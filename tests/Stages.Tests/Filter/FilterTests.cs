using Netmap.Io.Rings;
using Pipeline.Config;
using Pipeline.Stages;
using Stages.Filter;
using FilterStage = Stages.Filter.Filter;

namespace Stages.Tests.Filter;

public sealed class FilterTests
{
    private static readonly GateId Deny = new(1);

    public static TheoryData<VerdictCase> Verdicts => new()
    {
        new("no rules: everything passes", [], [], "udp4-dns", Allowed: true),
        new("no rules: even a non-IP frame passes", [], [], "raw", Allowed: true),
        new("deny only: a matching packet is denied", [], ["tcp dst 80"], "tcp4-web", Allowed: false),
        new("deny only: the rest passes (default allow)", [], ["tcp dst 80"], "udp4-dns", Allowed: true),
        new("allow: a matching packet passes", ["udp dst 53"], [], "udp4-dns", Allowed: true),
        new("allow: the rest is denied (default deny)", ["udp dst 53"], [], "tcp4-web", Allowed: false),
        new("allow: a non-IP frame is denied too", ["udp dst 53"], [], "raw", Allowed: false),
        new("deny rules come first", ["udp dst 53"], ["ip src 10.0.0.0/8"], "udp4-dns", Allowed: false),
        new("deny rules come first, whatever their order in the file", ["any"], ["vlan 100"], "vlan100-udp4", Allowed: false),
        new("an allow rule after a deny rule that does not match", ["udp dst 53"], ["ip src 10.0.0.0/8"], "udp6-dns", Allowed: true),
        new("allow any with a deny", ["any"], ["arp"], "arp", Allowed: false),
        new("allow any with a deny: the rest passes", ["any"], ["arp"], "icmp6", Allowed: true),
        new("several allow rules", ["arp", "icmp", "tcp dst 0-1023"], [], "qinq20-100-tcp4", Allowed: true),
        new("several allow rules, none matching", ["arp", "icmp", "tcp dst 0-1023"], [], "tcp4-high", Allowed: false),
    };

    [Theory]
    [MemberData(nameof(Verdicts))]
    public void Packet_is_allowed_or_denied_by_the_first_matching_rule(VerdictCase row)
    {
        using var bench = new StageBench();
        var frame = FilterFrames.All[row.Frame];
        var i = bench.Add(frame);
        var before = bench.Slot(i);
        var bufferBefore = bench.Buffer(i);
        var stage = new FilterStage(row.Options);

        // The deny gate unconnected: denied packets are dropped.
        var dropping = bench.Context("filter", [true, false]);
        bench.Run(stage, dropping);
        if (row.Allowed)
        {
            StageBench.AssertGate(dropping, i, GateId.Out);
        }
        else
        {
            StageBench.AssertDropped(dropping, i, DropReason.Denied);
        }

        // The deny gate connected: denied packets leave by it.
        var diverting = bench.Context("filter", [true, true]);
        bench.Run(stage, diverting);
        StageBench.AssertGate(diverting, i, row.Allowed ? GateId.Out : Deny);

        // The filter only reads.
        Assert.Equal(before, bench.Slot(i));
        Assert.Equal(bufferBefore, bench.Buffer(i));
        Assert.Equal(frame, bench.Data(i));
    }

    [Fact]
    public void Each_packet_of_a_batch_gets_its_own_verdict()
    {
        using var bench = new StageBench();
        var stage = new FilterStage(new FilterOptions { Allow = ["udp dst 53", "arp"], Deny = ["ip src 10.66.0.0/16"] });
        var dns = bench.Add(FilterFrames.All["udp4-dns"]);
        var web = bench.Add(FilterFrames.All["tcp4-web"]);
        var arp = bench.Add(FilterFrames.All["arp"]);
        var blocked = bench.Add(new Pipeline.Testing.PacketBuilder().Ethernet().Ipv4("10.66.1.1", "192.0.2.53").Udp(1234, 53).Build());
        var dns6 = bench.Add(FilterFrames.All["udp6-dns"]);
        var context = bench.Context("filter", [true, true]);

        bench.Run(stage, context);

        StageBench.AssertGate(context, dns, GateId.Out);
        StageBench.AssertGate(context, web, Deny);
        StageBench.AssertGate(context, arp, GateId.Out);
        StageBench.AssertGate(context, blocked, Deny);
        StageBench.AssertGate(context, dns6, GateId.Out);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(13)]
    public void Frame_shorter_than_an_Ethernet_header_is_dropped_as_malformed(int length)
    {
        using var bench = new StageBench();
        var frame = FilterFrames.All["udp4-dns"];
        var shortOne = bench.Add(frame.AsSpan(0, length));
        var good = bench.Add(frame);
        var before = bench.Slot(shortOne);
        var context = bench.Context("filter", [true, true]);

        bench.Run(new FilterStage(new FilterOptions { Allow = ["any"] }), context);

        StageBench.AssertDropped(context, shortOne, DropReason.Malformed);
        Assert.Equal(before, bench.Slot(shortOne));
        StageBench.AssertGate(context, good, GateId.Out);
    }

    [Fact]
    public void Truncated_header_matches_no_term_that_needs_it()
    {
        // 36 bytes: the IPv4 header and half of the TCP ports.
        using var bench = new StageBench();
        var truncated = FilterFrames.All["tcp4-web"].AsSpan(0, 36);
        var denyWeb = bench.Add(truncated);
        var allowWeb = bench.Add(truncated);
        var denyOnly = new FilterStage(new FilterOptions { Deny = ["tcp dst 80"] });
        var allowOnly = new FilterStage(new FilterOptions { Allow = ["tcp dst 80"] });

        var first = bench.Context("filter", [true, true]);
        bench.Run(denyOnly, first);
        StageBench.AssertGate(first, denyWeb, GateId.Out);

        var second = bench.Context("filter", [true, true]);
        bench.Run(allowOnly, second);
        StageBench.AssertGate(second, allowWeb, Deny);
    }

    [Fact]
    public void Multi_slot_packet_is_judged_by_its_first_slot()
    {
        using var bench = new StageBench();
        var frame = FilterFrames.All["tcp4-web"];
        var first = bench.Add(frame.AsSpan(0, 40), flags: SlotFlags.MoreFrag);
        var rest = bench.Add(frame.AsSpan(40)); // shorter than a header, but not a packet of its own
        var next = bench.Add(FilterFrames.All["udp4-dns"]);
        var context = bench.Context("filter", [true, false]);

        bench.Run(new FilterStage(new FilterOptions { Deny = ["tcp dst 80"] }), context);

        StageBench.AssertDropped(context, first, DropReason.Denied);
        StageBench.AssertGate(context, rest, GateId.Out); // untouched: the first slot's verdict covers the packet
        StageBench.AssertGate(context, next, GateId.Out);
    }

    [Fact]
    public void Bad_rule_in_the_options_throws_naming_the_rule_and_the_word()
    {
        var allow = Assert.Throws<ArgumentException>(() => new FilterOptions { Allow = ["udp", "udp dst 99999"] });
        var deny = Assert.Throws<ArgumentException>(() => new FilterOptions { Deny = ["tcp dts 80"] });

        Assert.Equal("rule 'udp dst 99999': port 99999 is out of range (0-65535)", allow.Message);
        Assert.StartsWith("rule 'tcp dts 80': unknown word 'dts'", deny.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_default_to_no_rules_and_compare_by_their_rules()
    {
        var options = new FilterOptions();

        Assert.Empty(options.Allow);
        Assert.Empty(options.Deny);
        Assert.Equal(new FilterOptions { Allow = ["arp"], Deny = ["tcp"] }, new FilterOptions { Allow = ["arp"], Deny = ["tcp"] });
        Assert.Equal(new FilterOptions { Allow = ["arp"] }.GetHashCode(), new FilterOptions { Allow = ["arp"] }.GetHashCode());
        Assert.NotEqual(new FilterOptions { Allow = ["arp"] }, new FilterOptions { Deny = ["arp"] });
    }

    [Fact]
    public void Options_print_their_rules()
    {
        var options = new FilterOptions { Allow = ["udp dst 53", "arp"], Deny = ["vlan 5"] };

        Assert.Equal("FilterOptions { Allow = [udp dst 53, arp], Deny = [vlan 5] }", options.ToString());
    }

    [Fact]
    public void Options_keep_a_copy_of_the_rules()
    {
        string[] rules = ["udp dst 53"];
        var options = new FilterOptions { Allow = rules };

        rules[0] = "tcp dst 99999";

        Assert.Equal(["udp dst 53"], options.Allow);
    }

    [Fact]
    public void YAML_keys_bind_to_the_options()
    {
        var yaml = """
            name: t
            ports:
              a: { spec: "null" }
            stages:
              fw:
                type: filter
                allow:
                  - udp dst 53
                  - tcp dst 80
                deny: ["ip src 10.0.0.0/8", "vlan 5"]
            pipes:
              - a -> fw -> drop
              - fw.deny -> drop
            """;

        var definition = PipelineLoader.Parse(yaml, "p.yaml", BuiltInStages.CreateRegistry());

        var stage = Assert.Single(definition.Stages);
        Assert.Equal(typeof(FilterStage), stage.Descriptor.StageType);
        Assert.Equal(["out", "deny"], stage.Gates);
        Assert.Equal(new FilterOptions { Allow = ["udp dst 53", "tcp dst 80"], Deny = ["ip src 10.0.0.0/8", "vlan 5"] }, stage.Options);
    }

    [Theory]
    [InlineData("{ type: filter, allow: [\"udp dst 99999\"] }", "p.yaml:5:23: invalid 'allow': rule 'udp dst 99999': port 99999 is out of range (0-65535)")]
    [InlineData("{ type: filter, deny: [\"tcp\", \"ip src 10.1.2.3/8\"] }", "p.yaml:5:23: invalid 'deny': rule 'ip src 10.1.2.3/8': '10.1.2.3/8' has bits set past its /8 (the network is 10.0.0.0/8)")]
    [InlineData("{ type: filter, allow: \"udp\" }", "p.yaml:5:30: 'allow' must be a list, found 'udp'")]
    public void Bad_YAML_value_is_reported_at_its_key(string stage, string error)
    {
        Assert.False(PipelineLoader.TryParse(Pipeline(stage), "p.yaml", BuiltInStages.CreateRegistry(), out _, out var errors));

        Assert.Equal(error, Assert.Single(errors).ToString());
    }

    [Fact]
    public void Steady_state_allocates_nothing()
    {
        using var bench = new StageBench();
        var frames = new[] { FilterFrames.All["udp4-dns"], FilterFrames.All["tcp6-https"], FilterFrames.All["qinq20-100-tcp4"], FilterFrames.All["arp"] };
        var stage = new FilterStage(new FilterOptions { Allow = ["udp dst 53", "tcp dst 443", "arp"], Deny = ["vlan 20"] });
        var dropping = bench.Context("filter", [true, false]);
        var diverting = bench.Context("filter", [true, true]);

        var n = 0; // alternates the two contexts, call by call
        Assert.Equal(0, SteadyState.BytesPerBatch(() => OneBatch(bench, stage, n++ % 2 == 0 ? dropping : diverting, frames)));

        // 28 packets of four kinds (allowed, denied by rule, denied by default), one too short.
        static void OneBatch(StageBench bench, FilterStage stage, StageContext context, byte[][] frames)
        {
            bench.Recycle();
            for (var i = 0; i < 28; i++)
            {
                bench.Add(frames[i % frames.Length]);
            }

            bench.Add(FilterFrames.All["tcp4-web"]);
            bench.Add(frames[0].AsSpan(0, 10));
            bench.Run(stage, context);
        }
    }

    private static string Pipeline(string stage) => $$"""
        name: t
        ports:
          a: { spec: "null" }
        stages:
          fw: {{stage}}
        pipes:
          - a -> fw -> drop
        """;

    /// <summary>One row: the filter's rules, a catalogue frame, and whether it passes.</summary>
    public sealed record VerdictCase(string Name, string[] Allow, string[] Deny, string Frame, bool Allowed)
    {
        public FilterOptions Options => new() { Allow = Allow, Deny = Deny };

        public override string ToString() => Name;
    }
}
