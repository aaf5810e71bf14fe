using System.Buffers.Binary;
using Akka.Actor;
using Akka.Configuration;
using Netmap.Io;
using Netmap.Io.Memory;
using Netmap.Io.Ports;
using Netmap.Io.Rings;
using Pipeline.Config;
using Pipeline.Runtime;
using Stages;
using Xunit.Abstractions;

namespace Pipeline.Tests.Runtime;

/// <summary>
/// DESIGN.md's "0 bytes allocated per packet in steady state", end to end: generator, vlan-push, vlan-pop,
/// counter, sink through the actor runtime (the bench's pipeline-3), a million packets after a warm-up.
/// </summary>
/// <remarks>
/// The work crosses threads (the driver here, the actors on the thread pool), so the count is
/// GC.GetTotalAllocatedBytes over the whole process: the collection runs alone (no other test allocating
/// meanwhile), on its own actor system without <c>serialize-messages</c> (a test setting that serialises
/// every control message, not a cost of the runtime) and over an unchecked arena (checked mode records owners
/// by design). What it counts besides the runtime's own allocations is Akka's background work (scheduler,
/// timers), which is the runtime's cost too.
/// The runtime sends nothing it allocates per batch: the pooled batch is the message, a credit is one cached
/// instance per pipe, and the ports' poll timers are periodic. (Before that it allocated about 2 B/packet at
/// batch-size 256: a message and a credit record and a gate-name string per batch and pipe, and a one-shot
/// timer per wait.)
/// </remarks>
[Collection(SteadyStateAllocationTests.Alone)]
public sealed class SteadyStateAllocationTests : IDisposable
{
    public const string Alone = "allocation: alone in the process";

    private const int WarmupPackets = 200_000;
    private const int MeasuredPackets = 1_000_000;
    private const int FrameLength = 64;
    private const int Headroom = 128;
    private const int Burst = 512;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private static readonly Akka.Configuration.Config Hocon = ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        akka.log-dead-letters = off
        akka.log-dead-letters-during-shutdown = off
        """);

    private readonly ITestOutputHelper _output;
    private readonly ActorSystem _system = ActorSystem.Create("allocation", Hocon);
    private readonly NetmapDomain _domain = new(new ArenaOptions { BufferCount = 16384 });

    public SteadyStateAllocationTests(ITestOutputHelper output) => _output = output;

    // 256: the bench's pipeline-3. 32: small batches, where one object per batch and pipe (24 bytes or more,
    // over 4 pipes) would cost 3 B/packet, so the bound catches any allocation per batch, not only per packet.
    // And fused (PipelineRuntimeOptions.FuseStages): the three stages in one actor, batches handed on by queue.
    [Theory]
    [InlineData(256, false)]
    [InlineData(32, false)]
    [InlineData(32, true)]
    public async Task A_pipeline_of_three_stages_allocates_under_one_byte_per_packet_in_steady_state(int batchSize, bool fused)
    {
        var definition = PipelineLoader.Parse(
            $$"""
            name: steady-state
            memory: { buffers: 16384, batch-size: {{batchSize}}, window: 4, headroom: 128 }
            ports:
              gen:  { spec: "netmap:alloc}0" }
              sink: { spec: "netmap:alloc{1" }
            stages:
              push:  { type: vlan-push, vid: 100 }
              pop:   { type: vlan-pop }
              count: { type: counter }
            pipes:
              - gen -> push -> pop -> count -> sink
            """,
            "steady-state.yaml",
            BuiltInStages.CreateRegistry());
        var runtime = PipelineRuntime.Start(_system, definition, new PipelineRuntimeOptions { Domain = _domain, FuseStages = fused });
        var options = new RegisterOptions
        {
            Offsets = new OffsetOptions { MaxOffset = (ulong)_domain.DefaultArena.BufferSize, InitialOffset = Headroom },
        };
        using var gen = _domain.Open("netmap:alloc{0", options);
        using var sink = _domain.Open("netmap:alloc}1", options);
        var driver = new Driver(gen, sink);

        // The driver gets a thread of its own, so the actors keep the thread pool's.
        var measured = await Task.Factory.StartNew(
            () =>
            {
                driver.Run(WarmupPackets);
                var before = GC.GetTotalAllocatedBytes(precise: true);
                driver.Run(MeasuredPackets);
                return GC.GetTotalAllocatedBytes(precise: true) - before;
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        driver.Drain();
        await runtime.StopAsync(TimeSpan.FromSeconds(10));

        var perPacket = (double)measured / MeasuredPackets;
        _output.WriteLine($"{measured} bytes allocated over {MeasuredPackets} packets: {perPacket:F3} B/packet");
        Assert.Equal(driver.Sent, driver.Received);
        Assert.Equal(0, driver.Damaged);
        Assert.Equal(driver.Sent, runtime.CountersOf("gen").InPackets);
        Assert.Equal(driver.Sent, runtime.CountersOf("sink").OutPackets);
        Assert.Equal(driver.Sent, runtime.CountersOf("count").OutPackets);
        Assert.All(runtime.Counters, c => Assert.Equal(0, c.TotalDrops));
        Assert.True(perPacket < 1, $"steady state allocates {perPacket:F3} bytes per packet ({measured} bytes over {MeasuredPackets} packets); the target is 0");
        gen.Dispose();
        sink.Dispose();
        _domain.AssertNoLeaks();
    }

    public void Dispose()
    {
        _system.Terminate().Wait(TimeSpan.FromSeconds(10));
        _domain.Dispose();
    }

    /// <summary>Feeds the pipeline's source pipe and drains its sink pipe from one thread, allocation-free.</summary>
    private sealed class Driver(PortHandle gen, PortHandle sink)
    {
        public long Sent { get; private set; }

        public long Received { get; private set; }

        public long Damaged { get; private set; }

        /// <summary>Sends and receives until <paramref name="packets"/> more arrived.</summary>
        public void Run(long packets)
        {
            var tx = gen.TxRing;
            var rx = sink.RxRing;
            var arena = tx.Arena;
            var target = Received + packets;
            var deadline = DateTime.UtcNow + Timeout;
            var spin = default(SpinWait);
            while (Received < target)
            {
                var k = Math.Min((uint)Burst, tx.Space);
                var i = tx.Head;
                for (var n = 0u; n < k; n++)
                {
                    ref var slot = ref tx[i];
                    tx.SetOffset(ref slot, Headroom);
                    var data = arena.GetBuffer(slot.BufIdx)[Headroom..];
                    data[..12].Fill(0x02);
                    BinaryPrimitives.WriteUInt16BigEndian(data[12..], 0x0800);
                    slot.Len = FrameLength;
                    slot.Flags = SlotFlags.None;
                    i = tx.Next(i);
                }

                tx.Head = tx.Cur = i;
                Sent += k;
                tx.TxSync();
                var got = Receive(rx);
                if (k == 0 && got == 0)
                {
                    if (DateTime.UtcNow > deadline)
                    {
                        throw new TimeoutException($"the pipeline stalled: {Sent} sent, {Received} received");
                    }

                    spin.SpinOnce(sleep1Threshold: -1);
                }
            }
        }

        /// <summary>Receives what is still in flight.</summary>
        public void Drain()
        {
            var deadline = DateTime.UtcNow + Timeout;
            while (Received < Sent && DateTime.UtcNow < deadline)
            {
                gen.TxSync();
                if (Receive(sink.RxRing) == 0)
                {
                    Thread.Yield();
                }
            }
        }

        private int Receive(Ring rx)
        {
            rx.RxSync();
            var got = 0;
            var j = rx.Head;
            while (j != rx.Tail)
            {
                ref readonly var slot = ref rx[j];
                var data = rx.Arena.GetBuffer(slot.BufIdx)[rx.ReadOffset(in slot)..];
                if (slot.Len != FrameLength || BinaryPrimitives.ReadUInt16BigEndian(data[12..]) != 0x0800)
                {
                    Damaged++;
                }

                got++;
                j = rx.Next(j);
            }

            rx.Head = rx.Cur = j;
            Received += got;
            return got;
        }
    }
}

/// <summary>Runs <see cref="SteadyStateAllocationTests"/> after every parallel collection, with nothing beside it.</summary>
[CollectionDefinition(SteadyStateAllocationTests.Alone, DisableParallelization = true)]
public sealed class SteadyStateAllocationCollection;
