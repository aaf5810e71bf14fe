using System.Diagnostics;
using System.Globalization;
using System.Text;
using Netmap.Io;
using Netmap.Io.Linux;
using Netmap.Io.Memory;
using Netmap.Io.Ports;
using Netmap.Io.Ports.Nic;
using Pipeline.Cli.Console;
using Pipeline.Config;
using Pipeline.Runtime;
using Pipeline.Stages;
using Stages;

namespace Pipeline.Cli.Bench;

/// <summary>
/// The <c>afpacket</c> scenario: a pipeline forwarding between two veth pairs through AF_PACKET ports, as
/// <c>bench/veth-bench.sh</c> runs it beside the Linux bridge and testpmd, but all in this process:
/// <code>
///   gen ns: g0 ─veth─ f0 ┐ fwd ns: pipeline f0 -> f1  ┌ f1 ─veth─ s0 :sink ns
/// </code>
/// The measuring thread is the generator: it fills the TX ring of an AF_PACKET port on <c>g0</c> (<c>netmap:g0</c>,
/// bursts of up to 512 frames: dst 02:00:00:00:00:02, src 02:00:00:00:00:01, EtherType 0x88B5, the reference bench's
/// frame). The rate is what <c>s0</c> receives, read from its kernel counters as the scripts read them (no socket
/// on the sink: the forwarder's sends do not pay for one).
/// </summary>
/// <remarks>
/// The generator offers what the kernel takes, and the forwarder may take less, so frames are dropped where a queue
/// is full: at a veth's backlog (the sending veth's TX drops) or at <c>f0</c>'s AF_PACKET ring (the socket's count).
/// The note of the result says how many were offered and where each one went. The kernel's veth transmit runs the
/// receiving side's stack on the sender's core: <c>g0</c>'s sends pay for <c>f0</c>'s socket. The forwarder's ports
/// are <c>thread: dedicated</c> unless <c>--ports</c> says otherwise; every thread's allocations count.
/// </remarks>
internal sealed class AfPacketLoop : IBenchLoop
{
    /// <summary>The generator's burst: pkt-gen's default.</summary>
    public const int Burst = 512;

    /// <summary>The frames' EtherType: local experimental, which no stack on the way handles.</summary>
    public const ushort EtherType = 0x88B5;

    /// <summary>How long the loop waits for any frame at the sink before it calls the forwarder stalled.</summary>
    public static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(30);

    private const int BufferSize = 2048;
    private const int GeneratorCpu = 0;
    private const int Buffers = 32768; // three AF_PACKET ports' rings (with host rings) plus the pipeline's batches

    // How long the sink must stay quiet after the generator stops before the counts are read.
    private static readonly TimeSpan DrainQuiet = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(5);

    private readonly VethTopology _topology;
    private readonly NetmapDomain _domain;
    private readonly BenchPipeline _pipeline;
    private readonly PortHandle _gen;
    private readonly NetDevCounters _sink;
    private readonly Dictionary<string, AfPacketBackend> _backends = new(4, StringComparer.Ordinal);
    private readonly byte[] _header;
    private readonly int _size;
    private readonly int _capacity;
    private readonly uint _fragments;
    private readonly long _sinkStart;
    private ulong[]? _affinity;
    private bool _pinned;
    private long _sent;
    private long _received;
    private string? _note;

    public AfPacketLoop(int size, int batch, BenchPorts ports = BenchPorts.Dedicated)
    {
        _size = size;
        _capacity = BufferSize;
        if (Unfit(size, batch) is { } why)
        {
            throw new BenchFailedException($"afpacket: {why}");
        }

        _fragments = (uint)SlotWriter.Fragments(size, _capacity);
        _header = [.. SlotWriter.EthernetTemplate[..12], EtherType >> 8, EtherType & 0xff];
        // The veths carry the frame whole: an MTU of at least the frame without its Ethernet header.
        _topology = VethTopology.Create(Math.Max(1500, size - SlotWriter.EthernetLength));
        PipelineDefinition definition;
        try
        {
            Yaml = CreateYaml(_topology.Forwarder, batch, ports);
            definition = PipelineLoader.Parse(Yaml, "<afpacket>", BuiltInStages.CreateRegistry());
            _domain = new NetmapDomain(new ArenaOptions { BufferCount = definition.Memory.Buffers, BufferSize = definition.Memory.BufferSize })
            {
                NoTimestamp = true,
                NicBackendFactory = OpenBackend,
            };
        }
        catch
        {
            _topology.Dispose();
            throw;
        }

        BenchPipeline? started = null;
        PortHandle? gen = null;
        NetDevCounters? sink = null;
        try
        {
            started = BenchPipeline.Start(definition, new PipelineRuntimeOptions { Domain = _domain });
            gen = NetworkNamespace.Run(_topology.Generator, () => _domain.Open("netmap:g0"), "netmap:g0");
            sink = NetDevCounters.Open(_topology.Sink, "s0");
            _sinkStart = sink.Read().RxPackets;
            _sink = sink;
            _gen = gen;
            _pipeline = started;
        }
        catch
        {
            sink?.Dispose();
            gen?.Dispose();
            started?.Dispose();
            _domain.Dispose();
            _topology.Dispose();
            throw;
        }
    }

    /// <summary>The forwarder's pipeline, as YAML.</summary>
    public string Yaml { get; }

    public bool ProcessWide => true;

    /// <summary>After <see cref="Complete"/>: what was offered, delivered and dropped where, over the whole run.</summary>
    public string? Note => _note;

    /// <summary>Why the forwarder cannot carry frames of <paramref name="size"/> bytes in batches of <paramref name="batch"/> slots, or null.</summary>
    public static string? Unfit(int size, int batch) => SlotWriter.Unfit(size, batch, BufferSize);

    /// <summary>The forwarder: <c>netmap:f0 -> netmap:f1</c> in namespace <paramref name="netns"/>, no stage (testpmd's io forwarding).</summary>
    public static string CreateYaml(string netns, int batch, BenchPorts ports)
    {
        var invariant = CultureInfo.InvariantCulture;
        var keys = ports.Yaml();
        var yaml = new StringBuilder();
        yaml.Append("name: bench-afpacket\n");
        yaml.Append(invariant, $"memory: {{ buffers: {Buffers}, buffer-size: {BufferSize}, batch-size: {batch} }}\n");
        yaml.Append("ports:\n");
        yaml.Append(invariant, $"  f0: {{ spec: \"netmap:f0\", netns: {netns}{keys} }}\n");
        yaml.Append(invariant, $"  f1: {{ spec: \"netmap:f1\", netns: {netns}{keys} }}\n");
        yaml.Append("pipes:\n  - f0 -> f1\n");
        return yaml.ToString();
    }

    public long Run(long packets)
    {
        if (!_pinned)
        {
            // The generator on CPU 0, as trafgen runs in the scripts (and testpmd's forwarding lcore is CPU 1): the
            // forwarder's threads then find the other core free instead of landing beside it by chance (0.8 against
            // 1.25 Mpps on two cores). Restored in Complete.
            _pinned = true;
            _affinity = CpuAffinity.PinCurrentThread(GeneratorCpu);
        }

        var tx = _gen.TxRing;
        var sink = _sink;
        var arena = tx.Arena;
        var header = _header.AsSpan();
        var size = _size;
        var capacity = _capacity;
        var fragments = _fragments;
        var start = _sinkStart + _received;
        long received = 0;
        long sent = 0;
        var idleSince = 0L;
        var spin = default(SpinWait);
        while (received < packets)
        {
            var k = Math.Min(Burst, tx.Space / fragments);
            if (k > 0)
            {
                var i = tx.Head;
                for (var n = 0u; n < k; n++)
                {
                    i = SlotWriter.Write(tx, arena, i, header, size, capacity, 0, -1);
                }

                tx.Head = tx.Cur = i;
                sent += k;
            }

            tx.TxSync(); // copies the burst into g0's AF_PACKET ring and kicks it
            var got = sink.Read().RxPackets - start - received;
            received += got;
            if (got > 0)
            {
                idleSince = 0;
            }
            else if (BenchStall.Stalled(ref idleSince, StallTimeout))
            {
                throw new BenchFailedException($"afpacket: no frame reached the sink for {StallTimeout.TotalSeconds} s ({_sent + sent} offered, {_received + received} received)");
            }
            if (k == 0 && got == 0)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
            else
            {
                spin.Reset();
            }
        }

        _sent += sent;
        _received += received;
        return received;
    }

    public void Complete()
    {
        Unpin();
        // Stop offering; whatever is still in a ring or backlog reaches the sink within a few milliseconds.
        var start = Stopwatch.GetTimestamp();
        var lastArrival = start;
        var delivered = _sink.Read().RxPackets;
        while (Stopwatch.GetElapsedTime(lastArrival) < DrainQuiet && Stopwatch.GetElapsedTime(start) < DrainLimit)
        {
            _gen.TxSync();
            Thread.Sleep(1);
            var now = _sink.Read().RxPackets;
            if (now != delivered)
            {
                delivered = now;
                lastArrival = Stopwatch.GetTimestamp();
            }
        }

        _note = Account(delivered - _sinkStart); // before the stop closes the sockets, which takes their drop counts along
        _pipeline.Stop();
    }

    public void Dispose()
    {
        Unpin();
        try
        {
            _pipeline.Stop();
            _gen.Dispose();
            _sink.Dispose();
            _pipeline.Dispose();
            _domain.AssertNoLeaks();
        }
        finally
        {
            _domain.Dispose();
            _topology.Dispose(); // after the sockets closed: an open one keeps its namespace
        }
    }

    private void Unpin()
    {
        if (Interlocked.Exchange(ref _affinity, null) is { } saved)
        {
            CpuAffinity.Restore(saved);
        }
    }

    // The backends of the three ports, kept for their counters. The generator's is a plain socket beside the host
    // stack (no host rings: nothing to take from a stack that sends nothing); the forwarder's are what
    // `pipeline run` opens.
    private INicBackend? OpenBackend(string name, NicOpenRequest request)
    {
        var options = name == "g0" ? new AfPacketOptions { HostRings = false } : new AfPacketOptions();
        var backend = LinuxInterfaces.Open(name, request, options);
        if (backend is AfPacketBackend afPacket)
        {
            lock (_backends)
            {
                _backends[name] = afPacket;
            }
        }

        return backend;
    }

    // Where the frames went, over the whole run (warm-up included): offered at g0 (what its socket sent), dropped
    // at the g0 -> f0 veth's backlog, at f0's socket ring, by the pipeline, at the f1 -> s0 veth's backlog; the
    // rest reached s0. A frame in none of these is a failure: nothing may be lost without a count.
    private string Account(long delivered)
    {
        var offered = Statistics("g0").SentFrames;
        // The pipeline counts what f0's socket ring had no room for as overflow drops of port f0 (the device's missed
        // count); the rest of its drops are its own.
        var counters = _pipeline.Runtime;
        var ringFull = counters.CountersOf("f0").Drops(DropReason.Overflow);
        long pipelineDrops = -ringFull;
        foreach (var node in counters.Counters)
        {
            pipelineDrops += node.TotalDrops;
        }

        long g0Backlog, f1Backlog;
        using (var g0 = NetDevCounters.Open(_topology.Generator, "g0"))
        using (var f1 = NetDevCounters.Open(_topology.Forwarder, "f1"))
        {
            g0Backlog = g0.Read().TxDropped;
            f1Backlog = f1.Read().TxDropped;
        }

        var unaccounted = offered - delivered - g0Backlog - ringFull - pipelineDrops - f1Backlog;
        var invariant = CultureInfo.InvariantCulture;
        var note = new StringBuilder();
        note.Append(invariant, $"whole run: {Units.Count(offered)} offered, {Units.Count(delivered)} delivered ({Percent(delivered, offered)})");
        note.Append(invariant, $"; dropped: g0->f0 veth backlog {Units.Count(g0Backlog)}, f0 ring full {Units.Count(ringFull)}, pipeline {Units.Count(pipelineDrops)}, f1->s0 veth backlog {Units.Count(f1Backlog)}");
        if (unaccounted > 0)
        {
            throw new BenchFailedException($"afpacket: {Units.Count(unaccounted)} frames lost without a count ({note})");
        }

        if (unaccounted < 0)
        {
            note.Append(invariant, $"; {Units.Count(-unaccounted)} more frames reached s0 than g0's socket sent (a host stack's own)");
        }

        return note.ToString();
    }

    private NicStatistics Statistics(string name)
    {
        lock (_backends)
        {
            return _backends.TryGetValue(name, out var backend) ? backend.GetStatistics() : default;
        }
    }

    private static string Percent(long part, long whole) =>
        whole == 0 ? "-" : string.Create(CultureInfo.InvariantCulture, $"{100.0 * part / whole:0.#}%");
}
