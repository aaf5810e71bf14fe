using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Pipeline.Cli.Console;
using Pipeline.Metrics;
using Pipeline.Runtime;
using Pipeline.Stages;
using Spectre.Console;

namespace Pipeline.Cli.Commands;

/// <summary>
/// <c>pipeline run FILE [--duration S] [--packets N] [--checked] [--quiet]</c>: runs the pipeline until its
/// input ends, N packets have been received, S seconds have passed or Ctrl-C; shows live rates while it
/// runs; then stops it cleanly (in-flight packets delivered or counted, files flushed) and prints a table of
/// packets, bytes and drops by reason per port and stage. With <c>--role R [--seed HOST:PORT] [--listen HOST:PORT]</c>
/// it runs one node of a pipeline split over several nodes (<see cref="ClusterRun"/>).
/// </summary>
internal static class RunCommand
{
    /// <summary>How long in-flight packets get to reach a sink when the pipeline stops.</summary>
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    // About 31 years: more than any run needs, and still a valid TimeSpan.
    private const double MaxSeconds = 1e9;

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan ReportInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>The <c>run</c> command.</summary>
    public static Command Create(CliContext context)
    {
        var file = PipelineFile.Argument();
        var duration = new Option<double?>("--duration", "-d") { Description = "Stop after S seconds.", HelpName = "S" };
        duration.Validators.Add(result =>
        {
            // Tokens, not the converted value: a value that did not convert has its own error already.
            if (result.Tokens is [var token] && double.TryParse(token.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
                && !(seconds > 0 && seconds <= MaxSeconds))
            {
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"--duration must be a positive number of seconds, at most {MaxSeconds:0.#########}"));
            }
        });
        var packets = new Option<long?>("--packets", "-n")
        {
            Description = "Stop once the source ports have received N packets (counted at the ports, so a stage's drops do not delay the stop).",
            HelpName = "N",
        };
        packets.Validators.Add(result =>
        {
            if (result.Tokens is [var token] && long.TryParse(token.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n <= 0)
            {
                result.AddError("--packets must be a positive number");
            }
        });
        var isChecked = new Option<bool>("--checked") { Description = "Checked mode: verify batch and buffer ownership (slower)." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress while running; only the final table." };
        var (role, seed, listen) = ClusterRun.Options();
        var command = new Command("run", "Runs a pipeline until its input ends, N packets, S seconds or Ctrl-C, then prints its counters.")
        {
            file, duration, packets, isChecked, quiet, role, seed, listen,
        };
        command.Validators.Add(result => ClusterRun.Validate(result, role, seed, listen));
        command.SetAction(async (parse, cancellation) =>
        {
            var settings = new RunSettings(
                parse.GetRequiredValue(file),
                parse.GetValue(duration) is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
                parse.GetValue(packets),
                parse.GetValue(isChecked),
                parse.GetValue(quiet),
                parse.GetValue(role),
                parse.GetValue(seed),
                parse.GetValue(listen));
            using var signal = new StopSignal(cancellation);
            return await ExecuteAsync(settings, context, signal.Token).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>
    /// Loads and runs the pipeline until a stop condition or <paramref name="stop"/>; returns 0, 2 for an invalid
    /// file, or 1 when it cannot start (<c>FILE: cannot start: message</c>) or an input failed.
    /// </summary>
    public static async Task<int> ExecuteAsync(RunSettings settings, CliContext context, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(context);
        if (!PipelineFile.TryLoad(settings.File, context, out var definition))
        {
            return ExitCodes.Invalid;
        }

        if (settings.Role is not null)
        {
            return await ClusterRun.ExecuteAsync(settings, definition, context, stop).ConfigureAwait(false);
        }

        var system = ActorSystem.Create("pipeline", QuietAkka.Config);
        try
        {
            PipelineRuntime runtime;
            try
            {
                var options = context.RuntimeOptions ?? new PipelineRuntimeOptions();
                runtime = PipelineRuntime.Start(system, definition, options with { Checked = options.Checked || settings.Checked, PacketLimit = settings.Packets ?? options.PacketLimit });
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A NetmapException for a port that cannot open; anything else that keeps the pipeline from starting alike.
                context.Error.WriteLine($"{settings.File}: cannot start: {ex.Message}");
                return ExitCodes.Failure;
            }

            var clock = Stopwatch.StartNew();
            StopReason reason;
            try
            {
                reason = await ProgressView.For(context, definition, settings.Quiet)
                    .ShowAsync(report => WaitForStopAsync(runtime, settings, clock, report, stop))
                    .ConfigureAwait(false);
            }
            finally
            {
                clock.Stop(); // the time the stop was decided, not counting the drain
                await runtime.StopAsync(DrainTimeout).ConfigureAwait(false);
            }

            var elapsed = clock.Elapsed;
            var counters = runtime.Counters.Select(c => c.Snapshot()).ToList();
            WriteLine(context, $"{definition.Name}: stopped after {Units.Seconds(elapsed)} s ({Describe(reason, settings)})");
            FinalTable(counters).WriteTo(context);
            var failedPorts = runtime.PortFaults;
            foreach (var node in counters.Where(c => c.Faults > 0 && !failedPorts.Any(f => f.Port == c.Name)))
            {
                var role = node.Role == NodeRole.Port ? "port" : "stage";
                context.Error.WriteLine($"{settings.File}: {role} '{node.Name}' threw {node.Faults} time(s) and was restarted; its packets are counted as fault drops");
            }

            var failed = false;
            foreach (var (port, error) in runtime.InputErrors)
            {
                context.Error.WriteLine($"{settings.File}: port '{port}': {error.Message}");
                failed = true;
            }

            foreach (var (port, error) in failedPorts)
            {
                context.Error.WriteLine($"{settings.File}: port '{port}' failed: {error.Message}");
                failed = true;
            }

            return failed ? ExitCodes.Failure : ExitCodes.Ok;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            context.Error.WriteLine($"{settings.File}: failed: {ex.Message}");
            return ExitCodes.Failure;
        }
        finally
        {
            await system.Terminate().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The final table: node, role, in packets, in bytes, out packets, out bytes, and drops as
    /// <c>reason=count</c> pairs (<c>0</c> when none), one row per port and stage, ports first, in file order.
    /// </summary>
    public static ReportTable FinalTable(IEnumerable<NodeCountersSnapshot> counters)
    {
        var table = new ReportTable("node", "role", "in packets>", "in bytes>", "out packets>", "out bytes>", "drops");
        foreach (var node in counters)
        {
            table.Add(
                node.Name,
                node.Role == NodeRole.Port ? "port" : "stage",
                Units.Count(node.InPackets),
                Units.Count(node.InBytes),
                Units.Count(node.OutPackets),
                Units.Count(node.OutBytes),
                Drops(node));
        }

        return table;
    }

    /// <summary><c>filtered=3, shutdown=2</c> in reason order, or <c>0</c>.</summary>
    public static string Drops(NodeCountersSnapshot node) =>
        node.Drops.Count == 0
            ? "0"
            : string.Join(", ", node.Drops.OrderBy(d => d.Key).Select(d => $"{DropReasons.Name(d.Key)}={Units.Count(d.Value)}"));

    // Polls the stop conditions every few milliseconds and reports the counters about four times a second.
    private static async Task<StopReason> WaitForStopAsync(
        PipelineRuntime runtime, RunSettings settings, Stopwatch clock, ProgressReport report, CancellationToken stop)
    {
        var nextReport = ReportInterval;
        while (true)
        {
            if (stop.IsCancellationRequested)
            {
                return StopReason.Interrupted;
            }

            if (settings.Packets is { } limit && ReceivedBySources(runtime) >= limit)
            {
                return StopReason.PacketLimit;
            }

            var elapsed = clock.Elapsed;
            if (elapsed >= nextReport)
            {
                // Before the stop checks: a pass that comes late (a loaded machine) still reports what was due.
                report(elapsed, [.. runtime.Counters.Select(c => c.Snapshot())]);
                while (nextReport <= elapsed)
                {
                    nextReport += ReportInterval; // on the quarter seconds, so the once-a-second lines fall on t=1.0, 2.0, ...
                }
            }

            if (settings.Duration is { } duration && elapsed >= duration)
            {
                return StopReason.Duration;
            }

            if (runtime.InputFinished)
            {
                return StopReason.EndOfInput;
            }

            if (runtime.AnyPortFaulted)
            {
                return StopReason.PortFailed; // it moves nothing any more: what was meant for it would only be dropped
            }

            try
            {
                await Task.Delay(Poll, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return StopReason.Interrupted;
            }
        }
    }

    // What the ports have received (a port's "in" is its RX): the packets that entered the pipeline.
    private static long ReceivedBySources(PipelineRuntime runtime)
    {
        long total = 0;
        foreach (var node in runtime.Counters)
        {
            if (node.Role == NodeRole.Port)
            {
                total += node.InPackets;
            }
        }

        return total;
    }

    private static string Describe(StopReason reason, RunSettings settings) => reason switch
    {
        StopReason.EndOfInput => "end of input",
        StopReason.PacketLimit => $"{settings.Packets} packets received",
        StopReason.Duration => "duration reached",
        StopReason.PortFailed => "a port failed",
        _ => "interrupted",
    };

    private static void WriteLine(CliContext context, string text)
    {
        if (context.Ansi is { } ansi)
        {
            ansi.WriteLine(text);
        }
        else
        {
            context.Out.WriteLine(text);
        }
    }
}
