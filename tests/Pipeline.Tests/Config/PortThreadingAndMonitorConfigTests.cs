using Pipeline.Config;
using Pipeline.Stages;

namespace Pipeline.Tests.Config;

/// <summary>
/// The port keys <c>thread</c> and <c>sync</c>, and what the loader checks about monitors (<c>PORT/r</c>,
/// <c>/t</c>, <c>/z</c>): each bad value is a <c>FILE:LINE:COL</c> error at the value (or at the key when the
/// value is missing), reported with every other error of the file.
/// </summary>
public sealed class PortThreadingAndMonitorConfigTests
{
    private const string File = "p.yaml";

    [Fact]
    public void Thread_and_sync_reach_the_port_definition_and_default_to_the_actor()
    {
        var definition = PipelineLoader.Parse("""
            name: p
            ports:
              a: { spec: "netmap:t{1", thread: dedicated, sync: busy-poll }
              b: { spec: "netmap:t}1", thread: dedicated }
              c: { spec: "netmap:u{1", thread: actor }
              d: { spec: "netmap:u}1" }
              e: { spec: "netmap:v{1", thread: dedicated, sync: notify }
              f: { spec: "netmap:v}1" }
            pipes:
              - a -> c
              - b -> d
              - e -> f
            """, File, new StageRegistry());

        Assert.Equal(
            [
                (PortThreading.Dedicated, PortSyncMode.BusyPoll),
                (PortThreading.Dedicated, PortSyncMode.Sleep),
                (PortThreading.Actor, PortSyncMode.Sleep),
                (PortThreading.Actor, PortSyncMode.Sleep),
                (PortThreading.Dedicated, PortSyncMode.Notify),
                (PortThreading.Actor, PortSyncMode.Sleep),
            ],
            definition.Ports.Select(p => (p.Threading, p.Sync)));
    }

    [Theory]
    [InlineData("unknown thread", "thread: pool", "p.yaml:3:36: 'thread' must be one of [actor, dedicated], found 'pool'")]
    [InlineData("empty thread", "thread: ", "p.yaml:3:28: 'thread' must be one of [actor, dedicated], found nothing")]
    [InlineData("thread as a list", "thread: [dedicated]", "p.yaml:3:36: 'thread' must be one of [actor, dedicated], found a list")]
    [InlineData("unknown sync", "thread: dedicated, sync: fast", "p.yaml:3:53: 'sync' must be one of [sleep, busy-poll, notify], found 'fast'")]
    [InlineData("sync without a thread", "sync: busy-poll", "p.yaml:3:28: 'sync' applies only to a port with 'thread: dedicated' (an actor's port is polled by its actor)")]
    [InlineData("sync with the actor", "thread: actor, sync: sleep", "p.yaml:3:43: 'sync' applies only to a port with 'thread: dedicated' (an actor's port is polled by its actor)")]
    [InlineData("notify with the actor", "sync: notify", "p.yaml:3:28: 'sync' applies only to a port with 'thread: dedicated' (an actor's port is polled by its actor)")]
    public void A_bad_thread_or_sync_value_is_reported_where_it_is(string name, string keys, string expected)
    {
        _ = name;
        var yaml = $$"""
            name: p
            ports:
              a: { spec: "netmap:t{1", {{keys}} }
              b: { spec: "netmap:t}1" }
            pipes:
              - a -> b
            """;

        Assert.Equal([expected], Errors(yaml));
    }

    [Fact]
    public void A_monitor_of_a_port_the_pipeline_does_not_declare_is_an_error_at_the_monitor()
    {
        const string yaml = """
            name: p
            ports:
              tap: { spec: "netmap:x}0/r" }
              out: { spec: "null" }
            pipes:
              - tap -> out
            """;

        Assert.Equal(
            ["p.yaml:3:3: port 'tap' monitors 'netmap:x}0', which is not one of this pipeline's ports: declare it under 'ports:' too (a monitor opens after the port it watches)"],
            Errors(yaml));
    }

    [Fact]
    public void A_pipe_into_a_monitor_is_an_error_at_the_pipe()
    {
        const string yaml = """
            name: p
            ports:
              a: { spec: "vale1:a" }
              b: { spec: "vale1:b" }
              tap: { spec: "vale1:a/t" }
            pipes:
              - a -> b
              - b -> tap
            """;

        Assert.Equal(
            ["p.yaml:8:5: port 'tap' is a monitor (vale1:a/t): it only receives copies of another port's traffic, so a pipe cannot send to it"],
            Errors(yaml));
    }

    [Fact]
    public void A_port_that_only_receives_cannot_be_sent_to_and_one_that_only_transmits_cannot_feed_a_pipe()
    {
        const string yaml = """
            name: p
            ports:
              in:  { spec: "pcap:in.pcap" }
              out: { spec: "pcap-out:out.pcap" }
              rx:  { spec: "vale0:a/R" }
              tx:  { spec: "vale0:b/T" }
              n:   { spec: "null" }
              m:   { spec: "null:m" }
            pipes:
              - n -> in
              - out -> drop
              - m -> rx
              - tx -> drop
              - in -> out
            """;

        Assert.Equal(
            [
                "p.yaml:10:5: port 'in' (pcap:in.pcap) only receives: it has no TX ring, so a pipe cannot send to it",
                "p.yaml:11:5: port 'out' (pcap-out:out.pcap) only transmits: it has no RX ring, so nothing comes out of it for a pipe",
                "p.yaml:12:5: port 'rx' (vale0:a/R) only receives: it has no TX ring, so a pipe cannot send to it",
                "p.yaml:13:5: port 'tx' (vale0:b/T) only transmits: it has no RX ring, so nothing comes out of it for a pipe",
            ],
            Errors(yaml));
    }

    [Fact]
    public void A_zero_copy_monitor_is_an_error_at_the_monitor_that_names_the_copy_monitors()
    {
        const string yaml = """
            name: p
            ports:
              in:  { spec: "netmap:x}0" }
              tap: { spec: "netmap:x}0/z" }
              out: { spec: "null" }
            pipes:
              - in -> out
              - tap -> out
            """;

        Assert.Equal(
            ["p.yaml:4:3: port 'tap' is a zero-copy monitor (netmap:x}0/z), which a pipeline cannot use: the pipeline swaps fresh buffers into the rings of 'netmap:x}0' as it reads them, so the monitor would get those, not the frames; use a copy monitor ('netmap:x}0/r' or '/t')"],
            Errors(yaml));
    }

    [Theory]
    [InlineData("netmap:x}0/r", "netmap:x}0", true)]
    [InlineData("netmap:x}0/t", "netmap:x}0", true)]
    [InlineData("netmap:x}0/z", "netmap:x}0", true)]
    [InlineData("netmap:x}0/rt", "netmap:x}0", true)]
    [InlineData("vale2:p/r", "vale2:p", true)]
    [InlineData("netmap:x}0/r", "netmap:x{0", false)]
    [InlineData("netmap:x}0/r", "netmap:x}1", false)]
    [InlineData("vale2:p/r", "vale3:p", false)]
    [InlineData("netmap:x}0", "netmap:x}0", false)]
    public void A_monitor_names_its_port_by_the_same_name_without_the_flags(string monitor, string parent, bool expected)
    {
        Assert.Equal(expected, PortLinks.IsMonitorOf(Netmap.Io.Ports.PortSpecParser.Parse(monitor), Netmap.Io.Ports.PortSpecParser.Parse(parent)));
    }

    [Fact]
    public void Ports_fed_only_by_the_pipeline_are_told_from_ports_fed_from_outside()
    {
        var definition = PipelineLoader.Parse("""
            name: p
            ports:
              in:       { spec: "netmap:ext}0" }
              out:      { spec: "netmap:ext{1" }
              trunk-in: { spec: "netmap:trunk{0" }
              trunk:    { spec: "netmap:trunk}0" }
              tap-rx:   { spec: "netmap:trunk}0/r" }
              tap-tx:   { spec: "netmap:ext{1/t" }
              tap-ext:  { spec: "netmap:ext{1/r" }
              v1:       { spec: "vale4:one" }
              v2:       { spec: "vale4:two" }
            pipes:
              - in -> trunk-in
              - trunk -> out
              - tap-rx -> v1
              - tap-tx -> drop
              - tap-ext -> drop
              - v2 -> drop
            """, File, new StageRegistry());

        var fed = definition.Ports.Where(p => PortLinks.IsFedInternally(definition, p)).Select(p => p.Name);

        // in: a pipe end fed by the test; tap-ext: the receive side of an end fed from outside.
        Assert.Equal(["trunk-in", "trunk", "tap-rx", "tap-tx", "v1", "v2"], fed);
        Assert.False(PortLinks.IsFedInternally(definition, definition.Ports[^1], switchIsPrivate: _ => false)); // someone else is on vale4
    }

    private static List<string> Errors(string yaml)
    {
        Assert.False(PipelineLoader.TryParse(yaml, File, new StageRegistry(), out var definition, out var errors, "/base"));
        Assert.Null(definition);
        return [.. errors.Select(e => e.ToString())];
    }
}
