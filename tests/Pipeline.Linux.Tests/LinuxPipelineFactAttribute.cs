using Netmap.Io.Tests.Linux;

namespace Pipeline.Linux.Tests;

/// <summary>
/// A test that runs a pipeline over real Linux devices: needs what <see cref="LinuxRootFactAttribute"/> needs, plus
/// the tools it names (ping, ethtool, tshark, python3). Elsewhere it is skipped with the reason; with <c>CI=true</c>
/// it runs and fails with that reason (<see cref="LinuxTools.Require"/>), so a broken CI machine cannot pass quietly.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class LinuxPipelineFactAttribute : FactAttribute
{
    public LinuxPipelineFactAttribute(params string[] tools)
    {
        if ((LinuxTestEnvironment.MissingReason ?? LinuxTools.MissingReason(tools)) is { } reason && !LinuxTestEnvironment.IsCi)
        {
            Skip = reason + " (skipped; with CI=true this fails instead)";
        }
    }
}

/// <summary>The tools beyond ip, tcpdump and tcpreplay that some of these tests drive.</summary>
internal static class LinuxTools
{
    /// <summary>The tests' Python: the system interpreter (scripts/install-test-deps.sh installs packages for it).</summary>
    public const string Python = "/usr/bin/python3";

    /// <summary>Why one of <paramref name="tools"/> cannot run here, or null.</summary>
    public static string? MissingReason(params string[] tools)
    {
        foreach (var tool in tools)
        {
            if (tool.StartsWith('/') ? !File.Exists(tool) : !Tools.Exists(tool))
            {
                return $"needs '{tool}' (scripts/install-test-deps.sh installs it)";
            }
        }

        return null;
    }

    /// <summary>Fails the test when the machine lacks root, the lab's tools or one of <paramref name="tools"/>.</summary>
    public static void Require(params string[] tools)
    {
        LinuxTestEnvironment.Require();
        if (MissingReason(tools) is { } reason)
        {
            Assert.Fail(reason);
        }
    }
}
