using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Netmap.Io;
using Netmap.Io.Linux;
using Netmap.Io.Ports;
using Pipeline.Cli.Bench;
using Pipeline.Cli.Console;

namespace Pipeline.Cli.Commands;

/// <summary>
/// <c>pipeline gen SPEC [--count N] [--size B] [--rate PPS] [--duration S] [--batch N]</c>: a pkt-gen style
/// generator: opens the port and transmits the same UDP frame (10.0.0.1:1234 to 10.1.0.1:1234, broadcast MAC,
/// checksums right) as fast as the port takes it or at a fixed rate, until N packets, S seconds or Ctrl-C, then
/// prints what it sent. Into <c>pcap-out:FILE</c> it writes a capture; into a pipe or VALE port of a shared
/// domain it feeds a pipeline.
/// </summary>
internal static class GenCommand
{
    /// <summary>How long the packets left in the TX ring get to complete after the last one is queued.</summary>
    public static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(5);

    private const double MaxSeconds = 1e9;
    private static readonly TimeSpan ReportInterval = TimeSpan.FromSeconds(1);

    /// <summary>The <c>gen</c> command.</summary>
    public static Command Create(CliContext context)
    {
        var spec = new Argument<string>("SPEC") { Description = "The port to transmit into: pcap-out:FILE, netmap:IF, valeS:P, netmap:NAME{N ..." };
        var count = new Option<long?>("--count", "-n") { Description = "Stop after N packets.", HelpName = "N" };
        count.Validators.Add(result =>
        {
            if (OptionValue.TryGet<long?>(result, out var n) && n is <= 0)
            {
                result.AddError("--count must be a positive number");
            }
        });
        var size = new Option<int>("--size", "-l")
        {
            Description = string.Create(CultureInfo.InvariantCulture, $"Frame bytes without FCS, {FrameTemplate.HeaderLength} to {FrameTemplate.MaxLength}. Default: {GenSettings.DefaultSize}."),
            HelpName = "B",
            DefaultValueFactory = _ => GenSettings.DefaultSize,
        };
        size.Validators.Add(result =>
        {
            if (OptionValue.TryGet<int>(result, out var bytes) && bytes is < FrameTemplate.HeaderLength or > FrameTemplate.MaxLength)
            {
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"--size must be from {FrameTemplate.HeaderLength} (Ethernet, IPv4 and UDP headers) to {FrameTemplate.MaxLength} bytes"));
            }
        });
        var rate = new Option<double?>("--rate", "-R") { Description = "Packets per second. Default: as fast as the port takes them.", HelpName = "PPS" };
        rate.Validators.Add(result =>
        {
            if (OptionValue.TryGet<double?>(result, out var value) && value is { } pps && !(pps > 0 && pps <= 1e10))
            {
                result.AddError("--rate must be a positive number of packets per second");
            }
        });
        var duration = new Option<double?>("--duration", "-d") { Description = "Stop after S seconds.", HelpName = "S" };
        duration.Validators.Add(result =>
        {
            if (OptionValue.TryGet<double?>(result, out var value) && value is { } seconds && !(seconds > 0 && seconds <= MaxSeconds))
            {
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"--duration must be a positive number of seconds, at most {MaxSeconds:0.#########}"));
            }
        });
        var batch = new Option<int>("--batch", "-b")
        {
            Description = string.Create(CultureInfo.InvariantCulture, $"Packets per TX sync. Default: {GenSettings.DefaultBatch}."),
            HelpName = "N",
            DefaultValueFactory = _ => GenSettings.DefaultBatch,
        };
        batch.Validators.Add(result =>
        {
            if (OptionValue.TryGet<int>(result, out var n) && n is < 1 or > 65536)
            {
                result.AddError("--batch must be from 1 to 65536");
            }
        });
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress line per second; only the summary." };
        var command = new Command("gen", "Generates packets into a port (pkt-gen style): as fast as it takes them or at a rate, N packets or S seconds.")
        {
            spec, count, size, rate, duration, batch, quiet,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var settings = new GenSettings(
                parse.GetRequiredValue(spec),
                parse.GetValue(count),
                parse.GetValue(size),
                parse.GetValue(rate),
                parse.GetValue(duration) is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
                parse.GetValue(batch),
                parse.GetValue(quiet));
            using var signal = new StopSignal(cancellation);
            // Its own thread: the loop spins while it waits for ring space.
            return await Task.Factory.StartNew(
                () => Execute(settings, context, signal.Token),
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>
    /// Opens the port (in the context's shared domain, if it has one), transmits until a limit or
    /// <paramref name="stop"/>, waits for the TX ring to drain, and prints what was sent. 0, or 1 when the port
    /// cannot open or has no TX ring.
    /// </summary>
    public static int Execute(GenSettings settings, CliContext context, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(context);
        var shared = context.RuntimeOptions?.Domain;
        var domain = shared ?? new NetmapDomain().UseLinuxInterfaces(); // netmap:IF and tap:NAME, as the help says
        try
        {
            PortHandle handle;
            try
            {
                handle = domain.Open(settings.Spec);
                _ = handle.TxRing; // EINVAL now for a port with no TX ring (a pcap: source)
            }
            catch (NetmapException ex)
            {
                context.Error.WriteLine($"gen: {ex.Message}");
                return ExitCodes.Failure;
            }

            using (handle)
            {
                return Transmit(handle, settings, context, stop);
            }
        }
        finally
        {
            if (shared is null)
            {
                domain.Dispose();
            }
        }
    }

    private static int Transmit(PortHandle handle, GenSettings settings, CliContext context, CancellationToken stop)
    {
        var frame = FrameTemplate.Create(settings.Size).Bytes;
        var limit = settings.Count ?? long.MaxValue;
        var frequency = Stopwatch.Frequency;
        var start = Stopwatch.GetTimestamp();
        var end = settings.Duration is { } d ? start + (long)(d.TotalSeconds * frequency) : long.MaxValue;
        var nextReport = start + (long)(ReportInterval.TotalSeconds * frequency);
        long sent = 0;
        long reported = 0;
        var spin = default(SpinWait);
        var now = start;
        while (sent < limit && now < end && !stop.IsCancellationRequested)
        {
            var burst = Math.Min(settings.Batch, limit - sent);
            if (settings.Rate is { } rate)
            {
                // Pacing: never ahead of rate * elapsed, plus one burst.
                var allowed = (long)(rate * (now - start) / frequency) + 1 - sent;
                burst = Math.Min(burst, allowed);
            }

            var queued = 0L;
            while (queued < burst && handle.Inject(frame) != 0)
            {
                queued++;
            }

            sent += queued;
            handle.TxSync();
            now = Stopwatch.GetTimestamp();
            if (queued == 0)
            {
                // Paced, or the ring is full until the port takes what it has.
                spin.SpinOnce(sleep1Threshold: settings.Rate is null ? -1 : 20);
            }
            else
            {
                spin.Reset();
            }

            if (!settings.Quiet && now >= nextReport)
            {
                var t = Stopwatch.GetElapsedTime(start, now);
                context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"gen: {t.TotalSeconds:F1} s  {sent} packets  {Units.PacketRate((sent - reported) / ReportInterval.TotalSeconds)}"));
                reported = sent;
                nextReport += (long)(ReportInterval.TotalSeconds * frequency);
            }
        }

        var elapsed = Stopwatch.GetElapsedTime(start);
        var pending = Flush(handle);
        var seconds = Math.Max(elapsed.TotalSeconds, 1e-9);
        context.Out.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"gen: sent {sent} packets of {settings.Size} bytes to {settings.Spec} in {elapsed.TotalSeconds:F3} s: {sent / seconds / 1e6:F3} Mpps, {sent * settings.Size * 8 / seconds / 1e9:F3} Gbit/s"));
        if (pending)
        {
            context.Error.WriteLine($"gen: {settings.Spec}: the port had not taken every packet after {FlushTimeout.TotalSeconds} s; the rest were freed on close");
        }

        return ExitCodes.Ok;
    }

    /// <summary>Syncs until the port has completed every queued slot; true when some are still pending at the timeout.</summary>
    private static bool Flush(PortHandle handle)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(FlushTimeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            handle.TxSync();
            var pending = false;
            foreach (var ring in handle.TxRings)
            {
                pending |= ring.TxPending;
            }

            if (!pending)
            {
                return false;
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                return true;
            }

            Thread.Yield();
        }
    }
}
