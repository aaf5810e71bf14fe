using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using Netmap.Io.Files;
using Netmap.Io.Linux.Interop;

namespace Netmap.Io.Tests.Linux;

/// <summary>
/// Network namespaces, veth pairs and tool processes for one test, all named with a prefix unique to the test
/// (<see cref="Prefix"/>) and removed in <see cref="Dispose"/>, also when the test failed.
/// </summary>
/// <remarks>
/// Everything lives inside the lab's namespaces: nothing is created in the root namespace. The backends are
/// opened inside a namespace by <see cref="RunIn{T}"/>, which calls setns on a dedicated thread (network
/// namespaces are per thread); sockets and TAPs keep the namespace they were created in, so any thread can use
/// them afterwards. IPv6 is off in every namespace before any interface exists (no router solicitations, no DAD),
/// and the tests use only 10.x addresses inside the lab. Dispose backends before the lab: an open socket or TAP
/// keeps its namespace alive after <c>ip netns del</c>.
/// </remarks>
internal sealed class NetworkLab : IDisposable
{
    /// <summary>Every lab name starts with this, followed by the process id (see the cleanup test).</summary>
    public const string NamePrefix = "nmt";

    private static int s_counter;

    private readonly List<string> _namespaces = [];
    private readonly List<Process> _processes = [];
    private readonly string _directory;
    private int _links;

    public NetworkLab()
    {
        LinuxTestEnvironment.Require();
        Prefix = string.Create(CultureInfo.InvariantCulture, $"{NamePrefix}{Environment.ProcessId % 100000}x{Interlocked.Increment(ref s_counter)}");
        _directory = Directory.CreateTempSubdirectory("netmap-lab-").FullName;
    }

    /// <summary>The prefix of every namespace and interface this lab creates (at most 11 characters).</summary>
    public string Prefix { get; }

    /// <summary>The namespaces created so far.</summary>
    public IReadOnlyList<string> Namespaces => _namespaces;

    /// <summary>Creates namespace <c>Prefix + tag</c> with IPv6 off and loopback up.</summary>
    public string Namespace(string tag)
    {
        var name = Prefix + tag;
        Tools.Run("ip", "netns", "add", name);
        _namespaces.Add(name);
        Tools.Run("ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
        Tools.Run("ip", "-n", name, "link", "set", "lo", "up");
        return name;
    }

    /// <summary>A new interface name with this lab's prefix.</summary>
    public string LinkName(char kind) => string.Create(CultureInfo.InvariantCulture, $"{Prefix}{kind}{++_links}");

    /// <summary>
    /// A veth pair with one end in each namespace, both up with IPv6 off, MTU <paramref name="mtu"/> and the
    /// given MAC addresses. Returns the two ends' names.
    /// </summary>
    public (string A, string B) Veth(string namespaceA, string namespaceB, int mtu = 1500, string macA = "02:00:5e:10:00:01", string macB = "02:00:5e:10:00:02")
    {
        var a = LinkName('a');
        var b = LinkName('b');
        var m = mtu.ToString(CultureInfo.InvariantCulture);
        Tools.Run("ip", "link", "add", a, "netns", namespaceA, "address", macA, "mtu", m, "type", "veth", "peer", "name", b, "netns", namespaceB, "address", macB, "mtu", m);
        foreach (var (ns, dev) in new[] { (namespaceA, a), (namespaceB, b) })
        {
            DisableIpv6(ns, dev);
            Tools.Run("ip", "-n", ns, "link", "set", dev, "up");
        }

        return (a, b);
    }

    /// <summary>Turns IPv6 off on one interface (a TAP the backend created, say).</summary>
    public static void DisableIpv6(string ns, string dev) =>
        Tools.Run("ip", "netns", "exec", ns, "sysctl", "-qw", $"net.ipv6.conf.{dev}.disable_ipv6=1");

    /// <summary>Runs <paramref name="action"/> on a new thread inside network namespace <paramref name="ns"/>.</summary>
    public static T RunIn<T>(string ns, Func<T> action)
    {
        T? result = default;
        ExceptionDispatchInfo? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                EnterNamespace(ns);
                result = action();
            }
            catch (Exception e)
            {
                error = ExceptionDispatchInfo.Capture(e);
            }
        })
        { Name = "netns " + ns };
        thread.Start();
        thread.Join();
        error?.Throw();
        return result!;
    }

    /// <summary>Captures up to <paramref name="count"/> frames on <paramref name="dev"/> with tcpdump; returns once it listens.</summary>
    public Capture StartCapture(string ns, string dev, int count, string filter)
    {
        var file = Path.Combine(_directory, $"capture-{_processes.Count}.pcap");
        var process = Tools.Start(
            "ip", "netns", "exec", ns, "tcpdump", "-i", dev, "-nn", "-U", "--immediate-mode", "-Z", "root", "-s", "10000", "-B", "16384",
            "-c", count.ToString(CultureInfo.InvariantCulture), "-w", file, filter);
        _processes.Add(process);
        return new Capture(process, file);
    }

    /// <summary>Writes <paramref name="frames"/> to a pcap file and sends them with tcpreplay from <paramref name="dev"/>.</summary>
    public void Replay(string ns, string dev, IReadOnlyList<byte[]> frames)
    {
        var file = Path.Combine(_directory, $"replay-{Guid.NewGuid():N}.pcap");
        using (var stream = File.Create(file))
        using (var writer = new PcapWriter(stream))
        {
            for (var i = 0; i < frames.Count; i++)
            {
                writer.WritePacket(frames[i], 1_700_000_000_000_000_000L + i);
            }
        }

        ReplayFile(ns, dev, file);
    }

    /// <summary>Sends a pcap file's frames with tcpreplay from <paramref name="dev"/>.</summary>
    public static void ReplayFile(string ns, string dev, string file) =>
        Tools.Run("ip", "netns", "exec", ns, "tcpreplay", "-q", "-i", dev, file);

    /// <summary>Stops the tools, deletes the namespaces (their veths and created TAPs go with them) and the files.</summary>
    public void Dispose()
    {
        foreach (var process in _processes)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException)
            {
                // already gone
            }

            process.Dispose();
        }

        foreach (var ns in _namespaces)
        {
            Tools.TryRun("ip", "netns", "del", ns);
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a temp directory
        }
    }

    private static void EnterNamespace(string ns)
    {
        var fd = LibC.Open("/var/run/netns/" + ns, LibC.O_CLOEXEC);
        if (fd < 0)
        {
            throw new InvalidOperationException($"cannot open namespace {ns}: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        }

        try
        {
            if (LibC.SetNs(fd, LibC.CLONE_NEWNET) != 0)
            {
                throw new InvalidOperationException($"setns({ns}) failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
            }
        }
        finally
        {
            LibC.Close(fd);
        }
    }
}

/// <summary>A running tcpdump writing a pcap file.</summary>
internal sealed class Capture
{
    private readonly Process _process;
    private readonly ManualResetEventSlim _listening = new();
    private readonly System.Text.StringBuilder _stderr = new();

    public Capture(Process process, string file)
    {
        _process = process;
        File = file;
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _listening.Set(); // exited: stop waiting
                return;
            }

            lock (_stderr)
            {
                _stderr.AppendLine(e.Data);
            }

            if (e.Data.Contains("listening on", StringComparison.Ordinal))
            {
                _listening.Set();
            }
        };
        process.BeginErrorReadLine();
        process.StandardOutput.ReadToEndAsync();
        Assert.True(_listening.Wait(TimeSpan.FromSeconds(30)) && !process.HasExited, $"tcpdump did not start: {Stderr}");
    }

    public string File { get; }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Waits (generously) for tcpdump to have its count, then reads the frames it wrote.</summary>
    public List<byte[]> Frames(int expected)
    {
        if (!_process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        var frames = new List<byte[]>();
        using var reader = new PcapReader(System.IO.File.OpenRead(File), File);
        var buffer = new byte[PcapFormat.MaxCapturedLength];
        while (reader.TryReadPacket(buffer, out var info))
        {
            frames.Add(buffer[..info.Length]);
        }

        Assert.True(frames.Count == expected, $"tcpdump captured {frames.Count} frames, expected {expected}: {Stderr}");
        return frames;
    }
}
