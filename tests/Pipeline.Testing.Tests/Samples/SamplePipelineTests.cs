using Snapshooter;
using Snapshooter.Xunit;
using Stages;

namespace Pipeline.Testing.Tests.Samples;

/// <summary>
/// Every sample pipeline in pipelines/ runs to the end over its sample capture, and what leaves every sink
/// (decoded headers and hex dump per packet) and the counters match the committed snapshot.
/// </summary>
public sealed class SamplePipelineTests
{
    public static TheoryData<string> Samples()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(RepoPaths.Pipelines, "*.yaml").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileNameWithoutExtension(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public async Task Sample_pipeline_output_matches_its_snapshot(string sample)
    {
        var harness = new FlowHarness(BuiltInStages.CreateRegistry()) { BaseDirectory = RepoPaths.Root };
        var result = await harness.RunFileAsync(Path.Combine(RepoPaths.Pipelines, sample + ".yaml"));

        Assert.NotEmpty(result.Sinks);
        Snapshot.Match(result.ToText(), SnapshotNameExtension.Create(sample));
    }

    [Fact]
    public async Task Quickstart_gives_back_exactly_the_frames_it_read()
    {
        var harness = new FlowHarness(BuiltInStages.CreateRegistry()) { BaseDirectory = RepoPaths.Root };
        var result = await harness.RunFileAsync(Path.Combine(RepoPaths.Pipelines, "quickstart.yaml"));

        var input = new List<byte[]>();
        using (var reader = Netmap.Io.Files.PcapFormat.OpenRead(Path.Combine(RepoPaths.Pipelines, "samples", "mixed.pcap")))
        {
            var buffer = new byte[Netmap.Io.Files.PcapFormat.MaxCapturedLength];
            while (reader.TryReadPacket(buffer, out var info))
            {
                input.Add(buffer[..info.Length]);
            }
        }

        Assert.Equal(input, result.Sinks["lan"]);
        Assert.Equal(result.CountersOf("wan").InBytes + (4 * input.Count), result.CountersOf("tag").OutBytes);
    }

    [Fact]
    public async Task Monitor_tap_copies_every_frame_as_it_crossed_the_pipe_before_the_tag()
    {
        var harness = new FlowHarness(BuiltInStages.CreateRegistry()) { BaseDirectory = RepoPaths.Root };
        var result = await harness.RunFileAsync(Path.Combine(RepoPaths.Pipelines, "monitor-tap.yaml"));

        var input = ReadSample("mixed.pcap");
        Assert.Equal(input, result.Sinks["copies"]); // exactly one copy of each frame, untouched by the stage after it
        Assert.Equal(input.Select(p => (byte[])[.. p[..12], 0x81, 0x00, 0x00, 0x64, .. p[12..]]), result.Sinks["lan"]);
        Assert.Equal(input.Count, result.CountersOf("tap").InPackets);
        Assert.Equal(input.Count, result.CountersOf("trunk-out").InPackets);
    }

    [Fact]
    public async Task Packets_built_in_code_flow_through_a_sample_pipeline()
    {
        var udp = new PacketBuilder().Ethernet("02:00:00:00:00:0a", "02:00:00:00:00:0b").Ipv4("192.0.2.1", "198.51.100.7").Udp(5000, 53).Payload(12).Build();
        var tagged = new PacketBuilder().Ethernet().Vlan(7).Ipv6().Tcp(40000, 80).Payload(4).Build();
        var harness = new FlowHarness(BuiltInStages.CreateRegistry()) { BaseDirectory = RepoPaths.Root }
            .WithInput("wan", [udp, tagged]);

        var result = await harness.RunFileAsync(Path.Combine(RepoPaths.Pipelines, "quickstart.yaml"));

        Assert.Equal([udp, tagged], result.Sinks["lan"]);
        Snapshot.Match(result.ToText());
    }

    private static List<byte[]> ReadSample(string name)
    {
        var packets = new List<byte[]>();
        using var reader = Netmap.Io.Files.PcapFormat.OpenRead(Path.Combine(RepoPaths.Pipelines, "samples", name));
        var buffer = new byte[Netmap.Io.Files.PcapFormat.MaxCapturedLength];
        while (reader.TryReadPacket(buffer, out var info))
        {
            packets.Add(buffer[..info.Length]);
        }

        return packets;
    }
}
