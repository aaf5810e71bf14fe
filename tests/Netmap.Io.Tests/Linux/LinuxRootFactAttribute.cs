using Netmap.Io.Linux.Interop;

namespace Netmap.Io.Tests.Linux;

/// <summary>
/// A test that needs Linux, root and iproute2 (it creates network namespaces, veths and TAPs). Elsewhere it is
/// skipped with the reason shown, except in CI (<c>CI=true</c>), where it runs and fails with that reason: CI
/// runs as root and a skipped backend test there would hide a broken environment.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class LinuxRootFactAttribute : FactAttribute
{
    public LinuxRootFactAttribute()
    {
        if (LinuxTestEnvironment.MissingReason is { } reason && !LinuxTestEnvironment.IsCi)
        {
            Skip = reason + " (skipped; with CI=true this fails instead)";
        }
    }
}

/// <summary>What the Linux backend tests need, checked once.</summary>
internal static class LinuxTestEnvironment
{
    private static readonly Lazy<string?> Missing = new(Check);

    public static bool IsCi => Environment.GetEnvironmentVariable("CI") == "true";

    /// <summary>Why the tests cannot run here, or null when they can.</summary>
    public static string? MissingReason => Missing.Value;

    /// <summary>Fails the test with <see cref="MissingReason"/> (the attribute skipped it already unless in CI).</summary>
    public static void Require()
    {
        if (MissingReason is { } reason)
        {
            Assert.Fail($"{reason}. Run the tests as root with scripts/install-test-deps.sh applied.");
        }
    }

    private static string? Check()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "needs Linux (AF_PACKET, TAP, network namespaces)";
        }

        if (LibC.GetEuid() != 0)
        {
            return "needs root to create network namespaces, veths and TAPs";
        }

        if (!File.Exists("/dev/net/tun"))
        {
            return "needs /dev/net/tun (modprobe tun)";
        }

        foreach (var tool in new[] { "ip", "tcpdump", "tcpreplay" })
        {
            if (!Tools.Exists(tool))
            {
                return $"needs '{tool}' on PATH (scripts/install-test-deps.sh installs it)";
            }
        }

        return null;
    }
}
