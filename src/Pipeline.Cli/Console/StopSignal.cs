using System.Runtime.InteropServices;

namespace Pipeline.Cli.Console;

/// <summary>
/// Turns the first SIGINT (Ctrl-C) or SIGTERM into a cancelled <see cref="Token"/>, so <c>run</c> stops
/// cleanly (sources stop, in-flight packets drain, files are flushed). A second signal is left to its default
/// action and ends the process.
/// </summary>
internal sealed class StopSignal : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly List<PosixSignalRegistration> _registrations = [];
    private int _signals;

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
        if (Interlocked.Increment(ref _signals) == 1)
        {
            context.Cancel = true;
            _source.Cancel();
        }
    }
}
