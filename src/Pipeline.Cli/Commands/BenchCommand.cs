using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Pipeline.Cli.Bench;
using Pipeline.Config;

namespace Pipeline.Cli.Commands;

/// <summary>
/// <c>pipeline bench [SCENARIO...] [--size B,...] [--batch N,...] [--quick] [--rounds N] [--format F] [--ports MODE]
/// [--fuse] [--threads N]</c>: end-to-end throughput of named scenarios (Mpps, Gbit/s, ns per packet, allocated bytes per packet, GC collections);
/// <c>--sweep batch|stages|size|all --out DIR</c>: scaling sweeps written as CSV, a markdown table and a PNG plot.
/// </summary>
/// <remarks>
/// Progress goes to standard error, results to standard output, so <c>--format csv</c> pipes cleanly. Every case
/// checks its own accounting (every packet sent arrives, undamaged) and frees every buffer; a case that fails
/// says why and the command exits 1. Scenarios run one after the other on one dedicated thread.
/// </remarks>
internal static class BenchCommand
{
    private const double MaxSeconds = 3600;

    /// <summary>The <c>bench</c> command.</summary>
    public static Command Create(CliContext context)
    {
        var scenarios = new Argument<BenchScenario[]>("SCENARIO")
        {
            Arity = ArgumentArity.ZeroOrMore,
            Description = $"Scenarios to run: {BenchScenario.Names}. Default: pipe vale pipeline-3 pipeline-8 afpacket.",
            CustomParser = ParseScenarios,
        };
        var size = ListOption("--size", "-s", "B", BenchCase.MinSize, BenchCase.MaxSize, "Frame sizes in bytes without FCS, comma-separated. Default: 64,1500 (vale: 60,1500).");
        var batch = ListOption("--batch", "-b", "N", 1, BenchCase.MaxBatch, "Batches, comma-separated: packets per sync (pipe, vale) or the runtime's batch-size (pipeline-N). Default: 32 (pipeline-N: 256).");
        var duration = SecondsOption("--duration", "-d", "Seconds measured per case. Default: 2 (--quick: 0.5).");
        var warmup = SecondsOption("--warmup", null, "Seconds of warm-up per case before measuring. Default: 1 (--quick too: the pipelines need it).");
        var quick = new Option<bool>("--quick", "-q") { Description = "Short runs: a look at the figures, not figures to quote." };
        var rounds = new Option<int>("--rounds", "-r") { Description = "Runs per case, round-robin over the cases; the median is reported. Default: 1.", HelpName = "N", DefaultValueFactory = _ => 1 };
        rounds.Validators.Add(result =>
        {
            if (OptionValue.TryGet<int>(result, out var n) && n is < 1 or > 100)
            {
                result.AddError("--rounds must be from 1 to 100");
            }
        });
        var format = new Option<string>("--format", "-f") { Description = "Output: table, csv, json or markdown. Default: table.", HelpName = "FORMAT", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "csv", "json", "markdown");
        var sweep = new Option<SweepAxis[]>("--sweep")
        {
            Description = $"Run a scaling sweep instead of scenarios: {SweepAxis.Names}.",
            HelpName = "SWEEP",
            CustomParser = ParseSweep,
        };
        var output = new Option<string>("--out", "-o")
        {
            Description = $"Where --sweep writes sweep-NAME.csv, .md and .png. Default: {BenchSettings.DefaultOutDir}.",
            HelpName = "DIR",
            DefaultValueFactory = _ => BenchSettings.DefaultOutDir,
        };
        var ports = new Option<BenchPorts?>("--ports")
        {
            Description = $"How the pipeline scenarios' ports are driven: {BenchPortsText.Names} (thread: dedicated, and sync: busy-poll). Default: actor; dedicated for afpacket's forwarder.",
            HelpName = "MODE",
            CustomParser = result =>
            {
                if (result.Tokens is [var token] && BenchPortsText.TryParse(token.Value, out var mode))
                {
                    return mode;
                }

                result.AddError($"--ports takes one of: {BenchPortsText.Names}");
                return null;
            },
        };
        var fuse = new Option<bool>("--fuse")
        {
            Description = "Pipeline scenarios: stages joined by pipes run in one actor (runtime: fuse: true). No hop between stages, but they share one thread.",
        };
        var threads = new Option<int?>("--threads")
        {
            Description = string.Create(
                CultureInfo.InvariantCulture,
                $"Pipeline scenarios: the actors run on N threads of the pipeline's own (runtime: threads: N, 1 to {RuntimeDefinition.MaxThreads}). 1 keeps a packet on one core but caps the pipeline at one. Default: Akka's default dispatcher."),
            HelpName = "N",
        };
        threads.Validators.Add(result =>
        {
            if (result.Tokens is [var token] && int.TryParse(token.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n is < 1 or > RuntimeDefinition.MaxThreads)
            {
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"--threads must be from 1 to {RuntimeDefinition.MaxThreads}"));
            }
        });
        var polled = new Option<bool>("--polled")
        {
            Description = "Pipeline scenarios: the actors run on the measuring thread, which polls the pipeline after each burst (PipelineRuntimeOptions.Polled): generator, pipeline and sink on one core, as testpmd on one lcore. Not with --threads.",
        };
        var command = new Command("bench", "Measures end-to-end throughput: Mpps, Gbit/s, ns and allocated bytes per packet, GC collections.")
        {
            scenarios, size, batch, duration, warmup, quick, rounds, format, sweep, output, ports, fuse, threads, polled,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(polled) && result.GetResult(threads) is { Tokens.Count: > 0 })
            {
                result.AddError("--polled runs the pipeline on the measuring thread: it does not go with --threads");
            }

            // Tokens, not values: a value that did not convert has its own error already (and would throw here).
            if (result.GetResult(sweep) is { Tokens.Count: > 0 } && result.GetResult(scenarios) is { Tokens.Count: > 0 })
            {
                result.AddError("give scenarios or --sweep, not both (a sweep chooses its own scenarios)");
            }
        });
        command.SetAction(async (parse, cancellation) =>
        {
            var isQuick = parse.GetValue(quick);
            var defaults = isQuick ? BenchTiming.Quick : BenchTiming.Default;
            var timing = new BenchTiming(
                parse.GetValue(warmup) is { } w ? TimeSpan.FromSeconds(w) : defaults.Warmup,
                parse.GetValue(duration) is { } d ? TimeSpan.FromSeconds(d) : defaults.Duration);
            var settings = new BenchSettings(
                parse.GetValue(scenarios) ?? [],
                // An option not given reads as an empty array.
                parse.GetValue(size) is { Length: > 0 } sizes ? sizes : null,
                parse.GetValue(batch) is { Length: > 0 } batches ? batches : null,
                timing,
                parse.GetValue(rounds),
                Enum.Parse<BenchFormat>(parse.GetValue(format) ?? "table", ignoreCase: true),
                parse.GetValue(sweep),
                parse.GetValue(output) ?? BenchSettings.DefaultOutDir,
                "pipeline " + string.Join(' ', parse.Tokens.Select(t => t.Value)),
                parse.GetValue(ports),
                new BenchRuntime(parse.GetValue(fuse), parse.GetValue(threads), parse.GetValue(polled)));
            using var signal = new Console.StopSignal(cancellation);
            return await ExecuteAsync(settings, context, signal.Token).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>
    /// Runs the cases (or the sweeps) on a dedicated thread and prints the results; 0 when every case ran or is
    /// only unavailable here, 1 when one failed (or the sweep could not write its files).
    /// </summary>
    public static Task<int> ExecuteAsync(BenchSettings settings, CliContext context, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(context);
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        // A thread of its own: the one-thread loops must not share a thread-pool thread, and the pipeline's
        // actors need the pool's threads while the driver spins.
        var thread = new Thread(() =>
        {
            try
            {
                done.SetResult(Execute(settings, context, stop));
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        })
        {
            Name = "pipeline bench",
            IsBackground = true,
        };
        thread.Start();
        return done.Task;
    }

    private static int Execute(BenchSettings settings, CliContext context, CancellationToken stop)
    {
        var timing = settings.Timing;
        context.Error.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"bench: {MachineInfo.Describe()}; {timing.Warmup.TotalSeconds:0.##} s warm-up, {timing.Duration.TotalSeconds:0.##} s measured per case"));
        if (settings.Sweeps is { Count: > 0 } sweeps)
        {
            foreach (var axis in sweeps)
            {
                IReadOnlyList<string> files;
                try
                {
                    files = SweepRunner.Run(axis, timing, settings.Rounds, settings.OutDir, settings.CommandLine, context, stop, settings.Ports ?? BenchPorts.Actor, settings.Runtime);
                }
                catch (OperationCanceledException)
                {
                    context.Error.WriteLine("bench: interrupted");
                    return ExitCodes.Failure;
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    context.Error.WriteLine($"bench: cannot write the {axis.Name} sweep to {settings.OutDir}: {ex.Message}");
                    return ExitCodes.Failure;
                }

                foreach (var file in files)
                {
                    context.Out.WriteLine($"wrote {file}");
                }
            }

            return ExitCodes.Ok;
        }

        var results = BenchRunner.RunRounds(settings.Cases(), settings.Rounds, timing, r => context.Error.WriteLine(Progress(r)), stop);
        BenchReport.Write(results, settings.Format, context);
        if (stop.IsCancellationRequested)
        {
            context.Error.WriteLine("bench: interrupted");
            return ExitCodes.Failure;
        }

        return results.Any(r => r.Failure is not null) ? ExitCodes.Failure : ExitCodes.Ok;
    }

    private static string Progress(BenchResult r) => r.Ran
        ? string.Create(CultureInfo.InvariantCulture, $"bench: {r.Case.Scenario.Name} size {r.Case.Size} batch {r.Case.Batch}: {r.Mpps:F2} Mpps, {BenchReport.Allocated(r.AllocatedPerPacket)} B/packet")
        : string.Create(CultureInfo.InvariantCulture, $"bench: {r.Case.Scenario.Name} size {r.Case.Size} batch {r.Case.Batch}: {r.Problem}");

    private static BenchScenario[] ParseScenarios(ArgumentResult result)
    {
        var list = new List<BenchScenario>();
        foreach (var token in result.Tokens)
        {
            if (BenchScenario.TryParse(token.Value, out var scenario))
            {
                list.Add(scenario);
            }
            else
            {
                result.AddError($"unknown scenario '{token.Value}' (scenarios: {BenchScenario.Names})");
            }
        }

        return [.. list];
    }

    private static SweepAxis[] ParseSweep(ArgumentResult result)
    {
        if (result.Tokens is [var token] && SweepAxis.TryParse(token.Value, out var axes))
        {
            return [.. axes];
        }

        result.AddError($"--sweep takes one of: {SweepAxis.Names}");
        return [];
    }

    private static Option<int[]?> ListOption(string name, string alias, string helpName, int min, int max, string description)
    {
        var option = new Option<int[]?>(name, alias) { Description = description, HelpName = helpName + "[," + helpName + "...]" };
        option.CustomParser = result =>
        {
            var values = new List<int>();
            foreach (var token in result.Tokens)
            {
                foreach (var part in token.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
                    {
                        result.AddError(string.Create(CultureInfo.InvariantCulture, $"{name}: '{part}' is not a whole number from {min} to {max}"));
                        return null;
                    }

                    values.Add(value);
                }
            }

            if (values.Count == 0)
            {
                result.AddError($"{name} needs at least one value");
                return null;
            }

            return [.. values];
        };
        return option;
    }

    private static Option<double?> SecondsOption(string name, string? alias, string description)
    {
        var option = alias is null ? new Option<double?>(name) : new Option<double?>(name, alias);
        option.Description = description;
        option.HelpName = "S";
        option.Validators.Add(result =>
        {
            if (result.Tokens is [var token] && double.TryParse(token.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
                && !(seconds > 0 && seconds <= MaxSeconds))
            {
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"{name} must be a positive number of seconds, at most {MaxSeconds}"));
            }
        });
        return option;
    }
}
