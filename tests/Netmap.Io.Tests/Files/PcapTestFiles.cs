using System.Diagnostics;
using Xunit.Abstractions;

namespace Netmap.Io.Tests.Files;

/// <summary>A directory of its own for one test's files, deleted at the end.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = Directory.CreateTempSubdirectory("netmap-pcap-").FullName;
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Write(string name, byte[] bytes)
    {
        var path = File(name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>The committed sample captures (pipelines/samples, copied next to the tests) and tshark.</summary>
internal static class PcapTestFiles
{
    public static string Mixed => Sample("mixed.pcap");

    public static string Jumbo => Sample("jumbo.pcap");

    private static string Sample(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Samples", name);
        Assert.True(File.Exists(path), $"sample capture {path} is missing (pipelines/samples is copied by the test project)");
        return path;
    }

    /// <summary>Every packet of a capture, through the reader under test (its own tests pin it to hand-built bytes).</summary>
    public static List<(byte[] Data, Netmap.Io.Files.PcapPacketInfo Info)> ReadAll(string path)
    {
        using var reader = Netmap.Io.Files.PcapFormat.OpenRead(path);
        var buffer = new byte[Netmap.Io.Files.PcapFormat.MaxCapturedLength];
        var packets = new List<(byte[], Netmap.Io.Files.PcapPacketInfo)>();
        while (reader.TryReadPacket(buffer, out var info))
        {
            packets.Add((buffer[..info.Length], info));
        }

        return packets;
    }

    /// <summary>
    /// Runs <c>tshark -r</c> on <paramref name="path"/>: exit code 0 and nothing on stderr but tshark's
    /// "Running as user root" notice. Without tshark: a failure when CI is "true", else a note in the output.
    /// </summary>
    public static void AssertTsharkReads(string path, ITestOutputHelper output)
    {
        var tshark = FindTshark();
        if (tshark is null)
        {
            if (Environment.GetEnvironmentVariable("CI") == "true")
            {
                Assert.Fail("tshark is not installed, and CI=true: the written capture must be checked by tshark");
            }

            output.WriteLine($"tshark not found: {path} was NOT checked by tshark (install wireshark's tshark to check it)");
            return;
        }

        var start = new ProcessStartInfo(tshark)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-r");
        start.ArgumentList.Add(path);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), "tshark did not finish within 60 s");
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.StartsWith("Running as user", StringComparison.Ordinal))
            .ToArray();
        output.WriteLine($"tshark -r {path}: exit {process.ExitCode}");
        output.WriteLine(stdout.Result);
        Assert.True(process.ExitCode == 0, $"tshark exited with {process.ExitCode}: {stderr}");
        Assert.True(lines.Length == 0, $"tshark wrote to stderr: {string.Join(" | ", lines)}");
    }

    private static string? FindTshark()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(dir, "tshark");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
