using Microsoft.Win32.SafeHandles;
using Netmap.Io.Linux;

namespace Pipeline.Cli.Bench;

/// <summary>An interface's kernel counters: packets and drops each way (the columns of <c>/proc/net/dev</c>).</summary>
internal readonly record struct InterfaceCounters(long RxPackets, long RxDropped, long TxPackets, long TxDropped);

/// <summary>
/// Reads one interface's counters from <c>/proc/net/dev</c> of another network namespace, as the scripts read
/// <c>/sys/class/net/IF/statistics</c> under <c>ip netns exec</c>, without a process per read and without allocating.
/// </summary>
/// <remarks>
/// The file is opened as <c>/proc/thread-self/net/dev</c> on a thread inside the namespace
/// (<see cref="NetworkNamespace.Run{T}"/>); an open <c>/proc/net</c> file keeps the namespace it was opened in, so
/// any thread may read it afterwards. A veth counts as received what its peer sent, at the peer's transmit: the
/// sink's <see cref="InterfaceCounters.RxPackets"/> is the reference bench's figure.
/// </remarks>
internal sealed class NetDevCounters : IDisposable
{
    private const string Path = "/proc/thread-self/net/dev";
    private const int Columns = 16;

    private readonly SafeFileHandle _file;
    private readonly byte[] _name;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly long[] _columns = new long[Columns];

    private NetDevCounters(SafeFileHandle file, string interfaceName)
    {
        _file = file;
        _name = System.Text.Encoding.ASCII.GetBytes(interfaceName + ":");
        InterfaceName = interfaceName;
    }

    /// <summary>The interface whose counters this reads.</summary>
    public string InterfaceName { get; }

    /// <summary>Opens the counters of <paramref name="interfaceName"/> in network namespace <paramref name="netns"/>.</summary>
    public static NetDevCounters Open(string netns, string interfaceName) =>
        NetworkNamespace.Run(netns, () => new NetDevCounters(File.OpenHandle(Path), interfaceName), "netns " + netns);

    /// <summary>The counters now.</summary>
    /// <exception cref="BenchFailedException">The interface is gone from the namespace.</exception>
    public InterfaceCounters Read()
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
                return new InterfaceCounters(_columns[1], _columns[3], _columns[9], _columns[11]);
            }
        }

        throw new BenchFailedException($"afpacket: interface {InterfaceName} is no longer in its namespace");
    }

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
