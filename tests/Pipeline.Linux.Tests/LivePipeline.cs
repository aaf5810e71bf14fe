using System.Diagnostics;
using Akka.Actor;
using Netmap.Io;
using Netmap.Io.Linux;
using Netmap.Io.Memory;
using Pipeline.Config;
using Pipeline.Metrics;
using Pipeline.Runtime;
using Stages;

namespace Pipeline.Linux.Tests;

/// <summary>
/// A pipeline from YAML text, running in checked mode over a checked domain whose <c>netmap:IF</c> and <c>tap:NAME</c>
/// ports are the lab's Linux devices. Disposing it stops the pipeline, checks that every buffer and batch came back,
/// and closes its ports (so the lab's namespaces can go).
/// </summary>
internal sealed class LivePipeline : IAsyncDisposable
{
    /// <summary>A generous upper bound for anything the tests wait for; never a measure of speed.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static readonly Akka.Configuration.Config Hocon = Akka.Configuration.ConfigurationFactory.ParseString("""
        akka.actor.serialize-messages = on
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        akka.log-dead-letters = off
        """);

    private readonly ActorSystem _system;
    private readonly NetmapDomain? _domain;
    private bool _disposed;

    private LivePipeline(ActorSystem system, NetmapDomain? domain, PipelineRuntime runtime)
    {
        _system = system;
        _domain = domain;
        Runtime = runtime;
    }

    public PipelineRuntime Runtime { get; }

    /// <summary>
    /// Parses <paramref name="yaml"/> (errors fail the test) and starts it. With <paramref name="ownDomain"/> the
    /// runtime creates its domain itself, as <c>pipeline run</c> does; otherwise the test's checked domain is used.
    /// </summary>
    public static LivePipeline Start(string yaml, bool ownDomain = false, string file = "live.yaml")
    {
        var definition = PipelineLoader.Parse(yaml, file, BuiltInStages.CreateRegistry());
        var system = ActorSystem.Create("live", Hocon);
        NetmapDomain? domain = ownDomain ? null : new NetmapDomain(new ArenaOptions { BufferCount = definition.Memory.Buffers, BufferSize = definition.Memory.BufferSize, Checked = true }).UseLinuxInterfaces();
        try
        {
            var runtime = PipelineRuntime.Start(system, definition, new PipelineRuntimeOptions { Domain = domain, Checked = true });
            return new LivePipeline(system, domain, runtime);
        }
        catch
        {
            domain?.Dispose();
            system.Terminate().Wait(Patience);
            throw;
        }
    }

    /// <summary>A test that makes a port fail on purpose sets this: the stop then does not require every port healthy.</summary>
    public bool AllowPortFaults { get; set; }

    /// <summary>The counters of port or stage <paramref name="name"/>.</summary>
    public NodeCounters this[string name] => Runtime.CountersOf(name);

    /// <summary>Waits (at most <see cref="Patience"/>) until <paramref name="done"/> holds; false if it never did.</summary>
    public static bool WaitUntil(Func<bool> done)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            if (clock.Elapsed > Patience)
            {
                return false;
            }

            Thread.Sleep(5);
        }

        return true;
    }

    /// <summary>Stops the pipeline (in-flight packets delivered or counted), audits buffers and batches, closes the ports.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            await Runtime.StopAsync(TimeSpan.FromSeconds(5));
            Assert.Equal(0, Runtime.Pool.Outstanding);
            if (!AllowPortFaults)
            {
                Assert.Empty(Runtime.PortFaults);
            }
            _domain?.AssertNoLeaks();
        }
        finally
        {
            await Runtime.DisposeAsync();
            _domain?.Dispose();
            await _system.Terminate();
        }
    }
}
