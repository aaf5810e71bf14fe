using Akka.Configuration;

namespace Pipeline.Cli;

/// <summary>
/// The actor system settings of the commands that host a pipeline (<c>run</c>, <c>bench</c>): warnings and errors
/// only, and no dead-letter lines. The command reports what happened in its own tables.
/// </summary>
internal static class QuietAkka
{
    /// <summary>The HOCON.</summary>
    public static Akka.Configuration.Config Config { get; } = ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        akka.log-dead-letters = off
        akka.log-dead-letters-during-shutdown = off
        """);
}
