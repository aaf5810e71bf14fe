using Pipeline.Stages;
using Pipeline.Testing;

namespace Stages.Tests.Filter;

// filter and classify through the loader and the runtime, as `pipeline run` uses them: the deny gate and
// the rules' gates wired by pipes, drops counted by reason.
public sealed class FilteringFlowTests
{
    private static readonly byte[] Dns = FilterFrames.All["udp4-dns"];
    private static readonly byte[] Web = FilterFrames.All["tcp4-web"];
    private static readonly byte[] Other = FilterFrames.All["tcp4-high"];
    private static readonly byte[] Arp = FilterFrames.All["arp"];
    private static readonly byte[] Blocked = new PacketBuilder().Ethernet().Ipv4("10.66.1.1", "192.0.2.53").Udp(1234, 53).Build();

    [Fact]
    public async Task Filter_then_classify_send_each_packet_to_its_port()
    {
        var yaml = """
            name: filtering
            ports:
              wan: { spec: "null" }
              lan: { spec: "null" }
              dns: { spec: "null" }
              web: { spec: "null" }
              rejected: { spec: "null" }
            stages:
              fw: { type: filter, deny: ["ip src 10.66.0.0/16"], allow: ["udp", "tcp"] }
              split:
                type: classify
                rules:
                  - { match: "udp dst 53", gate: dns }
                  - { match: "tcp dst 80", gate: web }
            pipes:
              - wan -> fw -> split -> lan
              - fw.deny -> rejected
              - split.dns -> dns
              - split.web -> web
            """;

        var result = await new FlowHarness(BuiltInStages.CreateRegistry())
            .WithInput("wan", [Dns, Web, Other, Arp, Blocked, Dns])
            .RunYamlAsync(yaml);

        Assert.Equal([Dns, Dns], result.Sinks["dns"]);
        Assert.Equal([Web], result.Sinks["web"]);
        Assert.Equal([Other], result.Sinks["lan"]);
        Assert.Equal([Arp, Blocked], result.Sinks["rejected"]);
        Assert.Equal(0, result.CountersOf("fw").TotalDrops);
    }

    [Fact]
    public async Task Denied_packets_are_dropped_as_denied_without_a_deny_pipe()
    {
        var yaml = """
            name: filtering
            ports:
              wan: { spec: "null" }
              lan: { spec: "null" }
            stages:
              fw: { type: filter, allow: ["udp dst 53"] }
            pipes:
              - wan -> fw -> lan
            """;

        var result = await new FlowHarness(BuiltInStages.CreateRegistry())
            .WithInput("wan", [Dns, Web, Arp, Dns])
            .RunYamlAsync(yaml);

        Assert.Equal([Dns, Dns], result.Sinks["lan"]);
        var fw = result.CountersOf("fw");
        Assert.Equal(2, fw.Drops[DropReason.Denied]);
        Assert.Equal(2, fw.TotalDrops);
    }
}
