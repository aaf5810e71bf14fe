using Akka.Actor;
using Pipeline.Config;
using Pipeline.Runtime;

namespace Pipeline.Cli.Bench;

/// <summary>
/// The actor system and the pipeline runtime a pipeline scenario runs on (<c>pipeline-N</c>, <c>afpacket</c>), started
/// together and ended together: <see cref="Stop"/> stops the pipeline (its ports closed, its buffers back), and
/// <see cref="Dispose"/> stops it if needed and terminates the actor system.
/// </summary>
internal sealed class BenchPipeline : IDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly ActorSystem _system;

    private BenchPipeline(ActorSystem system, PipelineRuntime runtime)
    {
        _system = system;
        Runtime = runtime;
    }

    /// <summary>The running pipeline.</summary>
    public PipelineRuntime Runtime { get; }

    /// <summary>Starts <paramref name="definition"/> on an actor system of its own; on failure nothing is left running.</summary>
    public static BenchPipeline Start(PipelineDefinition definition, PipelineRuntimeOptions options)
    {
        var system = ActorSystem.Create("bench", QuietAkka.Config);
        try
        {
            return new BenchPipeline(system, PipelineRuntime.Start(system, definition, options));
        }
        catch
        {
            system.Terminate().GetAwaiter().GetResult();
            throw;
        }
    }

    /// <summary>Stops the pipeline; again is a no-op.</summary>
    public void Stop() => Runtime.StopAsync(StopTimeout).GetAwaiter().GetResult();

    public void Dispose()
    {
        Stop();
        _system.Terminate().GetAwaiter().GetResult();
    }
}

/// <summary>How the bench loops tell a stalled scenario (nothing arriving for a while) from a slow one.</summary>
internal static class BenchStall
{
    /// <summary>
    /// Called when a pass moved nothing: starts the idle clock when <paramref name="idleSince"/> is 0 (it is set back to
    /// 0 by the caller on progress) and returns true once idleness has lasted longer than <paramref name="timeout"/>.
    /// Allocates nothing.
    /// </summary>
    public static bool Stalled(ref long idleSince, TimeSpan timeout)
    {
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        if (idleSince == 0)
        {
            idleSince = now;
            return false;
        }

        return System.Diagnostics.Stopwatch.GetElapsedTime(idleSince, now) > timeout;
    }
}
