using System.Net;
using Netmap.Io.Files;
using Netmap.Io.Ports;
using Pipeline.Config;
using Pipeline.Runtime;
using Pipeline.Stages;

namespace Pipeline.Tests.Config;

public sealed class PipelineLoaderTests
{
    private const string File = "p.yaml";
    private const string Base = "/base";

    // ---- Happy path ---------------------------------------------------------------------------------

    [Fact]
    public void A_valid_file_yields_ports_stages_with_bound_options_edges_and_memory()
    {
        const string yaml = """
            name: vlan-gateway
            memory: { buffers: 4096, buffer-size: 4096, headroom: 64, batch-size: 32, window: 2 }
            ports:
              wan: { spec: "netmap:pipe{1" }
              lan: { spec: "netmap:pipe}2" }
              sink: { spec: "null" }
            stages:
              tag: { type: tag, vid: 100, names: [a, b] }
              acl: { type: filter }
            pipes:
              - wan -> tag -> acl -> lan
              - acl.deny -> drop
              - lan -> sink
            """;

        var definition = PipelineLoader.Parse(yaml, File, Registry());

        Assert.Equal("vlan-gateway", definition.Name);
        Assert.Equal(File, definition.File);
        Assert.Equal(new MemoryDefinition { Buffers = 4096, BufferSize = 4096, Headroom = 64, BatchSize = 32, Window = 2 }, definition.Memory);

        Assert.Equal(["wan", "lan", "sink"], definition.Ports.Select(p => p.Name));
        Assert.Equal(new SourceSpan(File, 4, 3), definition.Ports[0].Where);
        Assert.Equal("netmap:pipe{1", definition.Ports[0].Spec.Spec);
        Assert.True(definition.Ports[0].Spec.IsPipeMaster);
        Assert.False(definition.Ports[1].Spec.IsPipeMaster);
        Assert.Equal(PortPrefix.Null, definition.Ports[2].Spec.Prefix);

        Assert.Equal(["tag", "acl"], definition.Stages.Select(s => s.Name));
        var tag = definition.Stages[0];
        Assert.Equal(new SourceSpan(File, 8, 3), tag.Where);
        Assert.Same(typeof(TagStage), tag.Descriptor.StageType);
        var options = Assert.IsType<TagOptions>(tag.Options);
        Assert.Equal(100, options.Vid);
        Assert.Equal(["a", "b"], options.Names);
        Assert.Same(typeof(FilterStage), definition.Stages[1].Descriptor.StageType);
        Assert.Null(definition.Stages[1].Options);

        Assert.Equal(
            [
                new EdgeDefinition("wan", NodeKind.Port, "out", "tag", NodeKind.Stage, new SourceSpan(File, 11, 5)),
                new EdgeDefinition("tag", NodeKind.Stage, "out", "acl", NodeKind.Stage, new SourceSpan(File, 11, 12)),
                new EdgeDefinition("acl", NodeKind.Stage, "out", "lan", NodeKind.Port, new SourceSpan(File, 11, 19)),
                new EdgeDefinition("acl", NodeKind.Stage, "deny", "drop", NodeKind.Drop, new SourceSpan(File, 12, 5)),
                new EdgeDefinition("lan", NodeKind.Port, "out", "sink", NodeKind.Port, new SourceSpan(File, 13, 5)),
            ],
            definition.Edges);
    }

    [Fact]
    public void Memory_takes_its_defaults_when_the_section_is_left_out()
    {
        var definition = PipelineLoader.Parse("name: p\nports: { a: { spec: \"null\" } }\npipes: [ \"a -> drop\" ]", File, Registry());

        Assert.Equal(new MemoryDefinition(), definition.Memory);
        Assert.Single(definition.Ports);
        Assert.Empty(definition.Stages);
        Assert.Single(definition.Edges);
    }

    [Theory]
    [InlineData("name: p", "p.yaml:1:1: a pipeline needs at least one port (under 'ports:'): packets enter and leave through ports")]
    [InlineData("name: p\nports: {}", "p.yaml:2:1: a pipeline needs at least one port (under 'ports:'): packets enter and leave through ports")]
    [InlineData("name: \"\"\nports: { a: { spec: \"null\" } }\npipes: [ \"a -> drop\" ]", "p.yaml:1:7: 'name' must be a string, found ''")]
    public void A_pipeline_without_ports_or_a_name_is_refused(string yaml, string error)
    {
        Assert.False(PipelineLoader.TryParse(yaml, File, Registry(), out _, out var errors));

        Assert.Equal(error, Assert.Single(errors).ToString());
    }

    [Fact]
    public void A_merge_key_says_it_is_not_supported_and_what_works_instead()
    {
        const string yaml = """
            name: p
            ports:
              a: &base { spec: "null" }
              b: { <<: *base }
            pipes:
              - a -> b
            """;

        Assert.False(PipelineLoader.TryParse(yaml, File, Registry(), out _, out var errors));

        Assert.Contains("p.yaml:4:8: '<<' (YAML's merge key) is not supported in a pipeline file: write the keys out (an alias of a whole value, *name, works)", errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_refused_before_the_parser_recurses_into_it()
    {
        var flow = "name: p\nports: " + new string('[', 50_000) + new string(']', 50_000) + "\n";
        var block = "name: p\nports:\n" + string.Concat(Enumerable.Range(1, 300).Select(i => new string(' ', 2 * i) + "k:\n"));

        Assert.False(PipelineLoader.TryParse(flow, File, Registry(), out _, out var flowErrors));
        Assert.False(PipelineLoader.TryParse(block, File, Registry(), out _, out var blockErrors));

        Assert.Equal($"p.yaml:2:{8 + PipelineLoader.MaxDepth}: nesting deeper than 256 levels: not a pipeline file", Assert.Single(flowErrors).ToString());
        Assert.Matches(@"^p\.yaml:\d+:\d+: nesting deeper than 256 levels: not a pipeline file$", Assert.Single(blockErrors).ToString());
    }

    [Theory]
    [InlineData("name: p\nports:\n  a: { spec: \"null\" }\n\tb: 1\n", "p.yaml:4:1: invalid YAML: While scanning a mapping, found invalid tab as indentation.")]
    [InlineData("name: p\nports:\n  a: { spec: \"null\" }\npipes:\n  - a -> drop\n  - *nope\n", "p.yaml:6:5: invalid YAML: The anchor 'nope' does not exists")]
    public void Syntax_errors_without_a_position_from_the_parser_are_placed_where_the_text_shows_them(string yaml, string error)
    {
        Assert.False(PipelineLoader.TryParse(yaml, File, Registry(), out _, out var errors));

        Assert.Equal(error, Assert.Single(errors).ToString());
    }

    [Fact]
    public void A_gate_written_on_a_destination_is_its_output_for_the_next_arrow()
    {
        const string yaml = """
            name: p
            ports:
              a: { spec: "null" }
              b: { spec: "netmap:pipe{1" }
            stages:
              acl: { type: filter }
            pipes:
              - a -> acl.deny -> b
            """;

        var definition = PipelineLoader.Parse(yaml, File, Registry());

        Assert.Equal(
            [
                new EdgeDefinition("a", NodeKind.Port, "out", "acl", NodeKind.Stage, new SourceSpan(File, 8, 5)),
                new EdgeDefinition("acl", NodeKind.Stage, "deny", "b", NodeKind.Port, new SourceSpan(File, 8, 10)),
            ],
            definition.Edges);
    }

    [Fact]
    public void Options_of_every_supported_kind_are_bound()
    {
        const string yaml = """
            name: p
            ports:
              a: { spec: "null" }
            stages:
              s:
                type: shaper
                rate: 0x10
                mode: strict-priority
                strict: true
                burst: 65535
                queues: [1, -2, 3]
                peer: 192.0.2.1
                note:
                limits: { max: 9 }
              p: { type: policer, rate: 5 }
            pipes:
              - a -> s -> p -> drop
            """;

        var definition = PipelineLoader.Parse(yaml, File, Registry());

        var shaper = Assert.IsType<ShaperOptions>(definition.Stages[0].Options);
        Assert.Equal(16, shaper.Rate);
        Assert.Equal(ShaperMode.StrictPriority, shaper.Mode);
        Assert.True(shaper.Strict);
        Assert.Equal((ushort)65535, shaper.Burst);
        Assert.Equal([1, -2, 3], shaper.Queues);
        Assert.Equal(IPAddress.Parse("192.0.2.1"), shaper.Peer);
        Assert.Null(shaper.Note);
        Assert.Equal(new ShaperLimits { Max = 9 }, shaper.Limits);
        var policer = Assert.IsType<PolicerOptions>(definition.Stages[1].Options);
        Assert.Equal(5, policer.Rate);
        Assert.Equal(10, policer.Burst);
    }

    // ---- Document and top level ---------------------------------------------------------------------

    [Fact]
    public void Unknown_top_level_key_is_reported_at_the_key()
    {
        const string yaml = """
            name: p
            colour: red
            """;

        Assert.Equal(
            "p.yaml:2:1: unknown key 'colour' (expected one of: name, memory, runtime, plugins, nodes, ports, stages, pipes)",
            SingleError(yaml));
    }

    [Fact]
    public void A_missing_name_is_reported_at_the_top_mapping()
    {
        Assert.Equal("p.yaml:1:1: missing required key 'name'", SingleError("ports: {}"));
    }

    [Fact]
    public void A_name_that_is_not_a_string_is_reported_at_the_value()
    {
        Assert.Equal("p.yaml:1:7: 'name' must be a string, found a list", SingleError("name: [a]"));
    }

    [Fact]
    public void A_file_that_is_not_a_mapping_is_reported_at_its_start()
    {
        Assert.Equal(
            "p.yaml:1:1: a pipeline file is a mapping with the keys name, memory, runtime, plugins, nodes, ports, stages, pipes: found a list",
            SingleError("- a"));
    }

    [Fact]
    public void An_empty_file_is_reported_at_its_first_line()
    {
        Assert.Equal(
            "p.yaml:1:1: the file is empty: expected a mapping with 'name', 'ports', 'stages' and 'pipes'",
            SingleError("# nothing here\n"));
    }

    [Fact]
    public void A_yaml_syntax_error_is_one_error_at_the_parser_mark()
    {
        const string yaml = """
            name: p
            ports:
              a: { spec: "null }
            """;

        Assert.Equal("p.yaml:3:14: invalid YAML: While scanning a quoted scalar, found unexpected end of stream.", SingleError(yaml));
    }

    [Fact]
    public void A_yaml_syntax_error_stops_the_loader_with_one_error()
    {
        const string yaml = """
            name: p
            ports: a: b
            colour: red
            """;

        Assert.Equal("p.yaml:2:9: invalid YAML: While scanning a plain scalar value, found invalid mapping.", SingleError(yaml));
    }

    [Fact]
    public void An_unclosed_flow_list_is_one_error()
    {
        const string yaml = """
            name: p
            plugins: [a, b
            ports: {}
            """;

        Assert.Equal("p.yaml:2:11: invalid YAML: cannot parse past this point (is a '[' or '{' left open?)", SingleError(yaml));
    }

    [Fact]
    public void A_duplicate_key_is_reported_at_its_second_occurrence()
    {
        const string yaml = """
            name: p
            name: q
            """;

        Assert.Equal("p.yaml:2:1: duplicate key 'name'", SingleError(yaml));
    }

    // ---- Memory -------------------------------------------------------------------------------------

    [Fact]
    public void Memory_values_out_of_range_are_each_reported_at_the_value()
    {
        const string yaml = """
            name: p
            memory:
              buffers: 2
              buffer-size: abc
              batch-size: 0
              window: 2000
              pool: 1
            """;

        Assert.Equal(
            [
                "p.yaml:3:12: 'buffers' must be an integer from 3 to 16777216, found '2'",
                "p.yaml:4:16: 'buffer-size' must be an integer from 64 to 65535, found 'abc'",
                "p.yaml:5:15: 'batch-size' must be an integer from 1 to 4096, found '0'",
                "p.yaml:6:11: 'window' must be an integer from 1 to 1024, found '2000'",
                "p.yaml:7:3: unknown key 'pool' (expected one of: buffers, buffer-size, headroom, batch-size, window)",
            ],
            Errors(yaml));
    }

    [Fact]
    public void Headroom_must_leave_64_bytes_of_the_buffer()
    {
        Assert.Equal(
            "p.yaml:2:39: 'headroom' must be an integer from 0 to 192 (buffer-size - 64), found '200'",
            SingleError("name: p\nmemory: { buffer-size: 256, headroom: 200 }"));
    }

    // ---- Ports --------------------------------------------------------------------------------------

    [Theory]
    [InlineData("space", "\"w an\"", "p.yaml:3:3: invalid port name 'w an': use letters, digits, '_' and '-'")]
    [InlineData("dot", "a.b", "p.yaml:3:3: invalid port name 'a.b': use letters, digits, '_' and '-'")]
    [InlineData("drop", "drop", "p.yaml:3:3: 'drop' is the built-in sink and cannot name a port")]
    public void A_bad_port_name_is_reported_at_the_name(string row, string name, string expected)
    {
        _ = row;
        var yaml = $"name: p\nports:\n  {name}: {{ spec: \"null\" }}";

        Assert.Equal(expected, SingleError(yaml));
    }

    [Fact]
    public void A_port_without_a_spec_and_with_an_unknown_key_gets_both_errors()
    {
        const string yaml = """
            name: p
            ports:
              a: { rings: 4 }
            pipes:
              - a -> drop
            """;

        Assert.Equal(
            [
                "p.yaml:3:3: port 'a' needs a 'spec'",
                "p.yaml:3:8: unknown key 'rings' (expected one of: spec, overflow, pace, loop, speed, thread, sync, node, netns)",
            ],
            Errors(yaml));
    }

    [Theory]
    [InlineData("double quoted", "\"netmap:eth0/q\"", 27)]
    [InlineData("single quoted", "'netmap:eth0/q'", 27)]
    [InlineData("plain", "netmap:eth0/q", 26)]
    public void A_bad_port_spec_points_at_the_offending_character(string row, string spec, int column)
    {
        _ = row;
        var yaml = $"name: p\nports:\n  a: {{ spec: {spec} }}\npipes:\n  - a -> drop";

        Assert.Equal(
            $"p.yaml:3:{column}: invalid port spec 'netmap:eth0/q': unknown flag 'q' at position 12",
            SingleError(yaml));
    }

    [Fact]
    public void A_port_overflow_policy_is_read_and_a_bad_one_is_reported_at_the_value()
    {
        const string good = """
            name: p
            ports:
              a: { spec: "netmap:p}0", overflow: drop }
              b: { spec: "netmap:p{1" }
            pipes:
              - a -> b
            """;
        var definition = PipelineLoader.Parse(good, File, Registry(), Base);
        Assert.Equal(PortOverflow.Drop, definition.Ports[0].Overflow);
        Assert.Equal(PortOverflow.Wait, definition.Ports[1].Overflow);

        const string bad = """
            name: p
            ports:
              a: { spec: "netmap:p}0", overflow: spill }
            pipes:
              - a -> drop
            """;
        Assert.Equal("p.yaml:3:38: 'overflow' must be one of [wait, drop], found 'spill'", SingleError(bad));
    }

    [Fact]
    public void A_pcap_source_reads_pace_loop_and_speed_and_takes_the_defaults_for_the_rest()
    {
        const string yaml = """
            name: p
            ports:
              a: { spec: "pcap:in.pcap", pace: recorded, loop: 0, speed: 2.5 }
              b: { spec: "pcap:in.pcap", loop: 3 }
              c: { spec: "pcap:in.pcap", pace: fast, speed: 1e-1 }
              d: { spec: "pcap:in.pcap" }
              e: { spec: "pcap-out:out.pcap" }
            pipes:
              - a -> e
              - b -> drop
              - c -> drop
              - d -> drop
            """;

        var definition = PipelineLoader.Parse(yaml, File, Registry(), Base);

        Assert.Equal(new PcapOptions { Pace = PcapPace.Recorded, Loop = 0, Speed = 2.5 }, definition.Ports[0].Pcap);
        Assert.Equal(new PcapOptions { Pace = PcapPace.Fast, Loop = 3, Speed = 1.0 }, definition.Ports[1].Pcap);
        Assert.Equal(new PcapOptions { Pace = PcapPace.Fast, Loop = 1, Speed = 0.1 }, definition.Ports[2].Pcap);
        Assert.Null(definition.Ports[3].Pcap); // none given: the port's defaults
        Assert.Null(definition.Ports[4].Pcap);
    }

    [Fact]
    public void Bad_pcap_replay_options_are_each_reported_at_the_value()
    {
        const string yaml = """
            name: p
            ports:
              a: { spec: "pcap:in.pcap", pace: slow, loop: -1, speed: 0 }
            pipes:
              - a -> drop
            """;

        Assert.Equal(
            [
                "p.yaml:3:36: 'pace' must be one of [fast, recorded], found 'slow'",
                "p.yaml:3:48: 'loop' must be an integer from 0 to 2147483647, found '-1'",
                "p.yaml:3:59: 'speed' must be a number greater than 0, found '0'",
            ],
            Errors(yaml));
    }

    [Theory]
    [InlineData("pace", "Recorded", "3:36: 'pace' must be one of [fast, recorded], found 'Recorded'")]
    [InlineData("pace", "[fast]", "3:36: 'pace' must be one of [fast, recorded], found a list")]
    [InlineData("pace", "", "3:30: 'pace' must be one of [fast, recorded], found nothing")]
    [InlineData("loop", "x", "3:36: 'loop' must be an integer from 0 to 2147483647, found 'x'")]
    [InlineData("loop", "1.5", "3:36: 'loop' must be an integer from 0 to 2147483647, found '1.5'")]
    [InlineData("loop", "2147483648", "3:36: 'loop' must be an integer from 0 to 2147483647, found '2147483648'")]
    [InlineData("loop", "", "3:30: 'loop' must be an integer from 0 to 2147483647, found nothing")]
    [InlineData("speed", "-1", "3:37: 'speed' must be a number greater than 0, found '-1'")]
    [InlineData("speed", "fast", "3:37: 'speed' must be a number greater than 0, found 'fast'")]
    [InlineData("speed", "Infinity", "3:37: 'speed' must be a number greater than 0, found 'Infinity'")]
    [InlineData("speed", "NaN", "3:37: 'speed' must be a number greater than 0, found 'NaN'")]
    [InlineData("speed", "", "3:30: 'speed' must be a number greater than 0, found nothing")]
    public void A_bad_pcap_replay_option_is_reported_at_its_value_or_at_its_key_when_empty(string key, string value, string error)
    {
        var yaml = $"name: p\nports:\n  a: {{ spec: \"pcap:in.pcap\", {key}: {value} }}\npipes:\n  - a -> drop";

        Assert.Equal("p.yaml:" + error, SingleError(yaml));
    }

    [Fact]
    public void Pcap_replay_options_on_a_port_that_is_not_a_pcap_source_are_reported_at_the_key()
    {
        const string yaml = """
            name: p
            ports:
              a: { spec: "netmap:p}0", loop: 2 }
              b: { spec: "pcap-out:out.pcap", pace: recorded, speed: x }
            pipes:
              - a -> b
            """;

        Assert.Equal(
            [
                "p.yaml:3:28: 'loop' only applies to pcap: ports",
                "p.yaml:4:35: 'pace' only applies to pcap: ports",
                "p.yaml:4:51: 'speed' only applies to pcap: ports",
            ],
            Errors(yaml));
    }

    [Fact]
    public void A_spec_with_a_prefix_the_parser_does_not_know_is_reported()
    {
        const string yaml = """
            name: p
            ports:
              a: { spec: "tcp:x" }
            pipes:
              - a -> drop
            """;

        Assert.Equal(
            "p.yaml:3:15: invalid port spec 'tcp:x': unknown prefix (expected 'netmap:', 'vale', 'null', 'pcap:', 'pcap-out:' or 'tap:'): found 't' at position 0",
            SingleError(yaml));
    }

    [Fact]
    public void A_port_no_pipe_uses_is_reported_at_its_name()
    {
        const string yaml = """
            name: p
            ports:
              a: { spec: "null" }
              spare: { spec: "netmap:pipe{3" }
            pipes:
              - a -> drop
            """;

        Assert.Equal("p.yaml:4:3: port 'spare' is not used by any pipe", SingleError(yaml));
    }

    // ---- Stages -------------------------------------------------------------------------------------

    [Fact]
    public void An_unknown_stage_type_lists_the_known_types_sorted()
    {
        const string yaml = """
            name: p
            ports:
              a: { spec: "null" }
            stages:
              t: { type: vlan-pop }
            pipes:
              - a -> t -> drop
            """;

        Assert.Equal(
            "p.yaml:5:14: unknown stage type 'vlan-pop' (known types: filter, policer, shaper, tag)",
            SingleError(yaml));
    }

    [Fact]
    public void A_stage_without_a_type_is_reported_at_its_name()
    {
        const string yaml = """
            name: p
            ports:
              a: { spec: "null" }
            stages:
              t: { vid: 1 }
            pipes:
              - a -> t -> drop
            """;

        Assert.Equal("p.yaml:5:3: stage 't' needs a 'type'", SingleError(yaml));
    }

    [Fact]
    public void A_stage_named_like_a_port_points_at_the_port()
    {
        const string yaml = """
            name: p
            ports:
              a: { spec: "null" }
            stages:
              a: { type: filter }
            pipes:
              - a -> drop
            """;

        Assert.Equal("p.yaml:5:3: 'a' is already a port at p.yaml:3:3", SingleError(yaml));
    }

    [Fact]
    public void Unknown_option_keys_and_mismatched_values_are_reported_at_the_key_and_the_value()
    {
        const string yaml = """
            name: p
            ports:
              a: { spec: "null" }
            stages:
              t:
                type: tag
                vid: abc
                names: { x: 1 }
                colour: red
            pipes:
              - a -> t -> drop
            """;

        Assert.Equal(
            [
                "p.yaml:7:10: 'vid' must be an integer from -2147483648 to 2147483647, found 'abc'",
                "p.yaml:8:12: 'names' must be a list, found a mapping",
                "p.yaml:9:5: unknown key 'colour' (expected one of: type, node, instances, vid, names)",
            ],
            Errors(yaml));
    }

    [Fact]
    public void A_stage_type_without_options_takes_no_parameters()
    {
        const string yaml = """
            name: p
            ports:
              a: { spec: "null" }
            stages:
              f: { type: filter, allow: [x] }
            pipes:
              - a -> f -> drop
            """;

        Assert.Equal("p.yaml:5:22: stage type 'filter' takes no parameters", SingleError(yaml));
    }

    [Theory]
    [InlineData("enum", "mode: turbo", "p.yaml:5:37: 'mode' must be one of [fair, strict-priority], found 'turbo'")]
    [InlineData("ushort range", "burst: 70000", "p.yaml:5:38: 'burst' must be an integer from 0 to 65535, found '70000'")]
    [InlineData("bool", "strict: maybe", "p.yaml:5:39: 'strict' must be true or false, found 'maybe'")]
    [InlineData("list item", "queues: [1, x]", "p.yaml:5:43: 'queues' item must be an integer from -2147483648 to 2147483647, found 'x'")]
    [InlineData("parsable", "peer: 300.1.2.3", "p.yaml:5:37: 'peer' must be an IP address (IPv4 as a dotted quad like 192.0.2.1, or IPv6), found '300.1.2.3'")]
    [InlineData("missing value", "strict:", "p.yaml:5:31: 'strict' needs a value")]
    [InlineData("nested required", "limits: { min: 1 }", "p.yaml:5:31: 'limits' is missing required key 'max'")]
    [InlineData("nested unknown key", "limits: { max: 1, top: 2 }", "p.yaml:5:49: unknown key 'top' (expected one of: max, min)")]
    public void A_value_of_the_wrong_kind_is_reported_at_the_value(string row, string option, string expected)
    {
        _ = row;
        var yaml = $"name: p\nports:\n  a: {{ spec: \"null\" }}\nstages:\n  s: {{ type: shaper, rate: 1, {option} }}\npipes:\n  - a -> s -> drop";

        Assert.Equal(expected, SingleError(yaml));
    }

    [Fact]
    public void A_required_option_that_is_missing_is_reported_at_the_stage()
    {
        const string yaml = """
            name: p
            ports:
              a: { spec: "null" }
            stages:
              s: { type: shaper }
              p: { type: policer, burst: 3 }
            pipes:
              - a -> s -> p -> drop
            """;

        Assert.Equal(
            [
                "p.yaml:5:3: stage 's' is missing required key 'rate'",
                "p.yaml:6:3: stage 'p' is missing required key 'rate'",
            ],
            Errors(yaml));
    }

    [Fact]
    public void Options_that_reject_their_values_are_reported_at_the_stage()
    {
        const string yaml = """
            name: p
            ports:
              a: { spec: "null" }
            stages:
              p: { type: policer, rate: 0 }
            pipes:
              - a -> p -> drop
            """;

        Assert.Equal("p.yaml:5:3: invalid options for stage 'p': rate must be positive", SingleError(yaml));
    }

    [Fact]
    public void A_stage_nothing_connects_to_is_reported_at_its_name()
    {
        const string yaml = """
            name: p
            ports:
              a: { spec: "null" }
            stages:
              x: { type: filter }
              lonely: { type: filter }
            pipes:
              - a -> x -> drop
              - lonely -> drop
            """;

        Assert.Equal("p.yaml:6:3: stage 'lonely' has no input: nothing connects to it", SingleError(yaml));
    }

    // ---- Pipes --------------------------------------------------------------------------------------

    // Line 9 of this file is the pipe under test; it starts at column 5.
    private const string PipeFixture = """
        name: p
        ports:
          a: { spec: "netmap:pipe{1" }
          b: { spec: "netmap:pipe}1" }
        stages:
          acl: { type: filter }
        pipes:
          - a -> acl -> b

        """;

    [Theory]
    [InlineData("unknown node", "acl.deny -> nat", "p.yaml:9:17: no port or stage named 'nat'")]
    [InlineData("unknown node, quoted", "'acl.deny -> nat'", "p.yaml:9:18: no port or stage named 'nat'")]
    [InlineData("unknown gate", "acl.foo -> drop", "p.yaml:9:5: stage 'acl' has no gate 'foo' (gates: out, deny)")]
    [InlineData("port gate", "b.rx -> drop", "p.yaml:9:5: port 'b' has no gate 'rx' (a port's only output is 'out', its RX)")]
    [InlineData("drop as source", "drop -> b", "p.yaml:9:5: 'drop' is the built-in sink and cannot be a source")]
    [InlineData("drop with gate", "acl.deny -> drop.x", "p.yaml:9:17: 'drop' has no gates: it is the built-in sink")]
    [InlineData("gate used twice", "acl -> drop", "p.yaml:9:5: gate 'acl.out' is already connected at p.yaml:8:10")]
    [InlineData("port rx used twice", "a -> drop", "p.yaml:9:5: gate 'a.out' is already connected at p.yaml:8:5")]
    [InlineData("trailing arrow", "acl.deny ->", "p.yaml:9:14: pipe ends with '->': a destination node is missing")]
    [InlineData("leading arrow", "-> b", "p.yaml:9:5: pipe starts with '->': a source node is missing")]
    [InlineData("empty element", "acl.deny -> -> b", "p.yaml:9:17: empty node between two '->'")]
    [InlineData("no arrow", "acl.deny", "p.yaml:9:5: pipe 'acl.deny' has no '->': expected 'node -> node'")]
    [InlineData("invalid element", "acl.deny -> b c", "p.yaml:9:17: invalid node 'b c' in pipe: expected NAME or NAME.GATE (letters, digits, '_', '-')")]
    [InlineData("gate at the end", "acl.deny -> b.out", "p.yaml:9:17: gate 'b.out' leads nowhere: nothing follows it in the pipe")]
    [InlineData("not a string", "{ a: b }", "p.yaml:9:5: a pipe must be a line like 'a -> b', found a mapping")]
    public void A_bad_pipe_is_reported_at_the_node_within_the_line(string row, string pipe, string expected)
    {
        _ = row;

        Assert.Equal(expected, SingleError(PipeFixture + "  - " + pipe));
    }

    [Fact]
    public void Whitespace_around_arrows_is_optional()
    {
        var definition = PipelineLoader.Parse(PipeFixture + "  - acl.deny->drop", File, Registry());

        Assert.Equal(new EdgeDefinition("acl", NodeKind.Stage, "deny", "drop", NodeKind.Drop, new SourceSpan(File, 9, 5)), definition.Edges[^1]);
    }

    [Fact]
    public void A_cycle_is_reported_at_the_pipe_that_closes_it()
    {
        const string yaml = """
            name: p
            ports:
              a: { spec: "null" }
            stages:
              x: { type: filter }
              y: { type: filter }
            pipes:
              - a -> x -> y
              - y -> x
            """;

        Assert.Equal("p.yaml:9:5: pipes form a cycle: x -> y -> x", SingleError(yaml));
    }

    [Fact]
    public void A_stage_feeding_itself_is_a_cycle()
    {
        Assert.Equal("p.yaml:9:5: pipes form a cycle: acl -> acl", SingleError(PipeFixture + "  - acl.deny -> acl"));
    }

    [Fact]
    public void An_unconnected_output_gate_is_allowed()
    {
        var definition = PipelineLoader.Parse(PipeFixture, File, Registry());

        Assert.DoesNotContain(definition.Edges, e => e.Gate == "deny");
    }

    // ---- Many errors --------------------------------------------------------------------------------

    [Fact]
    public void Every_error_in_a_file_is_reported_in_file_order()
    {
        const string yaml = """
            pipes:
              - wan -> nope
            name: p
            ports:
              wan: { spec: "netmap:pipe{1", mtu: 9000 }
            stages:
              t: { type: tag, vid: x }
            memory: { window: 0 }
            """;

        string[] expected =
        [
            "p.yaml:2:12: no port or stage named 'nope'",
            "p.yaml:5:33: unknown key 'mtu' (expected one of: spec, overflow, pace, loop, speed, thread, sync, node, netns)",
            "p.yaml:7:3: stage 't' has no input: nothing connects to it",
            "p.yaml:7:24: 'vid' must be an integer from -2147483648 to 2147483647, found 'x'",
            "p.yaml:8:19: 'window' must be an integer from 1 to 1024, found '0'",
        ];
        Assert.Equal(expected, Errors(yaml));

        var thrown = Assert.Throws<ConfigException>(() => PipelineLoader.Parse(yaml, File, Registry()));
        Assert.Equal(expected, thrown.Errors.Select(e => e.ToString()));
        Assert.Equal(string.Join(Environment.NewLine, expected), thrown.Message);
        Assert.Equal(new ConfigError(new SourceSpan(File, 2, 12), "no port or stage named 'nope'"), thrown.Errors[0]);
    }

    // ---- Plugins ------------------------------------------------------------------------------------

    [Fact]
    public void Plugins_without_a_plugin_loader_are_an_error()
    {
        const string yaml = """
            name: p
            plugins: [ plugins/MyStages.dll ]
            """;

        Assert.Equal("p.yaml:2:1: plugins need a plugin loader", SingleError(yaml));
    }

    [Fact]
    public void A_plugin_registers_its_stages_into_a_copy_of_the_registry()
    {
        const string yaml = """
            name: p
            plugins: [ plugins/MyStages.dll ]
            ports:
              a: { spec: "null" }
            stages:
              m: { type: plugged }
            pipes:
              - a -> m -> drop
            """;
        var registry = Registry();
        var resolver = new FakeResolver();

        var definition = PipelineLoader.Parse(yaml, File, registry, Base, resolver);

        Assert.Equal([Path.GetFullPath("plugins/MyStages.dll", Base)], resolver.Paths);
        Assert.Same(typeof(PluggedStage), definition.Stages[0].Descriptor.StageType);
        Assert.False(registry.TryGet("plugged", out _));
    }

    [Fact]
    public void A_plugin_that_fails_to_load_is_reported_at_its_entry()
    {
        const string yaml = """
            name: p
            plugins: [ plugins/Bad.dll ]
            ports:
              a: { spec: "null" }
            stages:
              m: { type: plugged }
            pipes:
              - a -> m -> drop
            """;

        Assert.Equal(
            [
                "p.yaml:2:12: plugin 'Bad.dll' is not a .NET assembly",
                "p.yaml:6:14: unknown stage type 'plugged' (known types: filter, policer, shaper, tag)",
            ],
            Errors(yaml, new FakeResolver("plugin 'Bad.dll' is not a .NET assembly")));
    }

    [Fact]
    public void Load_resolves_plugins_next_to_the_file_and_names_the_file_as_given()
    {
        var directory = Directory.CreateTempSubdirectory("pipeline-loader-");
        try
        {
            var path = Path.Combine(directory.FullName, "gateway.yaml");
            System.IO.File.WriteAllText(path, "name: p\nplugins: [ MyStages.dll ]\ncolour: red\n");
            var resolver = new FakeResolver();

            var thrown = Assert.Throws<ConfigException>(() => PipelineLoader.Load(path, Registry(), resolver));

            Assert.Equal([Path.Combine(directory.FullName, "MyStages.dll")], resolver.Paths);
            Assert.StartsWith($"{path}:3:1: unknown key 'colour'", Assert.Single(thrown.Errors).ToString(), StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Load_reports_a_missing_file_as_a_config_error()
    {
        var path = Path.Combine(Path.GetTempPath(), $"no-such-pipeline-{Guid.NewGuid():N}.yaml");

        var thrown = Assert.Throws<ConfigException>(() => PipelineLoader.Load(path, Registry()));

        Assert.StartsWith($"{path}:1:1: cannot read the file: ", Assert.Single(thrown.Errors).ToString(), StringComparison.Ordinal);
    }

    // ---- Helpers ------------------------------------------------------------------------------------

    private static StageRegistry Registry() => new StageRegistry()
        .Register<TagStage>()
        .Register<FilterStage>()
        .Register<ShaperStage>()
        .Register<PolicerStage>();

    private static List<string> Errors(string yaml, IPluginResolver? plugins = null)
    {
        Assert.False(PipelineLoader.TryParse(yaml, File, Registry(), out var definition, out var errors, Base, plugins));
        Assert.Null(definition);
        return [.. errors.Select(e => e.ToString())];
    }

    private static string SingleError(string yaml) => Assert.Single(Errors(yaml));

    private sealed class FakeResolver(string? failure = null) : IPluginResolver
    {
        public List<string> Paths { get; } = [];

        public bool TryLoad(string fullPath, StageRegistry registry, out string? error)
        {
            Paths.Add(fullPath);
            error = failure;
            if (failure is null)
            {
                registry.Register<PluggedStage>();
            }

            return failure is null;
        }
    }
}

[Stage("tag")]
public sealed class TagStage(TagOptions options) : IPacketStage
{
    public TagOptions Options { get; } = options;

    public void OnBatch(PacketBatch batch, StageContext context)
    {
    }
}

public sealed record TagOptions
{
    public int Vid { get; init; }

    public string[] Names { get; init; } = [];
}

[Stage("filter", Gates = ["out", "deny"])]
public sealed class FilterStage : IPacketStage
{
    public void OnBatch(PacketBatch batch, StageContext context)
    {
    }
}

public enum ShaperMode
{
    Fair,
    StrictPriority,
}

[Stage("shaper")]
public sealed class ShaperStage(ShaperOptions options) : IPacketStage
{
    public ShaperOptions Options { get; } = options;

    public void OnBatch(PacketBatch batch, StageContext context)
    {
    }
}

public sealed record ShaperOptions
{
    public required int Rate { get; init; }

    public ShaperMode Mode { get; init; }

    public bool Strict { get; init; }

    public ushort? Burst { get; init; }

    public List<int> Queues { get; init; } = [];

    public IPAddress? Peer { get; init; }

    public string? Note { get; init; } = "default";

    public ShaperLimits? Limits { get; init; }
}

public sealed record ShaperLimits
{
    public required int Max { get; init; }

    public int Min { get; init; }
}

// Options with a constructor that validates, as a positional record would.
[Stage("policer")]
public sealed class PolicerStage(PolicerOptions options) : IPacketStage
{
    public PolicerOptions Options { get; } = options;

    public void OnBatch(PacketBatch batch, StageContext context)
    {
    }
}

public sealed class PolicerOptions
{
    public PolicerOptions(int rate, int burst = 10)
    {
        if (rate <= 0)
        {
            throw new ArgumentException("rate must be positive", nameof(rate));
        }

        Rate = rate;
        Burst = burst;
    }

    public int Rate { get; }

    public int Burst { get; }
}

[Stage("plugged")]
public sealed class PluggedStage : IPacketStage
{
    public void OnBatch(PacketBatch batch, StageContext context)
    {
    }
}
