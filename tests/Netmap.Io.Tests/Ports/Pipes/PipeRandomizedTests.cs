using Netmap.Io.Ports;

namespace Netmap.Io.Tests.Ports.Pipes;

/// <summary>
/// Many packets of random sizes (MOREFRAG chains included) through a pipe, every byte checked, and the
/// arena audited at the end (the base class). Seeds are fixed so a failure replays.
/// </summary>
public sealed class PipeRandomizedTests : NetmapTestBase
{
    private const int MaxPacket = 9000; // up to 5 fragments of 2048 B

    [Theory]
    [InlineData(1, 64u, 20_000)]
    [InlineData(2, 1024u, 20_000)]
    [InlineData(3, 7u, 5_000)] // a ring smaller than some packets' chains: partial batches everywhere
    public void Random_packets_cross_intact_on_one_thread(int seed, uint slots, int packets)
    {
        var random = new Random(seed);
        using var master = Domain.Open($"netmap:rnd{{{seed}", new RegisterOptions { TxSlots = (int)slots, RxSlots = (int)slots });
        using var slave = Domain.Open($"netmap:rnd}}{seed}");
        var pending = new Queue<byte[]>();
        var received = 0;
        var sent = 0;
        var scratch = new byte[MaxPacket];
        byte[]? next = null;

        while (received < packets)
        {
            // Send a random burst until the ring refuses (inject is all-or-nothing per packet).
            var burst = random.Next(1, 40);
            for (var i = 0; i < burst && sent < packets; i++)
            {
                next ??= RandomPacket(random, sent);
                if (master.Inject(next) == 0)
                {
                    break;
                }

                pending.Enqueue(next);
                next = null;
                sent++;
            }

            master.TxSync();
            slave.RxSync();

            // Read a random number of the packets that arrived, leaving some for later.
            var rx = slave.RxRing;
            var reads = random.Next(0, 50);
            for (var i = 0; i < reads && !rx.IsEmpty; i++)
            {
                var len = rx.CopyPacket(rx.Head, scratch, out var after, out _);
                Assert.True(len >= 0, $"packet {received} arrived incomplete");
                var expected = pending.Dequeue();
                Assert.Equal(expected.Length, len);
                Assert.True(expected.AsSpan().SequenceEqual(scratch.AsSpan(0, len)), $"packet {received} differs");
                rx.Head = rx.Cur = after;
                received++;
            }

            slave.RxSync();
            if (reads == 0 && rx.IsEmpty && master.TxRing.Space == 0)
            {
                Assert.Fail("the pipe is stuck: the sender's ring is full and the reader has nothing");
            }
        }

        Assert.Empty(pending);
        Assert.Equal(2 * (int)slots, Arena.InUse); // only the two TX rings' buffers are out
    }

    [Fact]
    public void Random_packets_cross_intact_between_two_threads()
    {
        // The two ends on two threads: TxSync publishes the peer's tail with a release write, RxSync
        // reads it with an acquire; every byte must arrive as sent.
        const int packets = 50_000;
        using var master = Domain.Open("netmap:thr{0", new RegisterOptions { TxSlots = 256, RxSlots = 256 });
        using var slave = Domain.Open("netmap:thr}0");
        var lengths = new int[packets];
        var random = new Random(42);
        for (var i = 0; i < packets; i++)
        {
            lengths[i] = random.Next(1, 3) == 1 ? random.Next(14, 2049) : random.Next(14, MaxPacket + 1);
        }

        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var producer = RunThread(() =>
        {
            var buffer = new byte[MaxPacket];
            for (var i = 0; i < packets; i++)
            {
                Fill(buffer.AsSpan(0, lengths[i]), i);
                while (master.Inject(buffer.AsSpan(0, lengths[i])) == 0)
                {
                    master.TxSync();
                    cancel.Token.ThrowIfCancellationRequested();
                }

                if ((i & 15) == 0)
                {
                    master.TxSync();
                }
            }

            master.TxSync();
        });

        var consumer = RunThread(() =>
        {
            var scratch = new byte[MaxPacket];
            var expected = new byte[MaxPacket];
            var rx = slave.RxRing;
            for (var i = 0; i < packets;)
            {
                slave.RxSync();
                while (!rx.IsEmpty && i < packets)
                {
                    var len = rx.CopyPacket(rx.Head, scratch, out var after, out _);
                    Assert.Equal(lengths[i], len);
                    Fill(expected.AsSpan(0, len), i);
                    Assert.True(expected.AsSpan(0, len).SequenceEqual(scratch.AsSpan(0, len)), $"packet {i} differs");
                    rx.Head = rx.Cur = after;
                    i++;
                }

                cancel.Token.ThrowIfCancellationRequested();
            }

            slave.RxSync();
        });

        producer.Join();
        consumer.Join();
        master.TxSync();
        Assert.False(master.TxRing.TxPending); // everything was read and given back
    }

    /// <summary>Runs <paramref name="body"/> on its own thread; Join rethrows what it threw.</summary>
    private static Worker RunThread(Action body) => new(body);

    private sealed class Worker
    {
        private readonly Thread _thread;
        private Exception? _error;

        public Worker(Action body)
        {
            _thread = new Thread(() =>
            {
                try
                {
                    body();
                }
                catch (Exception ex)
                {
                    _error = ex;
                }
            });
            _thread.Start();
        }

        public void Join()
        {
            Assert.True(_thread.Join(TimeSpan.FromMinutes(3)), "the thread did not finish");
            if (_error is not null)
            {
                throw new InvalidOperationException("the thread failed", _error);
            }
        }
    }

    private static byte[] RandomPacket(Random random, int sequence)
    {
        // Mostly single-slot packets, some chains, a few exactly one buffer long (the boundary).
        var length = random.Next(10) switch
        {
            0 => 2048,
            1 or 2 => random.Next(2049, MaxPacket + 1),
            _ => random.Next(1, 2048),
        };
        var packet = new byte[length];
        Fill(packet, sequence);
        return packet;
    }

    private static void Fill(Span<byte> packet, int sequence)
    {
        for (var i = 0; i < packet.Length; i++)
        {
            packet[i] = (byte)((sequence * 31) + (i * 7));
        }
    }
}
