using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Pipeline.Cli.Console;
using Pipeline.Cluster;
using Pipeline.Cluster.Counters;
using Pipeline.Cluster.Hosting;
using Pipeline.Config;

namespace Pipeline.Cli.Commands;

/// <summary>
/// <c>pipeline run FILE --role R [--seed HOST:PORT]... [--listen HOST:PORT]</c>: runs one node of a pipeline whose
/// file has a <c>nodes:</c> section, on Akka.Cluster. It joins the seeds (or starts a cluster), says which roles it
/// waits for, runs its part once every role is present, stops on the same conditions as a local run (the whole
/// cluster's end of input, N packets read cluster-wide, S seconds, Ctrl-C), and prints the cluster-wide table.
/// </summary>
internal static class ClusterRun
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(1);

    /// <summary>The options <c>run</c> adds for cluster nodes.</summary>
    public static (Option<string?> Role, Option<string[]> Seed, Option<string?> Listen) Options() =>
    (
        new Option<string?>("--role") { Description = "Run one node of a cluster pipeline: the role (of the file's 'nodes:') this node plays.", HelpName = "R" },
        new Option<string[]>("--seed")
        {
            Description = "A node of the cluster to join (repeatable); none starts a new cluster. Give the address another node printed.",
            HelpName = "HOST:PORT",
            AllowMultipleArgumentsPerToken = false,
        },
        new Option<string?>("--listen") { Description = "Where this node listens (default 127.0.0.1 and a free port).", HelpName = "HOST:PORT" }
    );

    /// <summary>--seed and --listen need --role; addresses must be HOST:PORT.</summary>
    public static void Validate(CommandResult result, Option<string?> role, Option<string[]> seed, Option<string?> listen)
    {
        var seeds = result.GetValue(seed) ?? [];
        var where = result.GetValue(listen);
        if (result.GetValue(role) is null && (seeds.Length > 0 || where is not null))
        {
            result.AddError("--seed and --listen need --role: they place one node of a cluster pipeline");
        }

        foreach (var address in seeds)
        {
            if (!TryParseAddress(address, allowPortZero: false, out _, out _))
            {
                result.AddError($"--seed '{address}' is not HOST:PORT (a port from 1 to 65535)");
            }
        }

        if (where is not null && !TryParseAddress(where, allowPortZero: true, out _, out _))
        {
            result.AddError($"--listen '{where}' is not HOST:PORT (a port from 0 to 65535; 0 picks a free one)");
        }
    }

    /// <summary>Runs the node; 0, 2 for a role the file does not have, 1 when it cannot start or is removed from the cluster.</summary>
    public static async Task<int> ExecuteAsync(RunSettings settings, PipelineDefinition definition, CliContext context, CancellationToken stop)
    {
        var role = settings.Role!;
        if (definition.Nodes.Count == 0)
        {
            context.Error.WriteLine($"{settings.File}: --role needs a pipeline with a 'nodes:' section (this one runs in one process: leave --role out)");
            return ExitCodes.Invalid;
        }

        if (!definition.Nodes.Contains(role))
        {
            context.Error.WriteLine($"{settings.File}: unknown role '{role}' (the file's nodes: {string.Join(", ", definition.Nodes)})");
            return ExitCodes.Invalid;
        }

        var host = "127.0.0.1";
        var port = 0;
        if (settings.Listen is { } listen)
        {
            TryParseAddress(listen, allowPortZero: true, out host, out port);
        }

        var options = new ClusterPipelineOptions
        {
            Definition = definition,
            Role = role,
            Seeds = settings.Seeds ?? [],
            HostName = host,
            Port = port,
            Checked = settings.Checked,
            DrainTimeout = RunCommand.DrainTimeout,
        };
        ClusterNode node;
        try
        {
            node = await ClusterNode.StartAsync(options, stop).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            context.Error.WriteLine($"{settings.File}: cannot start node '{role}': {Innermost(ex).Message}");
            return ExitCodes.Failure;
        }

        await using (node.ConfigureAwait(false))
        {
            var pipeline = node.Pipeline;
            context.Out.WriteLine(options.Seeds.Count == 0
                ? $"{definition.Name}: node {pipeline.NodeName} started a cluster; other nodes join with --seed {pipeline.SelfAddress}"
                : $"{definition.Name}: node {pipeline.NodeName} joining {string.Join(", ", options.Seeds)}");
            var waited = await WaitForStartAsync(pipeline, node, context, stop).ConfigureAwait(false);
            if (waited is { } failure)
            {
                return failure;
            }

            context.Out.WriteLine($"{definition.Name}: every role is present; {pipeline.NodeName} runs {Describe(pipeline.LocalDefinition)}");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var reason = await RunAsync(pipeline, node, settings, context, clock, stop).ConfigureAwait(false);
            clock.Stop();
            await pipeline.StopAsync(RunCommand.DrainTimeout).ConfigureAwait(false);
            var view = pipeline.View;
            context.Out.WriteLine($"{definition.Name}: {pipeline.NodeName} stopped after {Units.Seconds(clock.Elapsed)} s ({reason})");
            Table(view).WriteTo(context);
            context.Out.WriteLine(Balance(view));
            var failed = reason == RemovedReason;
            if (pipeline.Runtime is { } runtime)
            {
                foreach (var (name, error) in runtime.InputErrors)
                {
                    context.Error.WriteLine($"{settings.File}: port '{name}': {error.Message}");
                    failed = true;
                }

                foreach (var (name, error) in runtime.PortFaults)
                {
                    context.Error.WriteLine($"{settings.File}: port '{name}' failed: {error.Message}");
                    failed = true;
                }
            }

            return failed ? ExitCodes.Failure : ExitCodes.Ok;
        }
    }

    /// <summary>
    /// The cluster-wide table: a row per port, stage and cross-node link of every node (<c>role@host:port</c>), with
    /// the node's status, packets and bytes in and out, and drops by reason; a lost node adds what was lost with it.
    /// </summary>
    public static ReportTable Table(ClusterView view)
    {
        var table = new ReportTable("node", "status", "name", "kind", "in packets>", "in bytes>", "out packets>", "out bytes>", "drops");
        foreach (var node in view.Nodes)
        {
            var status = node.Status.ToString().ToLowerInvariant();
            foreach (var row in node.Rows)
            {
                table.Add(
                    node.Node, status, row.Name, row.Kind.ToString().ToLowerInvariant(),
                    Units.Count(row.InPackets), Units.Count(row.InBytes), Units.Count(row.OutPackets), Units.Count(row.OutBytes),
                    Drops(row.Drops));
            }

            if (node.LostInside != 0)
            {
                table.Add(node.Node, status, "(inside the node)", "lost", "-", "-", "-", "-", $"node-lost={Units.Count(node.LostInside)}");
            }
        }

        return table;
    }

    /// <summary><c>cluster: 100 in = 90 out + 10 dropped (node-lost=10)</c>, and whether that adds up.</summary>
    public static string Balance(ClusterView view)
    {
        var line = $"cluster: {Units.Count(view.SourceIn)} in, {Units.Count(view.SinkOut)} out, {Units.Count(view.TotalDrops)} dropped ({Drops(view.Drops)})";
        return view.Balanced ? line + ": every packet accounted for" : line + $": {Units.Count(view.SourceIn - view.SinkOut - view.TotalDrops)} still in flight or unreported";
    }

    private const string RemovedReason = "this node was removed from the cluster";

    // Prints which roles are missing whenever that changes, until the pipeline starts; an exit code when it does not.
    private static async Task<int?> WaitForStartAsync(ClusterPipeline pipeline, ClusterNode node, CliContext context, CancellationToken stop)
    {
        string? said = null;
        while (!pipeline.Started.IsCompleted)
        {
            var waiting = pipeline.WaitingFor;
            var text = pipeline.Status == ClusterPipelineStatus.Joining ? "joining the cluster" : waiting.Count == 0 ? null : $"waiting for nodes: {string.Join(", ", waiting)}";
            if (text is not null && text != said)
            {
                context.Out.WriteLine($"{pipeline.Definition.Name}: {text}");
                said = text;
            }

            if (stop.IsCancellationRequested)
            {
                context.Out.WriteLine($"{pipeline.Definition.Name}: interrupted before every role was present");
                return ExitCodes.Ok;
            }

            if (node.System.WhenTerminated.IsCompleted)
            {
                context.Error.WriteLine($"{pipeline.Definition.Name}: {RemovedReason}");
                return ExitCodes.Failure;
            }

            try
            {
                await Task.Delay(Poll, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // checked at the top of the loop
            }
        }

        if (pipeline.Started.IsFaulted)
        {
            context.Error.WriteLine($"{pipeline.Definition.File}: cannot start node '{pipeline.Role}': {Innermost(pipeline.Started.Exception!).Message}");
            return ExitCodes.Failure;
        }

        return null;
    }

    private static async Task<string> RunAsync(ClusterPipeline pipeline, ClusterNode node, RunSettings settings, CliContext context, System.Diagnostics.Stopwatch clock, CancellationToken stop)
    {
        var next = ProgressInterval;
        while (true)
        {
            if (stop.IsCancellationRequested)
            {
                return "interrupted";
            }

            if (node.System.WhenTerminated.IsCompleted)
            {
                return RemovedReason;
            }

            var view = pipeline.View;
            if (settings.Packets is { } limit && view.SourceIn >= limit)
            {
                return $"{settings.Packets} packets received by the cluster";
            }

            if (settings.Duration is { } duration && clock.Elapsed >= duration)
            {
                return "duration reached";
            }

            if (pipeline.InputFinished)
            {
                return "end of input on every node";
            }

            if (!settings.Quiet && clock.Elapsed >= next)
            {
                var running = view.Nodes.Count(n => n.Status == ClusterNodeStatus.Running);
                context.Out.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"t={Units.Seconds(clock.Elapsed)}s  nodes {running}/{view.Nodes.Count}  in {view.SourceIn}  out {view.SinkOut}  dropped {view.TotalDrops}"));
                next += ProgressInterval;
            }

            try
            {
                await Task.Delay(Poll, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return "interrupted";
            }
        }
    }

    private static string Describe(PipelineDefinition local) =>
        $"{local.Ports.Count} ports and {local.Stages.Count} stages ({string.Join(", ", local.Ports.Select(p => p.Name).Concat(local.Stages.Select(s => s.Name)))})";

    private static string Drops(IReadOnlyDictionary<Stages.DropReason, long> drops) =>
        drops.Count == 0 ? "0" : string.Join(", ", drops.OrderBy(d => d.Key).Select(d => $"{Stages.DropReasons.Name(d.Key)}={Units.Count(d.Value)}"));

    private static bool TryParseAddress(string text, bool allowPortZero, out string host, out int port)
    {
        host = string.Empty;
        port = 0;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535 || (port == 0 && !allowPortZero))
        {
            return false;
        }

        host = text[..colon].Trim('[', ']');
        return host.Length > 0;
    }

    private static Exception Innermost(Exception ex)
    {
        while (ex is AggregateException { InnerException: { } inner })
        {
            ex = inner;
        }

        return ex;
    }
}
