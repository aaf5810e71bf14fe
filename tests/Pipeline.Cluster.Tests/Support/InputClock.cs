using Microsoft.Extensions.Time.Testing;

namespace Pipeline.Cluster.Tests.Support;

/// <summary>
/// The clock of a node whose capture plays at its recorded pace, moved by the test: while playing it goes about as
/// fast as real time; paused, the capture gives nothing, however long the cluster takes to notice a dead node or to
/// let a new one join (a loaded CI machine); <see cref="FastForward"/> lets the rest of the capture out at once.
/// </summary>
internal sealed class InputClock : IAsyncDisposable
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(5);

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;
    private volatile bool _playing;

    public InputClock()
    {
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>The clock to give the node.</summary>
    public FakeTimeProvider Time { get; } = new();

    /// <summary>Time goes on (about as fast as real time).</summary>
    public void Play() => _playing = true;

    /// <summary>Time stands still: a paced capture sends nothing.</summary>
    public void Pause() => _playing = false;

    /// <summary>Jumps far past the capture's end (everything left is due now) and keeps playing.</summary>
    public void FastForward()
    {
        Time.Advance(TimeSpan.FromHours(1));
        Play();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _pump;
        }
        catch (OperationCanceledException)
        {
            // stopped
        }

        _stop.Dispose();
    }

    private async Task PumpAsync()
    {
        var last = DateTime.UtcNow;
        while (!_stop.IsCancellationRequested)
        {
            await Task.Delay(Step, _stop.Token);
            var now = DateTime.UtcNow;
            if (_playing)
            {
                // What really passed, at most a few steps (a starved pump does not make the capture jump ahead).
                var passed = now - last;
                Time.Advance(passed < Step ? Step : passed > 4 * Step ? 4 * Step : passed);
            }

            last = now;
        }
    }
}
