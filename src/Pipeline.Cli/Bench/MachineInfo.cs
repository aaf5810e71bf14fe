using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;

namespace Pipeline.Cli.Bench;

/// <summary>What a reader of a figure needs to know about where it was taken.</summary>
internal static class MachineInfo
{
    /// <summary><c>2 CPUs, X64, .NET 10.0.0, workstation GC (concurrent), load 1.52 1.20 0.90</c>.</summary>
    public static string Describe()
    {
        var gc = GCSettings.IsServerGC ? "server GC" : "workstation GC";
        var concurrent = GCSettings.LatencyMode == GCLatencyMode.Batch ? string.Empty : " (concurrent)";
        var text = string.Create(
            CultureInfo.InvariantCulture,
            $"{Environment.ProcessorCount} CPUs, {RuntimeInformation.OSArchitecture}, {RuntimeInformation.FrameworkDescription}, {gc}{concurrent}");
        return LoadAverage() is { } load ? $"{text}, load {load}" : text;
    }

    /// <summary>The 1, 5 and 15 minute load averages from /proc/loadavg, or null where there is none.</summary>
    public static string? LoadAverage()
    {
        try
        {
            var fields = File.ReadAllText("/proc/loadavg").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Length >= 3 ? $"{fields[0]} {fields[1]} {fields[2]}" : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
