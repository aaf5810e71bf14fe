using Netmap.Io;
using Netmap.Io.Files;
using Pipeline.Config;
using Pipeline.Runtime;
using Pipeline.Stages;
using Stages;

namespace Pipeline.Tests.Runtime;

/// <summary>
/// Issue 6 from YAML: VALE ports, pipes and monitors as <c>ports:</c>. Three branches of one pipeline on one
/// VALE learning switch, a monitor tapping a port into a <c>pcap-out</c> sink, a pipe inside the pipeline.
/// Each pipeline ends by itself (its only input is the sample capture; the switch, the pipe and the monitors
/// are fed by its own ports), and every packet is accounted for.
/// </summary>
public sealed class PortLinkFlowTests : PipelineTestBase
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly string _directory = Directory.CreateTempSubdirectory("pipeline-links-").FullName;

    public PortLinkFlowTests()
    {
        BuiltInStages.Register(Registry);
    }

    [Fact]
    public async Task Three_branches_on_one_VALE_switch_each_get_what_the_learning_bridge_floods_to_them()
    {
        // Every host of the capture is behind the uplink: the switch learns them there, floods broadcasts,
        // multicasts and not-yet-learned destinations to a, b and c, and drops what is for a host it learned
        // behind the uplink (no hairpin). Branch c is slow and on its own thread, so the end of the input must
        // wait for it.
        var input = Sample("mixed.pcap");
        var runtime = Start(Load($$"""
            name: vale-branches
            ports:
              wan:    { spec: "pcap:{{input}}" }
              uplink: { spec: "vale3:uplink" }
              a:      { spec: "vale3:a" }
              b:      { spec: "vale3:b", thread: dedicated }
              c:      { spec: "vale3:c", thread: dedicated, sync: busy-poll }
              out-a:  { spec: "pcap-out:{{Out("a")}}" }
              out-b:  { spec: "pcap-out:{{Out("b")}}" }
              out-c:  { spec: "pcap-out:{{Out("c")}}" }
            stages:
              count-a: { type: counter }
              slow-c:  { type: slow, delay-ms: 5 }
            pipes:
              - wan -> uplink
              - a -> count-a -> out-a
              - b -> out-b
              - c -> slow-c -> out-c
            """));

        await RunToEndAsync(runtime);

        var frames = ReadAll(input);
        var flooded = LearningBridgeFloods(frames);
        Assert.InRange(flooded.Count, 1, frames.Count - 1); // the capture has both kinds
        Assert.Equal(flooded, ReadAll(Out("a")));
        Assert.Equal(flooded, ReadAll(Out("b")));
        Assert.Equal(flooded, ReadAll(Out("c")));
        Assert.Equal(frames.Count, runtime.CountersOf("wan").InPackets);
        Assert.Equal(frames.Count, runtime.CountersOf("uplink").OutPackets);
        foreach (var branch in new[] { "a", "b", "c" })
        {
            Assert.Equal(flooded.Count, runtime.CountersOf(branch).InPackets);
            Assert.Equal(flooded.Count, runtime.CountersOf("out-" + branch).OutPackets);
            Assert.Equal(0, runtime.CountersOf(branch).TotalDrops);
        }

        Assert.Empty(Domain.ListVale()); // the switch went with its last port
        CloseAndAudit();
    }

    [Fact]
    public async Task Monitors_tap_VALE_ports_into_pcap_out_sinks_with_exactly_the_copies()
    {
        // uplink/t copies what the pipeline transmits into the switch (every frame); a/r copies what the switch
        // delivers to a, whether or not anything reads a.
        var input = Sample("mixed.pcap");
        var runtime = Start(Load($$"""
            name: vale-taps
            ports:
              wan:       { spec: "pcap:{{input}}" }
              uplink:    { spec: "vale5:uplink" }
              a:         { spec: "vale5:a" }
              tap-up:    { spec: "vale5:uplink/t", thread: dedicated }
              tap-a:     { spec: "vale5:a/r" }
              out-a:     { spec: "pcap-out:{{Out("a")}}" }
              copies-up: { spec: "pcap-out:{{Out("up-copies")}}" }
              copies-a:  { spec: "pcap-out:{{Out("a-copies")}}" }
            pipes:
              - wan -> uplink
              - a -> out-a
              - tap-up -> copies-up
              - tap-a -> copies-a
            """));

        await RunToEndAsync(runtime);

        var frames = ReadAll(input);
        var flooded = LearningBridgeFloods(frames);
        Assert.Equal(frames, ReadAll(Out("up-copies")));
        Assert.Equal(flooded, ReadAll(Out("a-copies")));
        Assert.Equal(flooded, ReadAll(Out("a")));
        Assert.Equal(frames.Count, runtime.CountersOf("tap-up").InPackets);
        Assert.Equal(flooded.Count, runtime.CountersOf("tap-a").InPackets);
        CloseAndAudit();
    }

    [Fact]
    public async Task A_pipe_inside_the_pipeline_is_tapped_on_both_ends_and_the_run_ends_by_itself()
    {
        // The master end's /t sees every frame as it is sent into the pipe, the slave end's /r as it arrives;
        // the frames then cross a stage that tags them, which the copies never see.
        var input = Sample("mixed.pcap");
        var runtime = Start(Load($$"""
            name: pipe-taps
            ports:
              wan:       { spec: "pcap:{{input}}" }
              trunk-in:  { spec: "netmap:lt{0", thread: dedicated }
              trunk-out: { spec: "netmap:lt}0" }
              tap-tx:    { spec: "netmap:lt{0/t" }
              tap-rx:    { spec: "netmap:lt}0/r", thread: dedicated }
              lan:       { spec: "pcap-out:{{Out("lan")}}" }
              sent:      { spec: "pcap-out:{{Out("sent")}}" }
              arrived:   { spec: "pcap-out:{{Out("arrived")}}" }
            stages:
              tag: { type: vlan-push, vid: 7 }
            pipes:
              - wan -> trunk-in
              - trunk-out -> tag -> lan
              - tap-tx -> sent
              - tap-rx -> arrived
            """));

        await RunToEndAsync(runtime);

        var frames = ReadAll(input);
        Assert.Equal(frames, ReadAll(Out("sent")));
        Assert.Equal(frames, ReadAll(Out("arrived")));
        Assert.Equal(frames.Select(f => (byte[])[.. f[..12], 0x81, 0x00, 0x00, 0x07, .. f[12..]]), ReadAll(Out("lan")));
        Assert.Equal(frames.Count, runtime.CountersOf("trunk-out").InPackets);
        CloseAndAudit();
    }

    [Fact]
    public void A_monitor_used_as_a_sink_in_a_definition_built_in_code_fails_to_start_with_its_spec()
    {
        var definition = Define(
            [("in", "netmap:ms}0"), ("peer", "netmap:ms{1"), ("tap", "netmap:ms{1/t")],
            [],
            "in -> tap",
            "peer -> drop");

        var error = Assert.Throws<NetmapException>(() => Start(definition));

        Assert.Equal(NetmapError.EINVAL, error.Code);
        Assert.StartsWith("netmap:ms{1/t: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("port 'tap' is a monitor: it only receives", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, Domain.OpenHandles);
        CloseAndAudit();
    }

    [Fact]
    public async Task A_monitor_declared_before_the_port_it_watches_still_opens_after_it()
    {
        var definition = Define(
            [("tap", "netmap:mo}0/r"), ("out", "netmap:mo}0")],
            [],
            "out -> drop",
            "tap -> drop");
        var runtime = Start(definition);
        var tx = OpenEnd("netmap:mo{0");
        SendAll(tx, Enumerable.Range(0, 10).Select(i => Packet(64, i)), Timeout);
        var tap = runtime.CountersOf("tap");
        var deadline = DateTime.UtcNow + Timeout;
        while (tap.InPackets < 10 || runtime.CountersOf("out").InPackets < 10)
        {
            Assert.True(DateTime.UtcNow < deadline, "the monitor did not see the frames");
            await Task.Delay(2);
        }

        await runtime.StopAsync(Timeout);
        Assert.Equal(10, tap.Drops(DropReason.Discarded));
        CloseAndAudit();
    }

    protected override void Dispose(bool disposing)
    {
        try
        {
            base.Dispose(disposing);
        }
        finally
        {
            if (disposing)
            {
                Directory.Delete(_directory, recursive: true);
            }
        }
    }

    /// <summary>
    /// What a learning bridge with every host behind one port sends to its other ports, in order: each frame
    /// teaches its (unicast) source, then goes everywhere if its destination is a group address or not learned yet.
    /// </summary>
    private static List<byte[]> LearningBridgeFloods(List<byte[]> frames)
    {
        var learned = new HashSet<string>(StringComparer.Ordinal);
        var flooded = new List<byte[]>();
        foreach (var frame in frames)
        {
            var source = Convert.ToHexString(frame, 6, 6);
            if ((frame[6] & 1) == 0)
            {
                learned.Add(source);
            }

            if ((frame[0] & 1) != 0 || !learned.Contains(Convert.ToHexString(frame, 0, 6)))
            {
                flooded.Add(frame);
            }
        }

        return flooded;
    }

    private PipelineDefinition Load(string yaml) => PipelineLoader.Parse(yaml, "links.yaml", Registry);

    private string Out(string name) => Path.Combine(_directory, name + ".pcap");

    private static async Task RunToEndAsync(PipelineRuntime runtime)
    {
        using (var cancellation = new CancellationTokenSource(Timeout))
        {
            await runtime.WaitForInputEndAsync(cancellation.Token);
        }

        Assert.True(runtime.InputFinished);
        Assert.Empty(runtime.InputErrors);
        Assert.Empty(runtime.PortFaults);
        await runtime.StopAsync(Timeout);
        Assert.Equal(0, runtime.Pool.Rented);
        foreach (var counters in runtime.Counters)
        {
            Assert.Equal(0, counters.Drops(DropReason.Shutdown)); // it ended because everything had arrived
        }
    }

    private static string Sample(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Samples", name);
        Assert.True(File.Exists(path), $"sample capture {path} is missing (pipelines/samples is copied by the test project)");
        return path;
    }

    private static List<byte[]> ReadAll(string path)
    {
        using var reader = PcapFormat.OpenRead(path);
        var buffer = new byte[PcapFormat.MaxCapturedLength];
        var packets = new List<byte[]>();
        while (reader.TryReadPacket(buffer, out var info))
        {
            packets.Add(buffer[..info.Length]);
        }

        return packets;
    }
}
