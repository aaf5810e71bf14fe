using Akka;
using Akka.Actor;
using Akka.Hosting;
using Akka.Remote.Hosting;

namespace Pipeline.Cluster.Hosting;

/// <summary>Runs one node of a cluster pipeline inside any .NET host, through Akka.Hosting.</summary>
public static class ClusterPipelineHostingExtensions
{
    /// <summary>
    /// Configures the actor system as a cluster node of the pipeline (cluster provider, this node's role, the
    /// split-brain resolver, the pipeline's serializer), its remoting (<see cref="ClusterPipelineOptions.HostName"/>,
    /// <see cref="ClusterPipelineOptions.Port"/>), starts the node's <see cref="ClusterPipeline"/> with the actor
    /// system (it joins, waits for the other roles and starts), registers its coordinator in the
    /// <see cref="ActorRegistry"/> under <see cref="ClusterPipeline"/>, and stops it (draining what is in flight)
    /// during coordinated shutdown, before the node leaves the cluster. Returns the same builder.
    /// </summary>
    /// <example>
    /// <code>
    /// var node = new ClusterPipelineOptions { Definition = definition, Role = "workers", Seeds = ["10.0.0.1:4053"] };
    /// services.AddAkka("pipeline", (builder, sp) => builder.WithClusterPipeline(node));
    /// var pipeline = await node.Created;
    /// </code>
    /// </example>
    public static AkkaConfigurationBuilder WithClusterPipeline(this AkkaConfigurationBuilder builder, ClusterPipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        return builder
            .WithRemoting(new RemoteOptions
            {
                HostName = options.HostName,
                Port = options.Port,
                PublicHostName = options.PublicHostName,
                MaxFrameSize = ClusterConfig.MaxFrameSize,
            })
            // After the remoting, which selects the remote provider: the cluster's replaces it.
            .WithActorRefProvider(ProviderSelection.Cluster.Instance)
            .AddHocon(ClusterConfig.Hocon(options), HoconAddMode.Prepend)
            .WithActors((system, registry) =>
            {
                ClusterPipeline pipeline;
                try
                {
                    pipeline = ClusterPipeline.Start(system, options);
                }
                catch (Exception ex)
                {
                    options.SetFailed(ex);
                    throw;
                }

                registry.Register<ClusterPipeline>(pipeline.Coordinator);
                CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceUnbind, "stop-cluster-pipeline", async () =>
                {
                    await pipeline.StopAsync(options.DrainTimeout).ConfigureAwait(false);
                    return Done.Instance;
                });
                options.SetCreated(pipeline);
            });
    }
}
