using Netmap.Io.Files;
using Pipeline.Config;
using Pipeline.Runtime;
using Pipeline.Stages;
using Stages;

namespace Pipeline.Tests.Runtime;

/// <summary>
/// File ports end to end: a <c>pcap:</c> source, stages, a <c>pcap-out:</c> sink, over the committed sample
/// captures (pipelines/samples, copied next to the tests). The pipelines are YAML, so the port keys
/// <c>pace</c>, <c>loop</c> and <c>speed</c> go the whole way from the loader to the port. Each run ends by
/// itself (the input ends) and every buffer comes back.
/// </summary>
public sealed class PcapFlowTests : PipelineTestBase
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly string _directory = Directory.CreateTempSubdirectory("pipeline-pcap-").FullName;

    public PcapFlowTests()
    {
        BuiltInStages.Register(Registry);
    }

    [Theory]
    [InlineData("jumbo.pcap")]
    [InlineData("mixed.pcap")]
    public async Task Every_packet_crosses_the_pipeline_and_is_written_back_whole(string sample)
    {
        var input = Sample(sample);
        var output = Path.Combine(_directory, "out.pcap");
        var runtime = Start(Load($$"""
            name: flow
            ports:
              wan: { spec: "pcap:{{input}}" }
              lan: { spec: "pcap-out:{{output}}" }
            stages:
              a: { type: pass }
            pipes:
              - wan -> a -> lan
            """));

        await RunToEndAsync(runtime);

        var expected = ReadAll(input);
        Assert.Equal(expected, ReadAll(output));
        AssertCounted(runtime, expected);
        CloseAndAudit();
    }

    [Fact]
    public void The_jumbo_sample_needs_multi_slot_packets()
    {
        // What makes the jumbo runs a MOREFRAG test: every frame is longer than one buffer after the headroom.
        var room = Domain.DefaultArena.BufferSize - new MemoryDefinition().Headroom;

        Assert.All(ReadAll(Sample("jumbo.pcap")), packet => Assert.True(packet.Length > room, $"{packet.Length} bytes fit in one buffer"));
    }

    [Fact]
    public async Task A_packet_longer_than_a_batch_is_dropped_as_too_big_and_the_run_goes_on()
    {
        // With 1920 bytes per slot (2048 - 128 headroom) jumbo.pcap's frames of 3000, 4096, 6000 and 9000 bytes
        // take 2, 3, 4 and 5 slots: in batches of 3 slots the last two can never move.
        var input = Sample("jumbo.pcap");
        var output = Path.Combine(_directory, "out.pcap");
        var runtime = Start(Load($$"""
            name: small-batches
            memory: { batch-size: 3 }
            ports:
              wan: { spec: "pcap:{{input}}", loop: 2 }
              lan: { spec: "pcap-out:{{output}}" }
            pipes:
              - wan -> lan
            """));

        await RunToEndAsync(runtime);

        var fit = ReadAll(input).Where(p => p.Length <= 3 * 1920).ToList();
        Assert.Equal(2, fit.Count);
        Assert.Equal([.. fit, .. fit], ReadAll(output));
        var wan = runtime.CountersOf("wan");
        Assert.Equal(4, wan.InPackets);
        Assert.Equal(4, wan.Drops(DropReason.TooBig));
        Assert.Equal(4, runtime.CountersOf("lan").OutPackets);
        CloseAndAudit();
    }

    [Theory]
    [InlineData("jumbo.pcap")]
    [InlineData("mixed.pcap")]
    public async Task Loop_3_writes_every_packet_three_times_in_file_order(string sample)
    {
        var input = Sample(sample);
        var output = Path.Combine(_directory, "out.pcap");
        var runtime = Start(Load($$"""
            name: loop
            ports:
              wan: { spec: "pcap:{{input}}", loop: 3 }
              lan: { spec: "pcap-out:{{output}}" }
            stages:
              a: { type: pass }
            pipes:
              - wan -> a -> lan
            """));
        Assert.Equal(3, runtime.Definition.Ports[0].Pcap?.Loop);

        await RunToEndAsync(runtime);

        var once = ReadAll(input);
        var expected = once.Concat(once).Concat(once).ToList();
        Assert.Equal(expected, ReadAll(output));
        AssertCounted(runtime, expected);
        CloseAndAudit();
    }

    [Fact]
    public async Task Recorded_pace_at_a_tenth_of_the_speed_stretches_the_captures_rhythm_tenfold()
    {
        // jumbo.pcap's 4 frames are 10 ms apart: at the recorded pace and a tenth of the speed they are due
        // 100 ms apart on the pipeline's clock. The clock is a fake one: nothing here depends on timing.
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var input = Sample("jumbo.pcap");
        var output = Path.Combine(_directory, "out.pcap");
        var runtime = Start(Load($$"""
            name: paced
            ports:
              wan: { spec: "pcap:{{input}}", pace: recorded, speed: 0.1 }
              lan: { spec: "pcap-out:{{output}}" }
            pipes:
              - wan -> lan
            """), clock);
        var wan = runtime.CountersOf("wan");

        await AwaitConditionAsync(() => Task.FromResult(wan.InPackets == 1), Timeout); // due at once
        await Task.Delay(100);
        Assert.Equal(1, wan.InPackets); // the clock has not moved: the next one is not due

        clock.Advance(TimeSpan.FromMilliseconds(99));
        await Task.Delay(100);
        Assert.Equal(1, wan.InPackets);

        clock.Advance(TimeSpan.FromMilliseconds(11)); // past 100 ms (the capture's own microseconds round either way)
        await AwaitConditionAsync(() => Task.FromResult(wan.InPackets == 2), Timeout);
        clock.Advance(TimeSpan.FromMilliseconds(300));
        using (var cancellation = new CancellationTokenSource(Timeout))
        {
            await runtime.WaitForInputEndAsync(cancellation.Token);
        }

        Assert.Equal(4, wan.InPackets);
        await RunToEndAsync(runtime);
        Assert.Equal(ReadAll(input), ReadAll(output));
        CloseAndAudit();
    }

    [Theory]
    [InlineData("mixed.pcap")]
    [InlineData("jumbo.pcap")]
    public async Task Vlan_push_then_pop_gives_back_the_identical_packets(string sample)
    {
        var input = Sample(sample);
        var output = Path.Combine(_directory, "out.pcap");
        var runtime = Start(Load($$"""
            name: push-pop
            ports:
              wan: { spec: "pcap:{{input}}" }
              lan: { spec: "pcap-out:{{output}}" }
            stages:
              tag: { type: vlan-push, vid: 100 }
              count: { type: counter }
              untag: { type: vlan-pop }
            pipes:
              - wan -> tag -> count -> untag -> lan
            """));

        await RunToEndAsync(runtime);

        var expected = ReadAll(input);
        Assert.Equal(expected, ReadAll(output));
        AssertCounted(runtime, expected);
        var count = runtime.CountersOf("count");
        Assert.Equal(expected.Count, count.OutPackets);
        Assert.Equal(expected.Sum(p => (long)p.Length + 4), count.OutBytes); // every frame carried the tag
        Assert.Equal(0, runtime.HeadroomCopies); // the tag went into the headroom the source left
        CloseAndAudit();
    }

    [Fact]
    public async Task Vlan_push_tags_every_frame_multi_slot_ones_included()
    {
        var input = Sample("jumbo.pcap");
        var output = Path.Combine(_directory, "out.pcap");
        var runtime = Start(Load($$"""
            name: tag
            ports:
              wan: { spec: "pcap:{{input}}" }
              lan: { spec: "pcap-out:{{output}}" }
            stages:
              tag: { type: vlan-push, vid: 100, pcp: 3 }
            pipes:
              - wan -> tag -> lan
            """));

        await RunToEndAsync(runtime);

        var expected = ReadAll(input);
        var written = ReadAll(output);
        Assert.Equal(expected.Count, written.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            // MACs, then TPID 0x8100 and TCI PCP 3 / VID 100, then the rest as it was.
            byte[] tagged = [.. expected[i][..12], 0x81, 0x00, 0x60, 0x64, .. expected[i][12..]];
            Assert.Equal(tagged, written[i]);
        }

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

    private PipelineDefinition Load(string yaml) => PipelineLoader.Parse(yaml, "flow.yaml", Registry);

    /// <summary>Waits for the input to end (the source has given everything, nothing is in flight), then stops.</summary>
    private static async Task RunToEndAsync(PipelineRuntime runtime)
    {
        using (var cancellation = new CancellationTokenSource(Timeout))
        {
            await runtime.WaitForInputEndAsync(cancellation.Token);
        }

        Assert.True(runtime.InputFinished);
        Assert.Empty(runtime.InputErrors);
        await runtime.StopAsync(Timeout);
        Assert.Equal(0, runtime.Pool.Rented);
    }

    private static void AssertCounted(PipelineRuntime runtime, List<byte[]> packets)
    {
        var bytes = packets.Sum(p => (long)p.Length);
        var wan = runtime.CountersOf("wan");
        var lan = runtime.CountersOf("lan");
        Assert.Equal(packets.Count, wan.InPackets);
        Assert.Equal(bytes, wan.InBytes);
        Assert.Equal(packets.Count, lan.OutPackets);
        Assert.Equal(bytes, lan.OutBytes);
        Assert.Equal(0, wan.TotalDrops + lan.TotalDrops);
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
