namespace Netmap.Io.Tests.Linux;

/// <summary>The Linux backend tests run one at a time: they share the machine's two cores with tcpdump and tcpreplay.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LinuxCollection
{
    public const string Name = "Linux network namespaces";
}
