using System.Runtime.InteropServices;

namespace Pipeline.Cli.Console;

/// <summary>
/// Turns the first SIGINT (Ctrl-C) or SIGTERM into a cancelled <see cref="Token"/>, so <c>run</c> stops
/// cleanly (sources stop, in-flight packets drain, files are flushed). A second signal is left to its default
/// action and ends the process, unless it comes within <see cref="Grace"/> of the first: GNU <c>timeout</c> signals
/// its child and then the child's whole process group, so one stop arrives twice, microseconds apart.
/// </summary>
internal sealed class StopSignal : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly List<PosixSignalRegistration> _registrations = [];
    /// <summary>A repeat within this long of the first signal is the same stop (a second keypress takes longer).</summary>
    internal static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(500);

    private long _firstAt;

    /// <summary>Listens for the signals; <see cref="Token"/> is also cancelled with <paramref name="outer"/>.</summary>
    public StopSignal(CancellationToken outer)
    {
        _source = CancellationTokenSource.CreateLinkedTokenSource(outer);
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
        {
            try
            {
                _registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
            }
            catch (PlatformNotSupportedException)
            {
                // Not every signal exists everywhere; Ctrl-C does wherever there is a console.
            }
        }
    }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _source.Token;

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _source.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        var now = Environment.TickCount64; // milliseconds since boot: never 0 here
        var first = Interlocked.CompareExchange(ref _firstAt, now, 0);
        if (first == 0)
        {
            context.Cancel = true;
            _source.Cancel();
        }
        else if (now - first < (long)Grace.TotalMilliseconds)
        {
            context.Cancel = true; // the same stop, delivered twice
        }
    }
}
