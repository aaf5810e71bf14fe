using Netmap.Io;
using Netmap.Io.Memory;
using Netmap.Io.Ports;
using Netmap.Io.Rings;
using Pipeline.Config;
using Pipeline.Runtime;
using Pipeline.Stages;

namespace Pipeline.Tests;

/// <summary>
/// An actor system (messages serialised, as across nodes) and a checked netmap domain the test shares with
/// the pipelines it runs, so it can feed them through pipes. Every test ends with an audit: every buffer back.
/// </summary>
public abstract class PipelineTestBase : Akka.TestKit.Xunit2.TestKit
{
    private static readonly Akka.Configuration.Config Hocon = Akka.Configuration.ConfigurationFactory.ParseString("""
        akka.actor.serialize-messages = on
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        """);

    private readonly List<PortHandle> _handles = [];

    protected PipelineTestBase(int buffers = 16384)
        : base(Hocon)
    {
        Domain = new NetmapDomain(new ArenaOptions { BufferCount = buffers, Checked = true });
        Registry = new StageRegistry()
            .Register<PassStage>()
            .Register<Push4Stage>()
            .Register<Pop4Stage>()
            .Register<ParityStage>()
            .Register<SlowStage>()
            .Register<FaultyStage>()
            .Register<HoarderStage>()
            .Register<DelayStage>()
            .Register<MirrorTestStage>();
    }

    protected NetmapDomain Domain { get; }

    protected StageRegistry Registry { get; }

    /// <summary>A pipeline from parts: ports (name, spec), stages (name, type, options), pipes ("a -> b.gate -> c").</summary>
    protected PipelineDefinition Define(
        (string Name, string Spec)[] ports,
        (string Name, string Type, object? Options)[] stages,
        params string[] pipes)
    {
        var portDefs = new List<PortDefinition>();
        foreach (var (name, spec) in ports)
        {
            portDefs.Add(new PortDefinition(name, PortSpecParser.Parse(spec), SourceSpan.None));
        }

        var stageDefs = new List<StageDefinition>();
        foreach (var (name, type, options) in stages)
        {
            Assert.True(Registry.TryGet(type, out var descriptor), $"no stage type {type}");
            stageDefs.Add(new StageDefinition(name, descriptor, options, SourceSpan.None));
        }

        var edges = new List<EdgeDefinition>();
        foreach (var line in pipes)
        {
            var parts = line.Split("->", StringSplitOptions.TrimEntries);
            for (var i = 0; i + 1 < parts.Length; i++)
            {
                var (from, gate) = Split(parts[i]);
                var (to, _) = Split(parts[i + 1]);
                edges.Add(new EdgeDefinition(from, Kind(from), gate ?? "out", to, to == "drop" ? NodeKind.Drop : Kind(to), SourceSpan.None));
            }
        }

        return new PipelineDefinition { Name = "test", Ports = portDefs, Stages = stageDefs, Edges = edges };

        NodeKind Kind(string node) => portDefs.Exists(p => p.Name == node) ? NodeKind.Port : NodeKind.Stage;

        static (string Node, string? Gate) Split(string part)
        {
            var dot = part.IndexOf('.', StringComparison.Ordinal);
            return dot < 0 ? (part, null) : (part[..dot], part[(dot + 1)..]);
        }
    }

    protected PipelineRuntime Start(PipelineDefinition definition, TimeProvider? time = null) =>
        PipelineRuntime.Start(Sys, definition, new PipelineRuntimeOptions { Domain = Domain, Checked = true, Registry = Registry, Time = time ?? TimeProvider.System });

    /// <summary>
    /// Opens a pipe end for the test's side, after the pipeline opened its own. With
    /// <paramref name="headroom"/> its TX slots start at that offset, as the pipeline's own ports do.
    /// </summary>
    protected PortHandle OpenEnd(string spec, int headroom = 128)
    {
        var options = headroom == 0 ? null : new RegisterOptions
        {
            Offsets = new OffsetOptions { MaxOffset = (ulong)Domain.DefaultArena.BufferSize, InitialOffset = (ulong)headroom },
        };
        var handle = Domain.Open(spec, options);
        _handles.Add(handle);
        return handle;
    }

    /// <summary>Injects every packet into <paramref name="tx"/>, syncing and waiting whenever the ring is full.</summary>
    /// <returns>The buffer index each packet (its first slot) was sent in.</returns>
    protected static List<uint> SendAll(PortHandle tx, IEnumerable<byte[]> packets, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var indices = new List<uint>();
        foreach (var packet in packets)
        {
            while (tx.TxRing.Space == 0 || tx.Inject(packet) == 0)
            {
                tx.TxSync();
                Assert.True(DateTime.UtcNow < deadline, "the pipeline did not take the packets in time");
                Thread.Sleep(1);
            }

            var ring = tx.TxRing;
            indices.Add(ring[ring.Prev(ring.Head)].BufIdx); // single-slot packets: the slot just filled
            if (ring.Space < ring.NumSlots / 2)
            {
                tx.TxSync();
            }
        }

        tx.TxSync();
        return indices;
    }

    /// <summary>Reads packets from <paramref name="rx"/> until <paramref name="count"/> arrived or the timeout.</summary>
    protected static List<(byte[] Data, uint BufIdx)> Receive(PortHandle rx, int count, TimeSpan timeout)
    {
        var received = new List<(byte[], uint)>();
        var deadline = DateTime.UtcNow + timeout;
        var scratch = new byte[65536];
        var ring = rx.RxRing;
        while (received.Count < count && DateTime.UtcNow < deadline)
        {
            rx.RxSync();
            while (!ring.IsEmpty)
            {
                var index = ring[ring.Head].BufIdx;
                var len = ring.CopyPacket(ring.Head, scratch, out var next, out _);
                Assert.True(len >= 0, "an incomplete packet reached the sink");
                received.Add((scratch[..len], index));
                ring.Head = ring.Cur = next;
            }

            rx.RxSync();
            if (received.Count < count)
            {
                Thread.Sleep(1);
            }
        }

        return received;
    }

    /// <summary>Reads whatever arrives within <paramref name="quiet"/> of silence.</summary>
    protected static List<(byte[] Data, uint BufIdx)> ReceiveUntilQuiet(PortHandle rx, TimeSpan quiet)
    {
        var all = new List<(byte[], uint)>();
        while (true)
        {
            var got = Receive(rx, int.MaxValue, quiet);
            if (got.Count == 0)
            {
                return all;
            }

            all.AddRange(got);
        }
    }

    /// <summary>Closes the test's handles, then checks every buffer is back.</summary>
    protected void CloseAndAudit()
    {
        foreach (var handle in _handles)
        {
            handle.Dispose();
        }

        _handles.Clear();
        Domain.AssertNoLeaks();
    }

    protected override void Dispose(bool disposing)
    {
        try
        {
            if (disposing)
            {
                foreach (var handle in _handles)
                {
                    handle.Dispose();
                }

                Domain.Dispose();
            }
        }
        finally
        {
            base.Dispose(disposing);
        }
    }

    protected static byte[] Packet(int length, int seed)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)((seed * 7) + i);
        }

        return bytes;
    }

    protected static SlotFlags NoFlags => SlotFlags.None;
}
