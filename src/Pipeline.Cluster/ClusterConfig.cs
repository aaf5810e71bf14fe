using System.Globalization;
using System.Text;
using Pipeline.Cluster.Wire;

namespace Pipeline.Cluster;

/// <summary>
/// The Akka configuration of a cluster pipeline node, as HOCON: the cluster provider, this node's role, the
/// split-brain resolver that downs a dead node (keep-oldest: the first node, usually the one with the sources,
/// keeps the cluster), the failure detector, and the binding of the pipeline's messages to
/// <see cref="ClusterMessageSerializer"/>. Remoting (host, port, frame size) is set through Akka.Remote.Hosting.
/// </summary>
public static class ClusterConfig
{
    /// <summary>The largest frame Akka.Remote sends: a batch message and a node report fit with room to spare.</summary>
    public const long MaxFrameSize = 4 * 1024 * 1024;

    /// <summary>The HOCON for <paramref name="options"/>.</summary>
    public static string Hocon(ClusterPipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var hocon = new StringBuilder();
        hocon.AppendLine(CultureInfo.InvariantCulture, $$"""
            akka {
              loglevel = WARNING
              stdout-loglevel = WARNING
              log-dead-letters = off
              log-dead-letters-during-shutdown = off
              actor {
                provider = cluster
                serializers.pipeline-cluster = "{{typeof(ClusterMessageSerializer).AssemblyQualifiedName}}"
                serialization-bindings {
                  "{{typeof(IClusterMessage).FullName}}, {{typeof(IClusterMessage).Assembly.GetName().Name}}" = pipeline-cluster
                }
                serialization-identifiers {
                  "{{typeof(ClusterMessageSerializer).FullName}}, {{typeof(ClusterMessageSerializer).Assembly.GetName().Name}}" = {{ClusterMessageSerializer.SerializerId}}
                }
              }
              # Acknowledgements are 13-byte messages that return a pipe's credit: held back for a batch of writes they
              # would stall the pipe (the flush interval is tens of milliseconds), so every write goes out at once.
              remote.dot-netty.tcp.batching.enabled = false
              cluster {
                roles = ["{{options.Role}}"]
                log-info = off
                downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
                split-brain-resolver {
                  active-strategy = keep-oldest
                  keep-oldest.down-if-alone = off
                  stable-after = {{Millis(options.DownAfter ?? TimeSpan.FromSeconds(20))}}
                }
              }
            }
            """);
        if (options.FailureTimeout is { } timeout)
        {
            hocon.AppendLine(CultureInfo.InvariantCulture, $"akka.cluster.failure-detector.acceptable-heartbeat-pause = {Millis(timeout)}");
        }

        if (options.ExtraHocon is { } extra)
        {
            hocon.AppendLine(extra);
        }

        return hocon.ToString();
    }

    private static string Millis(TimeSpan span) => string.Create(CultureInfo.InvariantCulture, $"{(long)span.TotalMilliseconds}ms");
}
