using Microsoft.Extensions.Time.Testing;
using Netmap.Io.Rings;
using Pipeline.Config;
using Pipeline.Stages;
using Pipeline.Testing;
using Stages.Ethernet;
using static Stages.Tests.ForwardingKit;

namespace Stages.Tests.Ethernet;

public sealed class L2SwitchTests
{
    private const string H1 = "02:00:00:00:00:01";
    private const string H2 = "02:00:00:00:00:02";
    private const string H3 = "02:00:00:00:00:03";
    private const string Broadcast = "ff:ff:ff:ff:ff:ff";
    private const string Multicast = "01:00:5e:00:00:fb";
    private const ushort PortA = 0;
    private const ushort PortB = 1;
    private const ushort PortC = 2;

    private static readonly string[] Ports = ["a", "b", "c"];

    public static TheoryData<FloodCase> Floods => new()
    {
        new FloodCase("unknown unicast from a", PortA, H2, ["b", "c"]),
        new FloodCase("unknown unicast from c", PortC, H2, ["a", "b"]),
        new FloodCase("broadcast from b", PortB, Broadcast, ["a", "c"]),
        new FloodCase("multicast from a", PortA, Multicast, ["b", "c"]),
    };

    [Theory]
    [MemberData(nameof(Floods))]
    public void Broadcast_multicast_and_unknown_unicast_flood_to_every_gate_but_the_input(FloodCase flood)
    {
        using var bench = new StageBench();
        var frame = Frame(H1, flood.Destination);
        var i = AddFrom(bench, flood.InputPort, frame);
        var before = bench.Slot(i);
        var bufferBefore = bench.Buffer(i);
        var context = Context(bench, "l2-switch", Options(), ports: Ports);

        bench.Run(new L2Switch(Options()), context);

        Assert.Equal(flood.Gates, AllGatesOf(context, i));
        Assert.Single(CopiesOf(context, i)); // two gates: one copy, the packet itself to the other
        Assert.Equal(before, bench.Slot(i));
        Assert.Equal(bufferBefore, bench.Buffer(i)); // the switch reads; it never writes
    }

    [Fact]
    public void A_learned_destination_gets_the_packet_on_its_gate_alone()
    {
        using var bench = new StageBench();
        var fromH1 = AddFrom(bench, PortA, Frame(H1, Broadcast));
        var toH1 = AddFrom(bench, PortB, Frame(H2, H1));
        var toH2 = AddFrom(bench, PortC, Frame(H3, H2));
        var stage = new L2Switch(Options());
        var context = Context(bench, "l2-switch", Options(), ports: Ports);

        bench.Run(stage, context);

        Assert.Equal(["b", "c"], AllGatesOf(context, fromH1));
        Assert.Equal("a", GateOf(context, toH1)); // H1 learned on a by the packet before
        Assert.Empty(CopiesOf(context, toH1));
        Assert.Equal("b", GateOf(context, toH2)); // H2 learned on b by the packet before
        Assert.Empty(CopiesOf(context, toH2));
        Assert.Equal(3, stage.Entries);
    }

    [Fact]
    public void Broadcast_floods_even_when_every_host_is_learned()
    {
        using var bench = new StageBench();
        AddFrom(bench, PortA, Frame(H1, H2));
        AddFrom(bench, PortB, Frame(H2, H1));
        var broadcast = AddFrom(bench, PortB, Frame(H2, Broadcast));
        var context = Context(bench, "l2-switch", Options(), ports: Ports);

        bench.Run(new L2Switch(Options()), context);

        Assert.Equal(["a", "c"], AllGatesOf(context, broadcast));
    }

    [Fact]
    public void A_packet_for_a_host_behind_its_own_gate_is_filtered_not_sent_back()
    {
        using var bench = new StageBench();
        AddFrom(bench, PortA, Frame(H1, Broadcast));
        var hairpin = AddFrom(bench, PortA, Frame(H2, H1));
        var context = Context(bench, "l2-switch", Options(), ports: Ports);

        bench.Run(new L2Switch(Options()), context);

        StageBench.AssertDropped(context, hairpin, DropReason.Filtered);
        Assert.Empty(CopiesOf(context, hairpin));
    }

    [Fact]
    public void A_host_that_moves_is_learned_on_its_new_gate()
    {
        using var bench = new StageBench();
        AddFrom(bench, PortA, Frame(H1, Broadcast));
        var before = AddFrom(bench, PortB, Frame(H2, H1));
        AddFrom(bench, PortC, Frame(H1, Broadcast)); // H1 now behind c
        var after = AddFrom(bench, PortB, Frame(H2, H1));
        var stage = new L2Switch(Options());
        var context = Context(bench, "l2-switch", Options(), ports: Ports);

        bench.Run(stage, context);

        Assert.Equal("a", GateOf(context, before));
        Assert.Equal("c", GateOf(context, after));
        Assert.Equal(2, stage.Entries);
    }

    [Fact]
    public void Learned_entries_age_out_on_the_pipeline_clock()
    {
        using var bench = new StageBench();
        var time = new FakeTimeProvider();
        var options = Options() with { AgeSeconds = 300 };
        var stage = new L2Switch(options);
        var context = Context(bench, "l2-switch", options, ports: Ports, time: time);
        AddFrom(bench, PortA, Frame(H1, Broadcast));
        bench.Run(stage, context);
        Assert.Equal(1, stage.Entries);

        // 299 s later H1 is still known; the lookup does not refresh it (only H1's own packets do).
        time.Advance(TimeSpan.FromSeconds(299));
        bench.Recycle();
        var known = AddFrom(bench, PortB, Frame(H2, H1));
        bench.Run(stage, context);
        Assert.Equal("a", GateOf(context, known));
        Assert.Empty(CopiesOf(context, known));

        // 300 s after H1 was last seen it is forgotten: its packets flood again. H2 (seen 1 s ago) stays.
        time.Advance(TimeSpan.FromSeconds(1));
        bench.Recycle();
        var forgotten = AddFrom(bench, PortB, Frame(H2, H1));
        bench.Run(stage, context);
        Assert.Equal(["a", "c"], AllGatesOf(context, forgotten));
        Assert.Equal(1, stage.Entries);

        bench.Recycle();
        var stillKnown = AddFrom(bench, PortC, Frame(H3, H2));
        bench.Run(stage, context);
        Assert.Equal("b", GateOf(context, stillKnown));
    }

    [Fact]
    public void Traffic_from_a_host_keeps_its_entry_alive()
    {
        using var bench = new StageBench();
        var time = new FakeTimeProvider();
        var options = Options() with { AgeSeconds = 10 };
        var stage = new L2Switch(options);
        var context = Context(bench, "l2-switch", options, ports: Ports, time: time);
        for (var n = 0; n < 5; n++)
        {
            bench.Recycle();
            AddFrom(bench, PortA, Frame(H1, Broadcast));
            bench.Run(stage, context);
            time.Advance(TimeSpan.FromSeconds(9));
        }

        bench.Recycle();
        var known = AddFrom(bench, PortB, Frame(H2, H1));
        bench.Run(stage, context);

        Assert.Equal("a", GateOf(context, known));
    }

    [Fact]
    public void A_full_table_forgets_the_least_recently_seen_host()
    {
        using var bench = new StageBench();
        var options = Options() with { MaxEntries = 2 };
        var stage = new L2Switch(options);
        var context = Context(bench, "l2-switch", options, ports: Ports);
        AddFrom(bench, PortA, Frame(H1, Broadcast));
        AddFrom(bench, PortB, Frame(H2, Broadcast));
        AddFrom(bench, PortA, Frame(H1, Broadcast)); // H1 seen again: H2 is now the least recent
        AddFrom(bench, PortC, Frame(H3, Broadcast)); // the table is full: H2 goes
        var toH1 = AddFrom(bench, PortC, Frame(H3, H1));
        var toH2 = AddFrom(bench, PortC, Frame(H3, H2));
        var toH3 = AddFrom(bench, PortA, Frame(H1, H3));

        bench.Run(stage, context);

        Assert.Equal(2, stage.Entries);
        Assert.Equal("a", GateOf(context, toH1));
        Assert.Equal(["a", "b"], AllGatesOf(context, toH2));
        Assert.Equal("c", GateOf(context, toH3));
    }

    [Fact]
    public void Floods_skip_unconnected_gates()
    {
        using var bench = new StageBench();
        var i = AddFrom(bench, PortA, Frame(H1, Broadcast));
        var context = Context(bench, "l2-switch", Options(), connectedGates: [true, false, true], ports: Ports);

        bench.Run(new L2Switch(Options()), context);

        Assert.Equal("c", GateOf(context, i));
        Assert.Empty(CopiesOf(context, i));
    }

    [Fact]
    public void A_flood_with_no_other_connected_gate_is_dropped_as_no_route()
    {
        using var bench = new StageBench();
        var i = AddFrom(bench, PortA, Frame(H1, Broadcast));
        var context = Context(bench, "l2-switch", Options(), connectedGates: [true, false, false], ports: Ports);

        bench.Run(new L2Switch(Options()), context);

        StageBench.AssertDropped(context, i, DropReason.NoRoute);
        Assert.Empty(CopiesOf(context, i));
    }

    [Fact]
    public void Packets_from_a_port_that_is_not_a_gate_are_flooded_everywhere_and_not_learned()
    {
        using var bench = new StageBench();
        var fromMgmt = AddFrom(bench, 3, Frame(H1, H2));
        var toH1 = AddFrom(bench, PortB, Frame(H2, H1));
        var stage = new L2Switch(Options());
        var context = Context(bench, "l2-switch", Options(), ports: ["a", "b", "c", "mgmt"]);

        bench.Run(stage, context);

        Assert.Equal(["a", "b", "c"], AllGatesOf(context, fromMgmt));
        Assert.Equal(2, CopiesOf(context, fromMgmt).Count);
        Assert.Equal(["a", "c"], AllGatesOf(context, toH1)); // H1 was not learned
        Assert.Equal(1, stage.Entries); // H2 only
    }

    [Fact]
    public void Gates_are_found_by_port_name_whatever_the_port_order()
    {
        using var bench = new StageBench();
        AddFrom(bench, 0, Frame(H1, Broadcast)); // port 0 is "c"
        var toH1 = AddFrom(bench, 2, Frame(H2, H1)); // port 2 is "a"
        var context = Context(bench, "l2-switch", Options(), ports: ["c", "b", "a"]);

        bench.Run(new L2Switch(Options()), context);

        Assert.Equal("c", GateOf(context, toH1));
    }

    [Fact]
    public void Without_port_names_the_input_port_is_the_gate_index()
    {
        using var bench = new StageBench();
        var flood = AddFrom(bench, 1, Frame(H1, Broadcast));
        var toH1 = AddFrom(bench, 2, Frame(H2, H1));
        var context = Context(bench, "l2-switch", Options(), ports: null);

        bench.Run(new L2Switch(Options()), context);

        Assert.Equal(["a", "c"], AllGatesOf(context, flood));
        Assert.Equal("b", GateOf(context, toH1));
    }

    public static TheoryData<string, byte[]> MalformedFrames => new()
    {
        { "empty", [] },
        { "13 bytes", Frame(H1, H2)[..13] },
        { "multicast source", Frame(Multicast, H2) },
        { "broadcast source", Frame(Broadcast, H2) },
        { "all-zero source", Frame("00:00:00:00:00:00", H2) },
    };

    [Theory]
    [MemberData(nameof(MalformedFrames))]
    public void Short_frames_and_group_or_zero_sources_are_dropped_as_malformed_and_not_learned(string name, byte[] frame)
    {
        using var bench = new StageBench();
        var bad = AddFrom(bench, PortA, frame);
        var good = AddFrom(bench, PortB, Frame(H2, Broadcast));
        var before = bench.Buffer(bad);
        var stage = new L2Switch(Options());
        var context = Context(bench, "l2-switch", Options(), ports: Ports);

        bench.Run(stage, context);

        StageBench.AssertDropped(context, bad, DropReason.Malformed);
        Assert.Empty(CopiesOf(context, bad));
        Assert.Equal(before, bench.Buffer(bad));
        Assert.Equal(["a", "c"], AllGatesOf(context, good));
        Assert.True(stage.Entries == 1, name);
    }

    [Fact]
    public void A_multi_slot_packet_is_switched_by_its_first_slot_and_copied_whole()
    {
        using var bench = new StageBench();
        var frame = Frame(H1, Broadcast, payload: 100);
        var first = AddFrom(bench, PortA, frame.AsSpan(0, 60), SlotFlags.MoreFrag);
        var rest = AddFrom(bench, PortA, frame.AsSpan(60));
        var next = AddFrom(bench, PortB, Frame(H2, H1));
        var restBefore = bench.Slot(rest);
        var context = Context(bench, "l2-switch", Options(), ports: Ports);

        bench.Run(new L2Switch(Options()), context);

        Assert.Equal(["b", "c"], AllGatesOf(context, first)); // the copy is asked for the first slot: the runtime copies every slot
        Assert.Empty(CopiesOf(context, rest));
        Assert.Equal(restBefore, bench.Slot(rest));
        Assert.Equal("a", GateOf(context, next));
    }

    [Fact]
    public void A_flood_of_a_full_batch_makes_every_copy()
    {
        // 32 broadcasts to 3 other gates want 64 copies: more than a batch holds; the context makes room.
        using var bench = new StageBench(capacity: 32);
        var ports = new[] { "a", "b", "c", "d" };
        var options = new L2SwitchOptions { Gates = ports };
        for (var n = 0; n < 32; n++)
        {
            AddFrom(bench, PortA, Frame(H1, Broadcast));
        }

        var stage = new L2Switch(options);
        var context = Context(bench, "l2-switch", options, ports: ports);

        bench.Run(stage, context);

        Assert.Equal(64, context.Copies.Length);
        Assert.Equal(0, stage.LostCopies);
        for (var n = 0; n < 32; n++)
        {
            Assert.Equal("d", GateOf(context, n));
        }
    }

    [Fact]
    public void Copies_that_cannot_be_made_are_counted_and_the_packets_still_go()
    {
        using var bench = new StageBench(capacity: 32);
        var ports = new[] { "a", "b", "c", "d" };
        var options = new L2SwitchOptions { Gates = ports };
        for (var n = 0; n < 4; n++)
        {
            AddFrom(bench, PortA, Frame(H1, Broadcast));
        }

        // No free buffer left in the arena: no copy can be made.
        var held = new List<uint>();
        while (bench.Arena.TryAlloc(bench.Pool.Owner, out var index))
        {
            held.Add(index);
        }

        var stage = new L2Switch(options);
        var context = Context(bench, "l2-switch", options, ports: ports);
        try
        {
            bench.Run(stage, context);
        }
        finally
        {
            bench.Arena.FreeBatch(held.ToArray(), bench.Pool.Owner);
        }

        Assert.Equal(0, context.Copies.Length);
        Assert.Equal(8, stage.LostCopies);
        Assert.Equal(8, context.LostCopies); // the runtime counts these as overflow drops
        for (var n = 0; n < 4; n++)
        {
            Assert.Equal("d", GateOf(context, n));
        }
    }

    public static TheoryData<string, string> BadOptions => new()
    {
        { "one gate", "gates must list 2 to 64 gate names, found 1" },
        { "65 gates", "gates must list 2 to 64 gate names, found 65" },
        { "twice", "gates names gate 'a' twice" },
        { "bad name", "gates must be a gate name (letters, digits, '_' and '-'), found 'a.b'" },
        { "age 0", "age-seconds must be from 1 to 1000000, found 0" },
        { "entries 0", "max-entries must be from 1 to 1048576, found 0" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Bad_option_throws_naming_the_key(string name, string message)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => name switch
        {
            "one gate" => new L2SwitchOptions { Gates = ["a"] },
            "65 gates" => new L2SwitchOptions { Gates = [.. Enumerable.Range(0, 65).Select(g => $"g{g}")] },
            "twice" => new L2SwitchOptions { Gates = ["a", "b", "a"] },
            "bad name" => new L2SwitchOptions { Gates = ["a", "a.b"] },
            "age 0" => new L2SwitchOptions { Gates = ["a", "b"], AgeSeconds = 0 },
            _ => new L2SwitchOptions { Gates = ["a", "b"], MaxEntries = 0 },
        });

        Assert.Equal($"{message} (Parameter '{ex.ParamName}')", ex.Message);
        Assert.StartsWith(ex.ParamName!, message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_default_to_300_seconds_and_4096_entries()
    {
        var options = new L2SwitchOptions { Gates = ["a", "b"] };

        Assert.Equal(300, options.AgeSeconds);
        Assert.Equal(4096, options.MaxEntries);
    }

    [Fact]
    public void YAML_keys_bind_to_the_options_and_name_the_gates()
    {
        var yaml = OneStage("{ type: l2-switch, gates: [a, b, c], age-seconds: 60, max-entries: 100 }", "s.a -> a", "s.b -> b", "s.c -> c");

        var definition = PipelineLoader.Parse(yaml, "p.yaml", BuiltInStages.CreateRegistry());

        var stage = Assert.Single(definition.Stages);
        Assert.Equal(typeof(L2Switch), stage.Descriptor.StageType);
        var options = Assert.IsType<L2SwitchOptions>(stage.Options);
        Assert.Equal(["a", "b", "c"], options.Gates);
        Assert.Equal(60, options.AgeSeconds);
        Assert.Equal(100, options.MaxEntries);
        Assert.Equal(["a", "b", "c"], stage.Gates);
        Assert.Equal(["s", "s", "s"], definition.Edges.Where(e => e.FromKind == NodeKind.Stage).Select(e => e.From));
        Assert.Equal(["a", "b", "c"], definition.Edges.Where(e => e.FromKind == NodeKind.Stage).Select(e => e.Gate));
    }

    [Theory]
    [InlineData("{ type: l2-switch, gates: [a] }", "s.a -> a", "p.yaml:7:25: invalid 'gates': gates must list 2 to 64 gate names, found 1")]
    [InlineData("{ type: l2-switch, gates: [a, b], age-seconds: 0 }", "s.a -> a", "p.yaml:7:40: invalid 'age-seconds': age-seconds must be from 1 to 1000000, found 0")]
    [InlineData("{ type: l2-switch, gates: [a, b] }", "s.c -> c", "p.yaml:12:5: stage 's' has no gate 'c' (gates: a, b)")]
    [InlineData("{ type: l2-switch, gates: [a, b] }", "s -> c", "p.yaml:12:5: stage 's' has no gate 'out': name one of its gates (a, b), as 's.a'")]
    [InlineData("{ type: l2-switch }", "s.a -> a", "p.yaml:7:3: stage 's' is missing required key 'gates'")]
    public void Bad_YAML_is_reported_at_its_place(string stage, string pipe, string error)
    {
        Assert.False(PipelineLoader.TryParse(OneStage(stage, pipe), "p.yaml", BuiltInStages.CreateRegistry(), out _, out var errors));

        Assert.Equal(error, Assert.Single(errors).ToString());
    }

    [Fact]
    public void Steady_state_allocates_nothing()
    {
        using var bench = new StageBench();
        var time = new FakeTimeProvider();
        var options = Options() with { AgeSeconds = 1, MaxEntries = 8 };
        var stage = new L2Switch(options);
        var context = Context(bench, "l2-switch", options, ports: Ports, time: time);
        var frames = new byte[20][];
        for (var h = 0; h < frames.Length; h++)
        {
            frames[h] = Frame($"02:00:00:00:01:{h:x2}", h % 4 == 0 ? Broadcast : $"02:00:00:00:01:{(h + 1) % 20:x2}");
        }

        // Learning, refreshing, moving, evicting (20 hosts, 8 entries), aging (1 s), flooding with copies.
        var allocated = AllocatedInSteadyState(() =>
        {
            bench.Recycle();
            for (var n = 0; n < 30; n++)
            {
                AddFrom(bench, (ushort)(n % 3), frames[n % frames.Length]);
            }

            bench.Run(stage, context);
            time.Advance(TimeSpan.FromMilliseconds(300));
        });

        Assert.Equal(0, allocated);
    }

    private static L2SwitchOptions Options() => new() { Gates = Ports };

    private static byte[] Frame(string source, string destination, int payload = 18) =>
        new PacketBuilder().Ethernet(source, destination).Ipv4().Udp(1000, 2000).Payload(payload).Build();

    /// <summary>One flood row, named.</summary>
    public sealed record FloodCase(string Name, ushort InputPort, string Destination, string[] Gates)
    {
        public override string ToString() => Name;
    }
}
