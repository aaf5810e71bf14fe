namespace Pipeline.Linux.Tests;

/// <summary>
/// The tests over real devices run one at a time: they share two cores with the pipeline's threads, the kernel's
/// softirqs, tcpdump, tcpreplay and ping, and each measures nothing but correctness.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LinuxPipelineCollection
{
    public const string Name = "Pipelines over Linux devices";
}
