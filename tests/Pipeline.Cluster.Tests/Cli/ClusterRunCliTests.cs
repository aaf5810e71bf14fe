using System.Net;
using System.Net.Sockets;
using Pipeline.Cli;
using Pipeline.Cluster.Tests.Support;
using Stages;

namespace Pipeline.Cluster.Tests.Cli;

public sealed class ClusterRunCliTests
{
    [Fact]
    public async Task Two_pipeline_run_nodes_run_one_pipeline_and_each_prints_the_cluster_wide_table()
    {
        await using var cluster = new ClusterFixture();
        var sent = FlowCapture.Write(cluster.PathOf("in.pcap"), flows: 8, perFlow: 50);
        var file = cluster.PathOf("two.yaml");
        File.WriteAllText(file, $$"""
            name: two
            nodes: [edge, worker]
            ports:
              wan: { spec: "pcap:{{cluster.PathOf("in.pcap")}}", node: edge }
              out: { spec: "pcap-out:{{cluster.PathOf("out.pcap")}}", node: edge }
            stages:
              tag: { type: vlan-push, vid: 100, node: worker }
            pipes:
              - wan -> tag -> out
            """);
        var port = FreePort();
        var (edgeOut, edgeContext) = Context();
        var (workerOut, workerContext) = Context();
        using var timeout = new CancellationTokenSource(ClusterFixture.Patience);

        var edge = PipelineCli.InvokeAsync(["run", file, "--role", "edge", "--listen", $"127.0.0.1:{port}", "--quiet"], edgeContext, timeout.Token);
        await ClusterFixture.WaitUntilAsync(() => edgeOut.ToString().Contains("waiting for nodes: worker (0 of 1)", StringComparison.Ordinal), "the edge waits for the worker");
        var worker = PipelineCli.InvokeAsync(["run", file, "--role", "worker", "--seed", $"127.0.0.1:{port}", "--quiet"], workerContext, timeout.Token);

        var codes = await Task.WhenAll(edge, worker);
        Assert.Equal(new[] { 0, 0 }, codes);
        var edgeText = edgeOut.ToString();
        Assert.Contains($"two: node edge@127.0.0.1:{port} started a cluster; other nodes join with --seed 127.0.0.1:{port}", edgeText, StringComparison.Ordinal);
        Assert.Contains("(end of input on every node)", edgeText, StringComparison.Ordinal);
        Assert.Contains($"cluster: {sent.Count} in, {sent.Count} out, 0 dropped (0): every packet accounted for", edgeText, StringComparison.Ordinal);
        var workerText = workerOut.ToString();
        Assert.Contains($"two: node worker@127.0.0.1:", workerText, StringComparison.Ordinal);
        Assert.Contains($"joining 127.0.0.1:{port}", workerText, StringComparison.Ordinal);
        foreach (var text in new[] { edgeText, workerText })
        {
            // Both nodes print every node's rows: the edge's ports and links, the worker's stage.
            var rows = text.Split('\n');
            Assert.Contains(rows, r => r.StartsWith($"edge@127.0.0.1:{port}", StringComparison.Ordinal) && r.Contains(" wan ", StringComparison.Ordinal) && r.Contains($" {sent.Count} ", StringComparison.Ordinal));
            Assert.Contains(rows, r => r.StartsWith("worker@127.0.0.1:", StringComparison.Ordinal) && r.Contains(" tag ", StringComparison.Ordinal) && r.Contains($" {sent.Count} ", StringComparison.Ordinal));
        }

        FlowCapture.AssertExactlyOnceInOrder(sent, FlowCapture.Read(cluster.PathOf("out.pcap")), shift: 4);
    }

    [Theory]
    [InlineData(new[] { "--seed", "127.0.0.1:4053" }, "--seed and --listen need --role")]
    [InlineData(new[] { "--role", "edge", "--seed", "nowhere" }, "--seed 'nowhere' is not HOST:PORT")]
    [InlineData(new[] { "--role", "edge", "--listen", "127.0.0.1:99999" }, "--listen '127.0.0.1:99999' is not HOST:PORT")]
    public async Task Bad_cluster_options_are_usage_errors(string[] options, string error)
    {
        await using var cluster = new ClusterFixture();
        var file = cluster.PathOf("p.yaml");
        File.WriteAllText(file, "name: p\nnodes: [edge]\nports:\n  in: { spec: \"netmap:pipe{1\" }\npipes:\n  - in -> drop\n");
        var (output, context) = Context();

        var code = await PipelineCli.InvokeAsync(["run", file, .. options], context);

        Assert.Equal(2, code);
        Assert.Contains(error, output.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("name: p\nports:\n  in: { spec: \"netmap:pipe{1\" }\npipes:\n  - in -> drop\n", "--role needs a pipeline with a 'nodes:' section")]
    [InlineData("name: p\nnodes: [edge, core]\nports:\n  in: { spec: \"netmap:pipe{1\" }\npipes:\n  - in -> drop\n", "unknown role 'worker' (the file's nodes: edge, core)")]
    public async Task A_role_the_file_does_not_have_is_refused(string yaml, string error)
    {
        await using var cluster = new ClusterFixture();
        var file = cluster.PathOf("p.yaml");
        File.WriteAllText(file, yaml);
        var (output, context) = Context();

        var code = await PipelineCli.InvokeAsync(["run", file, "--role", "worker"], context);

        Assert.Equal(2, code);
        Assert.Contains($"{file}: {error}", output.ToString(), StringComparison.Ordinal);
    }

    private static (Transcript Output, CliContext Context) Context()
    {
        var output = new Transcript();
        return (output, new CliContext { Registry = BuiltInStages.CreateRegistry(), Out = output.Writer, Error = output.Writer });
    }

    /// <summary>What a command wrote, readable while it still writes (the node runs on other threads).</summary>
    private sealed class Transcript
    {
        private readonly StringWriter _text = new();

        public Transcript() => Writer = TextWriter.Synchronized(_text);

        public TextWriter Writer { get; }

        public override string ToString()
        {
            lock (Writer) // TextWriter.Synchronized locks the wrapper itself
            {
                return _text.ToString();
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
