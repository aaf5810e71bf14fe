using Akka;
using Akka.Actor;
using Akka.Hosting;
using Pipeline.Config;
using Pipeline.Plugins;
using Pipeline.Runtime;
using Pipeline.Stages;

namespace Pipeline.Hosting;

/// <summary>Runs a pipeline inside any .NET host through Akka.Hosting.</summary>
public static class PipelineHostingExtensions
{
    /// <summary>
    /// Starts the pipeline of <paramref name="options"/> when the actor system starts, registers it in the
    /// <see cref="ActorRegistry"/> under <see cref="PipelineRuntime"/>, and stops it (draining what is in
    /// flight) during coordinated shutdown. Returns the same builder.
    /// </summary>
    /// <example>
    /// <code>
    /// var pipeline = new PipelineOptions { File = "pipelines/quickstart.yaml", Registry = stages };
    /// services.AddAkka("gateway", (builder, sp) => builder.WithPipeline(pipeline));
    /// var runtime = await pipeline.Started;
    /// </code>
    /// </example>
    public static AkkaConfigurationBuilder WithPipeline(this AkkaConfigurationBuilder builder, PipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        var sources = (options.File is null ? 0 : 1) + (options.Yaml is null ? 0 : 1) + (options.Definition is null ? 0 : 1);
        if (sources != 1)
        {
            throw new ArgumentException("give exactly one of File, Yaml or Definition", nameof(options));
        }

        return builder.WithActors((system, registry) =>
        {
            PipelineRuntime runtime;
            try
            {
                runtime = PipelineRuntime.Start(system, Load(options), new PipelineRuntimeOptions
                {
                    Domain = options.Domain,
                    Checked = options.Checked,
                    Registry = options.Registry,
                });
            }
            catch (Exception ex)
            {
                options.SetFailed(ex);
                throw;
            }

            registry.Register<PipelineRuntime>(runtime.Supervisor);
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceUnbind, "stop-pipeline-" + runtime.Definition.Name, async () =>
            {
                await runtime.StopAsync(options.DrainTimeout).ConfigureAwait(false);
                return Done.Instance;
            });
            options.SetStarted(runtime);
        });
    }

    private static PipelineDefinition Load(PipelineOptions options)
    {
        var registry = options.Registry ?? new StageRegistry();
        if (options.Definition is { } definition)
        {
            return definition;
        }

        var plugins = new PluginLoader();
        return options.File is { } file
            ? PipelineLoader.Load(file, registry, plugins)
            : PipelineLoader.Parse(options.Yaml!, "<yaml>", registry, Directory.GetCurrentDirectory(), plugins);
    }
}
