using YamlDotNet.RepresentationModel;

namespace Pipeline.Config;

/// <summary>Reads a port's <c>thread</c> and <c>sync</c> keys, reporting bad values at the value (or at the key when it is empty).</summary>
internal static class PortThreadingReader
{
    public const string ThreadKey = "thread";
    public const string SyncKey = "sync";

    public static (PortThreading Threading, PortSyncMode Sync) Read(
        ConfigDiagnostics diagnostics, (YamlScalarNode Key, YamlNode Value)? thread, (YamlScalarNode Key, YamlNode Value)? sync)
    {
        var threading = PortThreading.Actor;
        if (thread is var (threadKey, threadValue))
        {
            switch ((threadValue as YamlScalarNode)?.Value)
            {
                case "actor":
                    break;
                case "dedicated":
                    threading = PortThreading.Dedicated;
                    break;
                default:
                    diagnostics.Add(Where(threadKey, threadValue), $"'thread' must be one of [actor, dedicated], found {ConfigDiagnostics.Describe(threadValue)}");
                    threading = PortThreading.Dedicated; // do not add a "sync needs dedicated" error on top
                    break;
            }
        }

        var mode = PortSyncMode.Sleep;
        if (sync is var (syncKey, syncValue))
        {
            switch ((syncValue as YamlScalarNode)?.Value)
            {
                case "sleep":
                    break;
                case "busy-poll":
                    mode = PortSyncMode.BusyPoll;
                    break;
                case "notify":
                    mode = PortSyncMode.Notify;
                    break;
                default:
                    diagnostics.Add(Where(syncKey, syncValue), $"'sync' must be one of [sleep, busy-poll, notify], found {ConfigDiagnostics.Describe(syncValue)}");
                    break;
            }

            if (threading != PortThreading.Dedicated)
            {
                diagnostics.Add(syncKey, "'sync' applies only to a port with 'thread: dedicated' (an actor's port is polled by its actor)");
            }
        }

        return (threading, mode);
    }

    private static YamlNode Where(YamlScalarNode key, YamlNode value) => ConfigDiagnostics.IsEmpty(value) ? key : value;
}
