using Pipeline.Cli.Console;
using Pipeline.Config;
using Pipeline.Metrics;
using Pipeline.Stages;

namespace Pipeline.Cli.Tests.Console;

public sealed class ProgressTests
{
    private static readonly PipelineDefinition Definition = new()
    {
        Name = "t",
        Ports = [],
        Stages = [],
        Edges =
        [
            new EdgeDefinition("wan", NodeKind.Port, "out", "tag", NodeKind.Stage, SourceSpan.None),
            new EdgeDefinition("tag", NodeKind.Stage, "out", "lan", NodeKind.Port, SourceSpan.None),
            new EdgeDefinition("tap", NodeKind.Port, "out", "tap", NodeKind.Port, SourceSpan.None),
        ],
    };

    [Fact]
    public void Rates_are_the_difference_over_the_time_between_samples_and_ports_show_the_side_they_use()
    {
        var sampler = new TrafficSampler(Definition);
        sampler.Sample(Counters(wanIn: 1000, tagIn: 1000, lanOut: 900), TimeSpan.FromSeconds(1));

        var rows = sampler.Sample(Counters(wanIn: 3000, tagIn: 3000, lanOut: 2900), TimeSpan.FromSeconds(2));

        Assert.Equal(["wan rx", "lan tx", "tap rx", "tap tx", "tag stage"], rows.Select(r => $"{r.Node} {r.Role}"));
        var wan = rows[0];
        Assert.Equal(3000, wan.Packets);
        Assert.Equal(2000, wan.PacketsPerSecond, 3);
        Assert.Equal(2000 * 64 * 8, wan.BitsPerSecond, 3);
        Assert.Equal(2000, rows[1].PacketsPerSecond, 3);
        Assert.Equal(5, rows[4].Drops);
    }

    [Fact]
    public void A_progress_line_lists_every_row()
    {
        var rows = new TrafficSampler(Definition).Sample(Counters(wanIn: 1234, tagIn: 1234, lanOut: 1229), TimeSpan.FromSeconds(2));

        Assert.Equal(
            "t=2.0s wan rx 1234 (617 pps), lan tx 1229 (614 pps), tap rx 0 (0 pps), tap tx 0 (0 pps), tag 1234 (617 pps) drops 5",
            ProgressLines.Line(TimeSpan.FromSeconds(2), rows));
    }

    [Theory]
    [InlineData(617, "617 pps")]
    [InlineData(61_700, "61.7 kpps")]
    [InlineData(1_234_567, "1.23 Mpps")]
    public void Packet_rates_scale_their_unit(double pps, string expected) => Assert.Equal(expected, Units.PacketRate(pps));

    private static List<NodeCountersSnapshot> Counters(long wanIn, long tagIn, long lanOut) =>
    [
        new("wan", NodeRole.Port, wanIn, wanIn * 64, 0, 0, new Dictionary<DropReason, long>(), 0),
        new("lan", NodeRole.Port, 0, 0, lanOut, lanOut * 64, new Dictionary<DropReason, long>(), 0),
        new("tap", NodeRole.Port, 0, 0, 0, 0, new Dictionary<DropReason, long>(), 0),
        new("tag", NodeRole.Stage, tagIn, tagIn * 64, tagIn - 5, (tagIn - 5) * 64, new Dictionary<DropReason, long> { [DropReason.Filtered] = 5 }, 0),
    ];
}
