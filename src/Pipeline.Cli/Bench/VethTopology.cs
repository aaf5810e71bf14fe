using System.Diagnostics;
using System.Globalization;
using Netmap.Io;
using Netmap.Io.Linux;

namespace Pipeline.Cli.Bench;

/// <summary>
/// The <c>afpacket</c> scenario's wiring, as <c>bench/veth-bench.sh</c> and the reference bench's <c>veth.sh</c> build it:
/// three network namespaces and two veth pairs, <c>g0</c> (generator) to <c>f0</c> and <c>f1</c> (forwarder) to
/// <c>s0</c> (sink). IPv6 is off in each namespace before an interface exists (no router solicitations, no DAD)
/// and no address is configured anywhere, so no frame leaves the three namespaces; <see cref="Dispose"/> deletes
/// them, and the veths with them.
/// </summary>
/// <remarks>
/// Namespace names are <c>pbench</c>, the process id, a counter and <c>g</c>, <c>f</c> or <c>s</c>
/// (<see cref="NamePrefix"/>), so two runs on one machine never meet; the interfaces inside keep the short names of
/// the scripts. Needs root (or CAP_SYS_ADMIN and CAP_NET_ADMIN) and iproute2's <c>ip</c>.
/// </remarks>
internal sealed class VethTopology : IDisposable
{
    /// <summary>Every namespace this creates starts with it.</summary>
    public const string NamePrefix = "pbench";

    /// <summary>The generator's MAC (<c>g0</c>), the frames' source.</summary>
    public const string GeneratorMac = "02:00:00:00:00:01";

    /// <summary>The sink's MAC (<c>s0</c>), the frames' destination.</summary>
    public const string SinkMac = "02:00:00:00:00:02";

    private static readonly string[] IpPaths = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"];
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(30);
    private static int s_counter;

    private readonly List<string> _namespaces = new(3);
    private readonly string _ip;

    private VethTopology(string ip, string prefix)
    {
        _ip = ip;
        Generator = prefix + "g";
        Forwarder = prefix + "f";
        Sink = prefix + "s";
    }

    /// <summary>The generator's namespace: <c>g0</c>.</summary>
    public string Generator { get; }

    /// <summary>The forwarder's namespace: <c>f0</c> and <c>f1</c>.</summary>
    public string Forwarder { get; }

    /// <summary>The sink's namespace: <c>s0</c>.</summary>
    public string Sink { get; }

    /// <summary>iproute2's <c>ip</c>, or null when the machine has none.</summary>
    public static string? FindIp()
    {
        foreach (var path in IpPaths)
        {
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }

    /// <summary>
    /// Why the topology cannot be built here, or null: it needs Linux, root and <c>ip</c>. The facts are parameters
    /// so the messages can be tested on any machine.
    /// </summary>
    public static string? Unavailable(bool linux, bool root, bool hasIp) =>
        !linux ? "needs Linux (AF_PACKET sockets on veth pairs in network namespaces)"
        : !root ? "needs root: it creates network namespaces and veth pairs (sudo dotnet src/Pipeline.Cli/bin/Release/net10.0/Pipeline.Cli.dll bench afpacket, or sudo bench/veth-bench.sh)"
        : !hasIp ? "needs iproute2's ip (apt-get install iproute2)"
        : null;

    /// <summary>Why the topology cannot be built on this machine, or null.</summary>
    public static string? UnavailableHere() => Unavailable(OperatingSystem.IsLinux(), Environment.IsPrivilegedProcess, FindIp() is not null);

    /// <summary>
    /// Builds the namespaces and veths, all up, with an MTU of <paramref name="mtu"/>. On failure whatever was built
    /// is removed and a <see cref="BenchFailedException"/> says which command failed and why.
    /// </summary>
    public static VethTopology Create(int mtu)
    {
        var ip = FindIp() ?? throw new BenchFailedException("afpacket: " + Unavailable(true, true, false));
        var prefix = string.Create(CultureInfo.InvariantCulture, $"{NamePrefix}{Environment.ProcessId}x{Interlocked.Increment(ref s_counter)}");
        var topology = new VethTopology(ip, prefix);
        try
        {
            topology.Build(mtu);
            return topology;
        }
        catch
        {
            topology.Dispose();
            throw;
        }
    }

    /// <summary>Deletes the namespaces (their veths go with them). Close every socket on them first: an open one keeps its namespace alive.</summary>
    public void Dispose()
    {
        for (var i = _namespaces.Count - 1; i >= 0; i--)
        {
            TryIp("netns", "del", _namespaces[i]);
        }

        _namespaces.Clear();
    }

    private void Build(int mtu)
    {
        foreach (var ns in new[] { Generator, Forwarder, Sink })
        {
            Ip("netns", "add", ns);
            _namespaces.Add(ns);
            try
            {
                NetworkNamespace.Run(ns, DisableIpv6, "netns " + ns);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new BenchFailedException($"afpacket: cannot turn IPv6 off in namespace {ns}: {ex.Message}");
            }
        }

        var m = mtu.ToString(CultureInfo.InvariantCulture);
        Ip("-n", Generator, "link", "add", "g0", "address", GeneratorMac, "mtu", m, "type", "veth", "peer", "name", "f0", "netns", Forwarder, "mtu", m);
        Ip("-n", Forwarder, "link", "add", "f1", "mtu", m, "type", "veth", "peer", "name", "s0", "netns", Sink, "address", SinkMac, "mtu", m);
        Ip("-n", Generator, "link", "set", "g0", "up");
        Ip("-n", Forwarder, "link", "set", "f0", "up");
        Ip("-n", Forwarder, "link", "set", "f1", "up");
        Ip("-n", Sink, "link", "set", "s0", "up");
    }

    // Thread: NetworkNamespace.Run's thread, inside the namespace, whose /proc/sys/net it writes. A kernel without
    // IPv6 has no such files: nothing to turn off.
    private static bool DisableIpv6()
    {
        foreach (var scope in new[] { "all", "default" })
        {
            var path = $"/proc/sys/net/ipv6/conf/{scope}/disable_ipv6";
            if (File.Exists(path))
            {
                File.WriteAllText(path, "1");
            }
        }

        return true;
    }

    private void Ip(params string[] args)
    {
        if (RunIp(args) is { } error)
        {
            throw new BenchFailedException($"afpacket: ip {string.Join(' ', args)} failed: {error}");
        }
    }

    private void TryIp(params string[] args) => _ = RunIp(args);

    // Null when ip exited 0, else what it said (or why it did not run).
    private string? RunIp(string[] args)
    {
        var start = new ProcessStartInfo(_ip)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            using var process = Process.Start(start) ?? throw new InvalidOperationException("no process");
            var stderr = process.StandardError.ReadToEndAsync();
            _ = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(ToolTimeout))
            {
                process.Kill(entireProcessTree: true);
                return $"no answer in {ToolTimeout.TotalSeconds} s";
            }

            return process.ExitCode == 0 ? null : $"exit {process.ExitCode}: {stderr.GetAwaiter().GetResult().Trim()}";
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException or NetmapException)
        {
            return ex.Message;
        }
    }
}

/// <summary>The bench's reads of <see cref="NetDevCounters"/>: an interface gone mid-run fails the case.</summary>
internal static class NetDevCountersRead
{
    /// <summary>The counters now.</summary>
    /// <exception cref="BenchFailedException">The interface is no longer in its namespace.</exception>
    public static InterfaceCounters Read(this NetDevCounters counters) =>
        counters.TryRead(out var now) ? now : throw new BenchFailedException($"afpacket: interface {counters.InterfaceName} is no longer in its namespace");
}
