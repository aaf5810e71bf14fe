using System.Diagnostics;

namespace Netmap.Io.Tests.Linux;

/// <summary>Runs the command-line tools the Linux tests drive (ip, tcpdump, tcpreplay).</summary>
internal static class Tools
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    /// <summary>True when <paramref name="name"/> is an executable on PATH (or in /usr/sbin, /sbin).</summary>
    public static bool Exists(string name)
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty) + ":/usr/sbin:/sbin";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(dir, name)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Runs the tool to its end; fails the test with its output when it exits non-zero.</summary>
    public static string Run(string file, params string[] args)
    {
        var (code, stdout, stderr) = TryRun(file, args);
        if (code != 0)
        {
            Assert.Fail($"'{file} {string.Join(' ', args)}' exited {code}: {stderr.Trim()} {stdout.Trim()}");
        }

        return stdout;
    }

    /// <summary>Runs the tool to its end (a generous limit, then it is killed) and returns its exit code and output.</summary>
    public static (int Code, string Stdout, string Stderr) TryRun(string file, params string[] args)
    {
        using var process = Start(file, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Limit))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"'{file} {string.Join(' ', args)}' did not finish within {Limit.TotalSeconds} s");
        }

        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts the tool with redirected output (the caller reads it and disposes the process).</summary>
    public static Process Start(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
    }
}
