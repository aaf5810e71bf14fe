using Netmap.Io.Rings;
using Pipeline.Config;
using Pipeline.Stages;
using Stages.Filter;

namespace Stages.Tests.Filter;

public sealed class ClassifyTests
{
    private static readonly ClassifyOptions Services = new()
    {
        Rules =
        [
            new ClassifyRule { Match = "udp dst 53", Gate = "dns" },
            new ClassifyRule { Match = "udp", Gate = "other-udp" },
            new ClassifyRule { Match = "tcp dst 80", Gate = "web" },
            new ClassifyRule { Match = "tcp dst 443", Gate = "web" },
            new ClassifyRule { Match = "vlan 20", Gate = "trunk_20" },
        ],
    };

    [Fact]
    public void Gates_are_out_then_each_rule_gate_once_in_order()
    {
        Assert.True(BuiltInStages.CreateRegistry().TryGet("classify", out var descriptor));

        Assert.True(descriptor.GatesFromOptions);
        Assert.Equal(["out", "dns", "other-udp", "web", "trunk_20"], descriptor.GatesFor(Services));
        Assert.Equal(["out", "x"], descriptor.GatesFor(new ClassifyOptions { Rules = [new ClassifyRule { Match = "any", Gate = "x" }] }));
        Assert.Equal(["out"], descriptor.GatesFor(new ClassifyOptions { Rules = [new ClassifyRule { Match = "arp", Gate = "out" }] }));
        Assert.Equal(["out"], descriptor.GatesFor(new ClassifyOptions { Rules = [] }));
    }

    public static TheoryData<string, string> Routes => new()
    {
        { "udp4-dns", "dns" },
        { "udp6-dns", "dns" },
        { "vlan100-udp4", "dns" },
        { "tcp4-web", "web" },
        { "tcp6-https", "web" },
        { "qinq20-100-tcp4", "trunk_20" },
        { "tcp4-high", "out" },
        { "icmp4", "out" },
        { "icmp6", "out" },
        { "arp", "out" },
        { "raw", "out" },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public void Packet_leaves_by_the_gate_of_the_first_rule_it_matches(string frameName, string gate)
    {
        using var bench = new StageBench();
        var frame = FilterFrames.All[frameName];
        var i = bench.Add(frame);
        var before = bench.Slot(i);
        var bufferBefore = bench.Buffer(i);
        var context = Context(bench, Services);

        bench.Run(new Classify(Services), context);

        StageBench.AssertGate(context, i, context.Gate(gate));
        Assert.Equal(before, bench.Slot(i));
        Assert.Equal(bufferBefore, bench.Buffer(i));
    }

    [Fact]
    public void Earlier_rule_wins_over_a_later_one_that_also_matches()
    {
        using var bench = new StageBench();
        var options = new ClassifyOptions
        {
            Rules =
            [
                new ClassifyRule { Match = "udp", Gate = "any-udp" },
                new ClassifyRule { Match = "udp dst 53", Gate = "dns" },
                new ClassifyRule { Match = "arp", Gate = "out" },
                new ClassifyRule { Match = "any", Gate = "rest" },
            ],
        };
        var dns = bench.Add(FilterFrames.All["udp4-dns"]);
        var arp = bench.Add(FilterFrames.All["arp"]);
        var icmp = bench.Add(FilterFrames.All["icmp4"]);
        var context = Context(bench, options);

        bench.Run(new Classify(options), context);

        Assert.Equal(["out", "any-udp", "dns", "rest"], context.Gates);
        StageBench.AssertGate(context, dns, context.Gate("any-udp"));
        StageBench.AssertGate(context, arp, GateId.Out);
        StageBench.AssertGate(context, icmp, context.Gate("rest"));
    }

    [Fact]
    public void Gates_are_looked_up_again_for_a_new_context()
    {
        using var bench = new StageBench();
        var stage = new Classify(Services);
        var i = bench.Add(FilterFrames.All["tcp4-web"]);
        var first = Context(bench, Services);
        bench.Run(stage, first);
        StageBench.AssertGate(first, i, first.Gate("web"));

        var second = new StageContext("classify", ["out", "trunk_20", "web", "other-udp", "dns"], bench.Arena, bench.Pool.Capacity);
        bench.Run(stage, second);

        StageBench.AssertGate(second, i, new GateId(2));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(13)]
    public void Frame_shorter_than_an_Ethernet_header_is_dropped_as_malformed(int length)
    {
        using var bench = new StageBench();
        var shortOne = bench.Add(FilterFrames.All["udp4-dns"].AsSpan(0, length));
        var good = bench.Add(FilterFrames.All["udp4-dns"]);
        var context = Context(bench, Services);

        bench.Run(new Classify(Services), context);

        StageBench.AssertDropped(context, shortOne, DropReason.Malformed);
        StageBench.AssertGate(context, good, context.Gate("dns"));
    }

    [Fact]
    public void Multi_slot_packet_is_classified_by_its_first_slot()
    {
        using var bench = new StageBench();
        var frame = FilterFrames.All["tcp4-web"];
        var first = bench.Add(frame.AsSpan(0, 40), flags: SlotFlags.MoreFrag);
        var rest = bench.Add(frame.AsSpan(40));
        var context = Context(bench, Services);

        bench.Run(new Classify(Services), context);

        StageBench.AssertGate(context, first, context.Gate("web"));
        StageBench.AssertGate(context, rest, GateId.Out); // untouched: the first slot's verdict covers the packet
    }

    [Theory]
    [InlineData("tcp dst 99999", "web", "rule 'tcp dst 99999': port 99999 is out of range (0-65535)")]
    [InlineData("tcp", "a.b", "gate 'a.b' is not a gate name: use letters, digits, '_' and '-'")]
    [InlineData("tcp", "", "gate '' is not a gate name: use letters, digits, '_' and '-'")]
    public void Bad_rule_throws_naming_the_problem(string match, string gate, string message)
    {
        var ex = Assert.Throws<ArgumentException>(() => new ClassifyRule { Match = match, Gate = gate });

        Assert.Equal(message, ex.Message);
    }

    [Fact]
    public void Options_compare_by_their_rules()
    {
        ClassifyOptions Make() => new() { Rules = [new ClassifyRule { Match = "arp", Gate = "a" }, new ClassifyRule { Match = "any", Gate = "b" }] };

        Assert.Equal(Make(), Make());
        Assert.Equal(Make().GetHashCode(), Make().GetHashCode());
        Assert.NotEqual(Make(), new ClassifyOptions { Rules = [new ClassifyRule { Match = "arp", Gate = "a" }] });
    }

    [Fact]
    public void Options_print_their_rules()
    {
        var options = new ClassifyOptions { Rules = [new ClassifyRule { Match = "udp dst 53", Gate = "dns" }] };

        Assert.Equal("ClassifyOptions { Rules = [ClassifyRule { Match = udp dst 53, Gate = dns }] }", options.ToString());
    }

    [Fact]
    public void YAML_keys_bind_to_the_options_and_pipes_use_the_rule_gates()
    {
        var yaml = """
            name: t
            ports:
              a: { spec: "null" }
            stages:
              split:
                type: classify
                rules:
                  - { match: "udp dst 53", gate: dns }
                  - match: tcp dst 80
                    gate: web
                  - { match: "tcp dst 443", gate: web }
            pipes:
              - a -> split -> drop
              - split.dns -> drop
              - split.web -> drop
            """;

        var definition = PipelineLoader.Parse(yaml, "p.yaml", BuiltInStages.CreateRegistry());

        var stage = Assert.Single(definition.Stages);
        Assert.Equal(typeof(Classify), stage.Descriptor.StageType);
        Assert.Equal(["out", "dns", "web"], stage.Gates);
        var expected = new ClassifyOptions
        {
            Rules =
            [
                new ClassifyRule { Match = "udp dst 53", Gate = "dns" },
                new ClassifyRule { Match = "tcp dst 80", Gate = "web" },
                new ClassifyRule { Match = "tcp dst 443", Gate = "web" },
            ],
        };
        Assert.Equal(expected, stage.Options);
    }

    [Theory]
    [InlineData("{ type: classify, rules: [{ match: \"udp dst 99999\", gate: dns }] }", "", "p.yaml:5:38: invalid 'match': rule 'udp dst 99999': port 99999 is out of range (0-65535)")]
    [InlineData("{ type: classify, rules: [{ match: \"udp\", gate: \"a b\" }] }", "", "p.yaml:5:52: invalid 'gate': gate 'a b' is not a gate name: use letters, digits, '_' and '-'")]
    [InlineData("{ type: classify, rules: [{ match: \"udp\" }] }", "", "p.yaml:5:36: 'rules' item is missing required key 'gate'")]
    [InlineData("{ type: classify }", "", "p.yaml:5:3: stage 'split' is missing required key 'rules'")]
    [InlineData("{ type: classify, rules: [{ match: udp, gate: dns }] }", "  - split.web -> drop", "p.yaml:8:5: stage 'split' has no gate 'web' (gates: out, dns)")]
    public void Bad_YAML_value_is_reported_at_its_key(string stage, string pipe, string error)
    {
        Assert.False(PipelineLoader.TryParse(Pipeline(stage, pipe), "p.yaml", BuiltInStages.CreateRegistry(), out _, out var errors));

        Assert.Equal(error, Assert.Single(errors).ToString());
    }

    [Fact]
    public void Steady_state_allocates_nothing()
    {
        using var bench = new StageBench();
        var frames = new[] { FilterFrames.All["udp4-dns"], FilterFrames.All["tcp6-https"], FilterFrames.All["qinq20-100-tcp4"], FilterFrames.All["arp"] };
        var stage = new Classify(Services);
        var context = Context(bench, Services);

        Assert.Equal(0, SteadyState.BytesPerBatch(() => OneBatch(bench, stage, context, frames)));

        static void OneBatch(StageBench bench, Classify stage, StageContext context, byte[][] frames)
        {
            bench.Recycle();
            for (var i = 0; i < 29; i++)
            {
                bench.Add(frames[i % frames.Length]);
            }

            bench.Add(frames[0].AsSpan(0, 10));
            bench.Run(stage, context);
        }
    }

    // A context with the gates the options name, as the runtime builds it.
    private static StageContext Context(StageBench bench, ClassifyOptions options)
    {
        Assert.True(BuiltInStages.CreateRegistry().TryGet("classify", out var descriptor));
        return new StageContext("classify", descriptor.GatesFor(options), bench.Arena, bench.Pool.Capacity);
    }

    private static string Pipeline(string stage, string pipe) => $$"""
        name: t
        ports:
          a: { spec: "null" }
        stages:
          split: {{stage}}
        pipes:
          - a -> split -> drop
        {{pipe}}
        """;
}
