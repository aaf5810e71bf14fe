using Microsoft.Win32.SafeHandles;

namespace Netmap.Io.Linux;

/// <summary>An interface's kernel counters: packets and drops each way (the columns of <c>/proc/net/dev</c>).</summary>
/// <param name="RxPackets">Frames the interface received.</param>
/// <param name="RxDropped">Frames dropped on receive.</param>
/// <param name="TxPackets">Frames the interface sent.</param>
/// <param name="TxDropped">Frames dropped on transmit (a TAP: frames for the reader that found its queue full).</param>
public readonly record struct InterfaceCounters(long RxPackets, long RxDropped, long TxPackets, long TxDropped);

/// <summary>
/// Reads one interface's kernel counters from <c>/proc/net/dev</c> of the network namespace it was opened in, as
/// <c>ip -s link</c> or <c>/sys/class/net/IF/statistics</c> show them, without a process per read and without
/// allocating.
/// </summary>
/// <remarks>
/// The file is opened as <c>/proc/thread-self/net/dev</c> on the calling thread (<see cref="OpenHere"/>) or on a thread
/// inside namespace <c>netns</c> (<see cref="Open"/>); an open <c>/proc/net</c> file keeps the namespace it was
/// opened in, so any thread may read it afterwards. A veth counts as received what its peer sent, at the peer's
/// transmit. Reads from several threads at once are serialized.
/// <code>using var sink = NetDevCounters.Open("blue", "veth1"); var received = sink.Read().RxPackets;</code>
/// </remarks>
public sealed class NetDevCounters : IDisposable
{
    private const string Path = "/proc/thread-self/net/dev";
    private const int Columns = 16;

    private readonly SafeFileHandle _file;
    private readonly byte[] _name;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly long[] _columns = new long[Columns];
    private readonly Lock _lock = new();

    private NetDevCounters(SafeFileHandle file, string interfaceName)
    {
        _file = file;
        _name = System.Text.Encoding.ASCII.GetBytes(interfaceName + ":");
        InterfaceName = interfaceName;
    }

    /// <summary>The interface whose counters this reads.</summary>
    public string InterfaceName { get; }

    /// <summary>The counters of <paramref name="interfaceName"/> in network namespace <paramref name="netns"/> (see <see cref="NetworkNamespace"/>).</summary>
    public static NetDevCounters Open(string netns, string interfaceName)
    {
        ArgumentNullException.ThrowIfNull(interfaceName);
        return NetworkNamespace.Run(netns, () => OpenHere(interfaceName), "netns " + netns);
    }

    /// <summary>The counters of <paramref name="interfaceName"/> in the calling thread's network namespace.</summary>
    /// <exception cref="NetmapException">Not Linux (EOPNOTSUPP), or no <c>/proc</c> to read (ENXIO).</exception>
    public static NetDevCounters OpenHere(string interfaceName)
    {
        ArgumentNullException.ThrowIfNull(interfaceName);
        if (!OperatingSystem.IsLinux())
        {
            ThrowHelper.Netmap(NetmapError.EOPNOTSUPP, interfaceName, "interface counters are read from Linux's /proc/net/dev");
        }

        try
        {
            return new NetDevCounters(File.OpenHandle(Path), interfaceName);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new NetmapException(NetmapError.ENXIO, interfaceName, $"cannot open {Path}: {ex.Message}");
        }
    }

    /// <summary>The counters now; false when the interface is no longer in its namespace.</summary>
    public bool TryRead(out InterfaceCounters counters)
    {
        lock (_lock)
        {
            var length = RandomAccess.Read(_file, _buffer, 0);
            var text = _buffer.AsSpan(0, length);
            while (text.Length > 0)
            {
                var end = text.IndexOf((byte)'\n');
                var line = end < 0 ? text : text[..end];
                text = end < 0 ? [] : text[(end + 1)..];
                line = line.TrimStart((byte)' ');
                if (line.StartsWith(_name))
                {
                    Parse(line[_name.Length..]);
                    counters = new InterfaceCounters(_columns[1], _columns[3], _columns[9], _columns[11]);
                    return true;
                }
            }
        }

        counters = default;
        return false;
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => _file.Dispose();

    // rx bytes, packets, errs, drop, fifo, frame, compressed, multicast; tx bytes, packets, errs, drop, fifo, colls,
    // carrier, compressed: numbers separated by spaces.
    private void Parse(ReadOnlySpan<byte> numbers)
    {
        var column = 0;
        var i = 0;
        while (column < Columns)
        {
            while (i < numbers.Length && numbers[i] == (byte)' ')
            {
                i++;
            }

            long value = 0;
            while (i < numbers.Length && numbers[i] is >= (byte)'0' and <= (byte)'9')
            {
                value = (value * 10) + (numbers[i] - '0');
                i++;
            }

            _columns[column++] = value;
        }
    }
}
