using Pipeline.Config;
using Pipeline.Stages;

namespace Pipeline.Tests.Config;

/// <summary>
/// The port key <c>netns</c>: the Linux network namespace a <c>netmap:IF</c> or <c>tap:NAME</c> port is opened in.
/// A bad value is a <c>FILE:LINE:COL</c> error at the value (at the key when it is empty or does not apply),
/// reported with every other error of the file. (Opening in a namespace is tested in Pipeline.Linux.Tests.)
/// </summary>
public sealed class PortNamespaceConfigTests
{
    private const string File = "p.yaml";

    [Fact]
    public void Netns_reaches_the_port_definition_and_is_null_without_the_key()
    {
        var definition = PipelineLoader.Parse("""
            name: p
            ports:
              a: { spec: "netmap:veth0", netns: blue }
              b: { spec: "tap:tap0", netns: /proc/1/ns/net }
              c: { spec: "netmap:eth1-0" }
              d: { spec: "netmap:eth1-1" }
            pipes:
              - a -> b
              - c -> d
            """, File, new StageRegistry());

        Assert.Equal(["blue", "/proc/1/ns/net", null, null], definition.Ports.Select(p => p.Netns));
    }

    [Fact]
    public void Rings_of_one_interface_share_its_namespace()
    {
        var definition = PipelineLoader.Parse("""
            name: p
            ports:
              a: { spec: "netmap:veth0-0", netns: blue }
              b: { spec: "netmap:veth0-1", netns: blue }
              watch: { spec: "netmap:veth0-0/r" }
            pipes:
              - a -> b
              - watch -> drop
            """, File, new StageRegistry());

        Assert.Equal(["blue", "blue", null], definition.Ports.Select(p => p.Netns));
    }

    [Theory]
    [InlineData("empty", "netns: ", "p.yaml:3:30: 'netns' must be a network namespace name (as 'ip netns list' shows it) or the absolute path of a namespace file, found nothing")]
    [InlineData("a list", "netns: [blue]", "p.yaml:3:37: 'netns' must be a network namespace name (as 'ip netns list' shows it) or the absolute path of a namespace file, found a list")]
    [InlineData("a relative path", "netns: run/blue", "p.yaml:3:37: invalid 'netns': 'run/blue' is neither a network namespace name (no '/' in one) nor an absolute path")]
    [InlineData("dot dot", "netns: '..'", "p.yaml:3:37: invalid 'netns': '..' is not a network namespace name")]
    public void A_bad_netns_value_is_reported_where_it_is(string name, string keys, string expected)
    {
        _ = name;
        var yaml = $$"""
            name: p
            ports:
              a: { spec: "netmap:veth0", {{keys}} }
              b: { spec: "null" }
            pipes:
              - a -> b
            """;

        Assert.Equal([expected], Errors(yaml));
    }

    [Theory]
    [InlineData("a pipe end", "netmap:x{1", "p.yaml:3:28: 'netns' applies only to a port on a Linux device (netmap:IF, tap:NAME), not to 'netmap:x{1'")]
    [InlineData("a pcap file", "pcap:in.pcap", "p.yaml:3:30: 'netns' applies only to a port on a Linux device (netmap:IF, tap:NAME), not to 'pcap:in.pcap'")]
    [InlineData("a VALE port", "vale0:a", "p.yaml:3:25: 'netns' applies only to a port on a Linux device (netmap:IF, tap:NAME), not to 'vale0:a'")]
    [InlineData("a null port", "null", "p.yaml:3:22: 'netns' applies only to a port on a Linux device (netmap:IF, tap:NAME), not to 'null'")]
    public void Netns_on_a_port_without_a_device_is_an_error_at_the_key(string name, string spec, string expected)
    {
        _ = name;
        var yaml = $$"""
            name: p
            ports:
              a: { spec: "{{spec}}", netns: blue }
              b: { spec: "null" }
            pipes:
              - a -> b
            """;

        Assert.Equal([expected], Errors(yaml));
    }

    [Fact]
    public void Netns_on_a_monitor_is_an_error_at_the_key()
    {
        const string yaml = """
            name: p
            ports:
              a: { spec: "netmap:veth0", netns: blue }
              watch: { spec: "netmap:veth0/t", netns: blue }
            pipes:
              - watch -> drop
              - a -> drop
            """;

        Assert.Equal(["p.yaml:4:36: 'netns' does not apply to a monitor: it opens through the port it watches, in that port's namespace"], Errors(yaml));
    }

    [Fact]
    public void One_interface_name_in_two_namespaces_is_an_error_at_the_later_port()
    {
        const string yaml = """
            name: p
            ports:
              a: { spec: "netmap:eth0", netns: blue }
              b: { spec: "netmap:eth0-1", netns: red }
              c: { spec: "netmap:eth0^" }
              t: { spec: "tap:eth0", netns: red }
            pipes:
              - a -> b
              - c -> t
            """;

        Assert.Equal(
            [
                "p.yaml:4:3: port 'b' opens 'eth0' in network namespace 'red' but port 'a' opens it in network namespace 'blue': a pipeline reaches a device name in one namespace only (rename one of the interfaces)",
                "p.yaml:5:3: port 'c' opens 'eth0' in the pipeline's own network namespace but port 'a' opens it in network namespace 'blue': a pipeline reaches a device name in one namespace only (rename one of the interfaces)",
            ],
            Errors(yaml));
    }

    [Fact]
    public void Netns_errors_come_with_the_files_other_errors()
    {
        const string yaml = """
            name: p
            ports:
              a: { spec: "netmap:veth0", netns: }
              b: { spec: "null", netns: blue }
              c: { spec: "netmap:veth1", overflow: maybe }
            pipes:
              - a -> b
              - c -> nowhere
            """;

        var errors = Errors(yaml);

        Assert.Equal(4, errors.Count);
        Assert.StartsWith("p.yaml:3:30: 'netns' must be", errors[0], StringComparison.Ordinal);
        Assert.StartsWith("p.yaml:4:22: 'netns' applies only", errors[1], StringComparison.Ordinal);
        Assert.StartsWith("p.yaml:5:40: 'overflow' must be", errors[2], StringComparison.Ordinal);
        Assert.StartsWith("p.yaml:8:10:", errors[3], StringComparison.Ordinal);
    }

    private static List<string> Errors(string yaml)
    {
        Assert.False(PipelineLoader.TryParse(yaml, File, new StageRegistry(), out var definition, out var errors, "/base"));
        Assert.Null(definition);
        return [.. errors.Select(e => e.ToString())];
    }
}
