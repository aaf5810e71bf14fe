using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Hosting;

namespace Pipeline.Cluster.Hosting;

/// <summary>
/// One node of a cluster pipeline in a host of its own (what <c>pipeline run FILE --role R</c> starts, and what
/// tests start several of in one process): an <see cref="IHost"/> with Akka.Hosting and
/// <see cref="ClusterPipelineHostingExtensions.WithClusterPipeline"/>. Disposing it stops the pipeline, leaves the
/// cluster and stops the host.
/// </summary>
public sealed class ClusterNode : IAsyncDisposable
{
    private readonly IHost _host;
    private int _disposed;

    private ClusterNode(IHost host, ClusterPipeline pipeline)
    {
        _host = host;
        Pipeline = pipeline;
    }

    /// <summary>The node's part of the pipeline.</summary>
    public ClusterPipeline Pipeline { get; }

    /// <summary>The node's actor system.</summary>
    public ActorSystem System => Pipeline.System;

    /// <summary>Starts the host, the actor system and the node's coordinator (which joins and waits for the other roles).</summary>
    public static async Task<ClusterNode> StartAsync(ClusterPipelineOptions options, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var host = new HostBuilder()
            .ConfigureServices(services => services.AddAkka(options.SystemName, (builder, _) => builder.WithClusterPipeline(options)))
            .Build();
        try
        {
            await host.StartAsync(cancellation).ConfigureAwait(false);
            var pipeline = await options.Created.WaitAsync(cancellation).ConfigureAwait(false);
            return new ClusterNode(host, pipeline);
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>Stops the pipeline (draining), leaves the cluster, stops the host.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await _host.StopAsync().ConfigureAwait(false); // coordinated shutdown: the pipeline stops, then the node leaves
        }
        finally
        {
            _host.Dispose();
        }
    }

    /// <summary>
    /// Kills the node as a crash would: the actor system stops at once, without draining or leaving; the other
    /// nodes find it unreachable and, after <see cref="ClusterPipelineOptions.DownAfter"/>, lost. For tests (the
    /// actor system must not run coordinated shutdown on terminate).
    /// </summary>
    internal async Task KillAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await System.Terminate().ConfigureAwait(false);
        Pipeline.Abandon();
        _host.Dispose();
    }
}
