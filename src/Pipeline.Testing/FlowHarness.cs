using Akka.Actor;
using Netmap.Io;
using Netmap.Io.Files;
using Netmap.Io.Memory;
using Netmap.Io.Ports;
using Pipeline.Config;
using Pipeline.Plugins;
using Pipeline.Runtime;
using Pipeline.Stages;

namespace Pipeline.Testing;

/// <summary>
/// Runs a pipeline to completion for a test and returns what came out of every sink, ready for a snapshot:
/// <code>
/// var result = await new FlowHarness(BuiltInStages.CreateRegistry())
///     .WithInput("wan", [new PacketBuilder().Ethernet().Ipv4().Udp(1234, 53).Payload(20).Build()])
///     .RunFileAsync("pipelines/quickstart.yaml");
/// Snapshot.Match(result.ToText());
/// </code>
/// Sources are the pipeline's own <c>pcap:</c> files, or the packets given with <see cref="WithInput"/>
/// (written to a temporary capture); every port used as a sink is redirected to a temporary
/// <c>pcap-out:</c> file, read back when the input has ended and everything is delivered. Ports joined to
/// each other outside the pipes (the two ends of a pipe, the ports of a VALE switch, a monitor and the port
/// it watches: <see cref="PortLinks.IsLinked"/>) stay as they are. The run is
/// checked: batch ownership and buffer ownership are verified, and a leaked buffer fails the run.
/// </summary>
public sealed class FlowHarness
{
    private static readonly Akka.Configuration.Config Quiet = Akka.Configuration.ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        """);

    private readonly StageRegistry _registry;
    private readonly Dictionary<string, List<byte[]>> _inputs = new(StringComparer.Ordinal);

    /// <summary>A harness whose pipelines may name the stages of <paramref name="registry"/> (and their plugins').</summary>
    public FlowHarness(StageRegistry registry)
    {
        _registry = registry;
    }

    /// <summary>
    /// The directory relative <c>pcap:</c> source paths resolve against (the pipeline command resolves them
    /// against the current directory). <b>Default:</b> the current directory.
    /// </summary>
    public string? BaseDirectory { get; init; }

    /// <summary>How long a run may take before it fails. <b>Default:</b> 30 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Feeds <paramref name="packets"/> (Ethernet frames) into port <paramref name="port"/> instead of its own spec.</summary>
    public FlowHarness WithInput(string port, IEnumerable<byte[]> packets)
    {
        _inputs[port] = [.. packets];
        return this;
    }

    /// <summary>Runs the pipeline in <paramref name="path"/> (plugins resolve next to it).</summary>
    public Task<FlowResult> RunFileAsync(string path) =>
        RunAsync(PipelineLoader.Load(path, _registry, new PluginLoader()));

    /// <summary>Runs a pipeline given as YAML text.</summary>
    public Task<FlowResult> RunYamlAsync(string yaml, string? baseDirectory = null) =>
        RunAsync(PipelineLoader.Parse(yaml, "<yaml>", _registry, baseDirectory ?? Directory.GetCurrentDirectory(), new PluginLoader()));

    /// <summary>Runs an already loaded definition.</summary>
    public async Task<FlowResult> RunAsync(PipelineDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var work = Directory.CreateTempSubdirectory("flow-");
        try
        {
            var (rewritten, sinks) = Rewrite(definition, work.FullName);
            var system = ActorSystem.Create("flow-harness", Quiet);
            var domain = new NetmapDomain(new ArenaOptions { BufferCount = definition.Memory.Buffers, BufferSize = definition.Memory.BufferSize, Checked = true });
            try
            {
                var runtime = PipelineRuntime.Start(system, rewritten, new PipelineRuntimeOptions { Domain = domain, Checked = true });
                using (var timeout = new CancellationTokenSource(Timeout))
                {
                    try
                    {
                        await runtime.WaitForInputEndAsync(timeout.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        await runtime.StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                        throw new TimeoutException($"pipeline '{definition.Name}' did not finish within {Timeout.TotalSeconds:0} s");
                    }
                }

                await runtime.StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                foreach (var (port, error) in runtime.InputErrors)
                {
                    throw new InvalidOperationException($"port '{port}': {error.Message}", error);
                }

                foreach (var (port, error) in runtime.PortFaults)
                {
                    throw new InvalidOperationException($"port '{port}' failed: {error.Message}", error);
                }

                domain.AssertNoLeaks();
                var counters = new List<Metrics.NodeCountersSnapshot>();
                foreach (var node in runtime.Counters)
                {
                    counters.Add(node.Snapshot());
                }

                var outputs = new List<KeyValuePair<string, IReadOnlyList<byte[]>>>();
                foreach (var (port, file) in sinks)
                {
                    outputs.Add(new(port, ReadAll(file)));
                }

                return new FlowResult(definition.Name, outputs, counters);
            }
            finally
            {
                domain.Dispose();
                await system.Terminate().ConfigureAwait(false);
            }
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private (PipelineDefinition Definition, List<(string Port, string File)> Sinks) Rewrite(PipelineDefinition definition, string directory)
    {
        var sinkNames = new HashSet<string>(StringComparer.Ordinal);
        var sourceNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var edge in definition.Edges)
        {
            if (edge.ToKind == NodeKind.Port)
            {
                sinkNames.Add(edge.To);
            }

            if (edge.FromKind == NodeKind.Port)
            {
                sourceNames.Add(edge.From);
            }
        }

        foreach (var name in _inputs.Keys)
        {
            if (!definition.Ports.Any(p => p.Name == name))
            {
                throw new ArgumentException($"pipeline '{definition.Name}' has no port '{name}' to feed");
            }
        }

        var ports = new List<PortDefinition>();
        var sinks = new List<(string, string)>();
        foreach (var port in definition.Ports)
        {
            var spec = port.Spec;
            if (_inputs.TryGetValue(port.Name, out var packets))
            {
                if (sinkNames.Contains(port.Name))
                {
                    throw new ArgumentException($"port '{port.Name}' is also a sink: a fed port can only be a source");
                }

                var file = Path.Combine(directory, port.Name + "-in.pcap");
                using (var writer = PcapFormat.Create(file))
                {
                    for (var i = 0; i < packets.Count; i++)
                    {
                        writer.WritePacket(packets[i], timestampNs: i * 1_000L);
                    }
                }

                spec = PortSpecParser.Parse("pcap:" + file);
            }
            else if (PortLinks.IsLinked(definition, port))
            {
                // Part of the pipeline's own wiring (a pipe end whose other end it declares, a VALE port, a
                // monitor and the port it watches): kept, and it ends when the rest of the pipeline has.
                if (sourceNames.Contains(port.Name) && !PortLinks.IsFedInternally(definition, port))
                {
                    throw new ArgumentException($"port '{port.Name}' ({spec.Spec}) is fed from outside the pipeline and never ends: feed it with WithInput");
                }
            }
            else if (sinkNames.Contains(port.Name))
            {
                var file = Path.Combine(directory, port.Name + "-out.pcap");
                spec = PortSpecParser.Parse("pcap-out:" + file);
                sinks.Add((port.Name, file));
            }
            else if (spec.Prefix == PortPrefix.Pcap && !Path.IsPathRooted(spec.Name))
            {
                spec = PortSpecParser.Parse("pcap:" + Path.GetFullPath(spec.Name, BaseDirectory ?? Directory.GetCurrentDirectory()));
            }
            else if (sourceNames.Contains(port.Name) && spec.Prefix != PortPrefix.Pcap)
            {
                throw new ArgumentException($"port '{port.Name}' ({spec.Spec}) never ends: feed it with WithInput");
            }

            ports.Add(port with { Spec = spec });
        }

        return (definition with { Ports = ports }, sinks);
    }

    private static List<byte[]> ReadAll(string file)
    {
        var packets = new List<byte[]>();
        using var reader = PcapFormat.OpenRead(file);
        var buffer = new byte[PcapFormat.MaxCapturedLength];
        while (reader.TryReadPacket(buffer, out var info))
        {
            packets.Add(buffer[..info.Length]);
        }

        return packets;
    }
}
