using Netmap.Io;
using Pipeline.Config;
using Pipeline.Runtime;
using Pipeline.Stages;

namespace Pipeline.Hosting;

/// <summary>
/// What <see cref="PipelineHostingExtensions.WithPipeline"/> runs: a YAML file, YAML text, or an in-memory
/// definition (exactly one), and how. Keep the object to await <see cref="Started"/>.
/// </summary>
public sealed class PipelineOptions
{
    private readonly TaskCompletionSource<PipelineRuntime> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A pipeline file to load (plugins resolve relative to it). <b>Default:</b> null.</summary>
    public string? File { get; init; }

    /// <summary>Pipeline YAML text (plugins resolve relative to the current directory). <b>Default:</b> null.</summary>
    public string? Yaml { get; init; }

    /// <summary>An in-memory, already validated definition. <b>Default:</b> null.</summary>
    public PipelineDefinition? Definition { get; init; }

    /// <summary>The stage types the YAML may name (plugins add theirs to a copy). <b>Default:</b> an empty registry.</summary>
    public StageRegistry? Registry { get; init; }

    /// <summary>A netmap domain to share with the host (to reach the pipeline through pipes). <b>Default:</b> null, the pipeline makes its own.</summary>
    public NetmapDomain? Domain { get; init; }

    /// <summary>Checked ownership of batches and buffers. <b>Default:</b> false.</summary>
    public bool Checked { get; init; }

    /// <summary>How long in-flight packets get to arrive when the host stops. <b>Default:</b> 5 s.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Completes with the running pipeline once the actor system has started it, or with its startup error.</summary>
    public Task<PipelineRuntime> Started => _started.Task;

    internal void SetStarted(PipelineRuntime runtime) => _started.TrySetResult(runtime);

    internal void SetFailed(Exception error) => _started.TrySetException(error);
}
