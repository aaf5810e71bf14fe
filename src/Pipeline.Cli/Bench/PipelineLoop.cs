using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Netmap.Io;
using Netmap.Io.Memory;
using Netmap.Io.Ports;
using Netmap.Io.Rings;
using Pipeline.Cli.Commands;
using Pipeline.Config;
using Pipeline.Runtime;
using Stages;

namespace Pipeline.Cli.Bench;

/// <summary>
/// The <c>pipeline-N</c> scenarios: a pipeline of N built-in stages between two pipe ports, run by the actor
/// runtime (one actor per port and stage, credit windows, batches) as <c>pipeline run</c> runs it. The
/// measuring thread is the generator and the sink: it fills the TX ring of the pipe the pipeline reads
/// (<c>netmap:bench{0</c>, bursts of up to 512 frames whose 42 header bytes it writes) and drains the pipe the
/// pipeline writes (<c>netmap:bench}1</c>, checking every frame's length and EtherType). No file I/O.
/// </summary>
/// <remarks>
/// The generator and the sink cost about what the <c>pipe</c> scenario costs per packet, on their own thread;
/// on a 2-core machine that thread shares the cores with the actors. Allocations count every thread. With
/// <c>--threads N</c> the actors run on N threads of the pipeline's own (<c>runtime: threads</c>) instead of the
/// .NET thread pool; with <c>--fuse</c> the stages run in one actor (<c>runtime: fuse</c>).
/// </remarks>
internal sealed class PipelineLoop : IBenchLoop
{
    /// <summary>The generator's burst: pkt-gen's default.</summary>
    public const int Burst = 512;

    /// <summary>How long the loop waits for any progress before it calls the pipeline stalled.</summary>
    public static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(30);

    private const int SlotsPerRing = 1024;
    private const int BufferSize = 2048;
    private const int Headroom = 128;
    private const int Window = 4;

    private readonly string _name;
    private readonly NetmapDomain _domain;
    private readonly BenchPipeline _pipeline;
    private readonly PipelineRuntime _runtime;
    private readonly PortHandle _gen;
    private readonly PortHandle _sink;
    private readonly byte[] _headers;
    private readonly int _size;
    private readonly int _capacity;
    private readonly uint _fragments;
    private byte _seq;
    private long _sent;
    private long _received;
    private long _damaged;

    public PipelineLoop(BenchScenario scenario, int size, int batch, BenchPorts ports = BenchPorts.Actor, BenchRuntime? runtime = null)
    {
        _name = scenario.Name;
        _size = size;
        if (Unfit(size, batch) is { } why)
        {
            throw new BenchFailedException($"{_name}: {why}");
        }

        Yaml = CreateYaml(scenario, batch, ports, runtime);
        var definition = PipelineLoader.Parse(Yaml, $"<{_name}>", BuiltInStages.CreateRegistry());
        var memory = definition.Memory;
        _domain = new NetmapDomain(new ArenaOptions { BufferCount = memory.Buffers, BufferSize = memory.BufferSize }) { NoTimestamp = true }; // as `pipeline run`'s
        BenchPipeline? started = null;
        try
        {
            started = BenchPipeline.Start(definition, new PipelineRuntimeOptions { Domain = _domain, Polled = runtime?.Polled ?? false });
            var options = new RegisterOptions
            {
                TxSlots = SlotsPerRing,
                RxSlots = SlotsPerRing,
                Offsets = new OffsetOptions { MaxOffset = (ulong)memory.BufferSize, InitialOffset = Headroom },
            };
            _gen = _domain.Open("netmap:bench{0", options);
            _sink = _domain.Open("netmap:bench}1", options);
            _pipeline = started;
            _runtime = started.Runtime;
        }
        catch
        {
            started?.Dispose();
            _domain.Dispose();
            throw;
        }

        _headers = FrameTemplate.Create(size).Headers.ToArray();
        _capacity = memory.BufferSize - Headroom;
        _fragments = (uint)SlotWriter.Fragments(size, _capacity);
    }

    /// <summary>Why the runtime cannot carry frames of <paramref name="size"/> bytes in batches of <paramref name="batch"/> slots, or null.</summary>
    public static string? Unfit(int size, int batch) => SlotWriter.Unfit(size, batch, BufferSize - Headroom);

    /// <summary>The pipeline that runs, as YAML.</summary>
    public string Yaml { get; }

    public bool ProcessWide => true;

    /// <summary>
    /// The pipeline file of a scenario: the stage chain between the pipe ports, <c>batch-size</c>, enough
    /// buffers for the pipes' rings plus every batch the credit windows let fly, and the <c>runtime:</c> section
    /// of <paramref name="runtime"/> (none for the default).
    /// </summary>
    public static string CreateYaml(BenchScenario scenario, int batch, BenchPorts ports = BenchPorts.Actor, BenchRuntime? runtime = null)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var types = scenario.StageTypes;
        // Two pipes of four 1024-slot rings, plus a full window of full batches on every edge, plus slack.
        var buffers = (4 * 2 * SlotsPerRing) + ((types.Count + 1) * Window * batch) + 4096;
        buffers = Math.Max(16384, (buffers + 1023) / 1024 * 1024);
        var yaml = new StringBuilder();
        var invariant = CultureInfo.InvariantCulture;
        yaml.Append(invariant, $"name: bench-{scenario.Name}\n");
        yaml.Append(invariant, $"memory: {{ buffers: {buffers}, buffer-size: {BufferSize}, headroom: {Headroom}, batch-size: {batch}, window: {Window} }}\n");
        yaml.Append((runtime ?? BenchRuntime.Default).Yaml());
        yaml.Append("ports:\n");
        yaml.Append(invariant, $"  gen:  {{ spec: \"netmap:bench}}0\"{ports.Yaml()} }}\n");
        yaml.Append(invariant, $"  sink: {{ spec: \"netmap:bench{{1\"{ports.Yaml()} }}\n");
        yaml.Append("stages:\n");
        for (var i = 0; i < types.Count; i++)
        {
            var options = types[i] == "vlan-push" ? ", vid: 100" : string.Empty;
            yaml.Append(invariant, $"  s{i + 1}: {{ type: {types[i]}{options} }}\n");
        }

        yaml.Append("pipes:\n  - gen");
        for (var i = 0; i < types.Count; i++)
        {
            yaml.Append(invariant, $" -> s{i + 1}");
        }

        yaml.Append(" -> sink\n");
        return yaml.ToString();
    }

    public long Run(long packets)
    {
        var tx = _gen.TxRing;
        var rx = _sink.RxRing;
        var arena = tx.Arena;
        var headers = _headers.AsSpan();
        var size = _size;
        var capacity = _capacity;
        var fragments = _fragments;
        var seq = _seq;
        long received = 0;
        long sent = 0;
        long damaged = 0;
        var fragmentBytes = 0;
        var spin = default(SpinWait);
        var runtime = _runtime;
        var polled = runtime.IsPolled;
        var idleSince = 0L;
        while (received < packets)
        {
            var k = Math.Min(Burst, tx.Space / fragments);
            if (k > 0)
            {
                var i = tx.Head;
                for (var n = 0u; n < k; n++)
                {
                    i = SlotWriter.Write(tx, arena, i, headers, size, capacity, Headroom, seq++);
                }

                tx.Head = tx.Cur = i;
                sent += k;
            }

            tx.TxSync(); // hands the burst to the pipeline's port, takes back what it released
            if (polled)
            {
                runtime.Poll(); // --polled: the pipeline's actors run here, now, until nothing is pending
            }

            rx.RxSync();
            var j = rx.Head;
            var tail = rx.Tail;
            var got = 0;
            while (j != tail)
            {
                ref readonly var slot = ref rx[j];
                if (fragmentBytes == 0 && BinaryPrimitives.ReadUInt16BigEndian(arena.GetBuffer(slot.BufIdx).Slice(rx.ReadOffset(in slot) + 12)) != 0x0800)
                {
                    damaged++; // a tag left behind, or another frame's bytes
                }

                fragmentBytes += slot.Len;
                if ((slot.Flags & SlotFlags.MoreFrag) == 0)
                {
                    if (fragmentBytes != size)
                    {
                        damaged++;
                    }

                    fragmentBytes = 0;
                    got++;
                }

                j = rx.Next(j);
            }

            rx.Head = rx.Cur = j; // released by the next RxSync
            received += got;
            // Stalled is "nothing arrives", even while the generator still finds room (a port dropping all).
            if (got > 0)
            {
                idleSince = 0;
            }
            else if (BenchStall.Stalled(ref idleSince, StallTimeout))
            {
                throw new BenchFailedException($"{_name}: no packet moved for {StallTimeout.TotalSeconds} s ({_sent + sent} sent, {_received + received} received)");
            }
            if (k > 0 || got > 0)
            {
                spin.Reset();
            }
            else
            {
                // Nothing to do: the pipeline is busy or its actors are not scheduled. Yield the core to them
                // (never sleep: a 1 ms sleep is a whole ring of packets at these rates).
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }

        _seq = seq;
        _sent += sent;
        _received += received;
        _damaged += damaged;
        return received;
    }

    public void Complete()
    {
        // Stop producing; what is in the pipeline arrives (nothing is dropped on this path).
        var rx = _sink.RxRing;
        var deadline = Stopwatch.GetTimestamp() + (long)(StallTimeout.TotalSeconds * Stopwatch.Frequency);
        while (_received < _sent && Stopwatch.GetTimestamp() < deadline)
        {
            _gen.TxSync();
            _sink.RxSync();
            var j = rx.Head;
            while (j != rx.Tail)
            {
                if ((rx[j].Flags & SlotFlags.MoreFrag) == 0)
                {
                    _received++;
                }

                j = rx.Next(j);
            }

            rx.Head = rx.Cur = j;
            Thread.Yield();
        }

        _pipeline.Stop();
        var drops = new StringBuilder();
        foreach (var node in _runtime.Counters)
        {
            if (node.TotalDrops > 0)
            {
                drops.Append(CultureInfo.InvariantCulture, $" {node.Name}: {RunCommand.Drops(node.Snapshot())};");
            }
        }

        if (_received != _sent || _damaged != 0 || drops.Length > 0)
        {
            throw new BenchFailedException(string.Create(
                CultureInfo.InvariantCulture,
                $"{_name}: {_sent} packets sent, {_received} received, {_damaged} damaged;{drops}"));
        }
    }

    public void Dispose()
    {
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
        }
    }
}
