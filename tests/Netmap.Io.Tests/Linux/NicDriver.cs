using System.Diagnostics;
using Netmap.Io.Ports.Nic;

namespace Netmap.Io.Tests.Linux;

/// <summary>Moves frames through an <see cref="INicBackend"/> directly, as a NIC port's syncs would, for the tests.</summary>
internal static class NicDriver
{
    /// <summary>A generous upper bound for frames to cross a veth or TAP; never reached when things work.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Receives frames from <paramref name="queues"/> (all when null) until <paramref name="count"/> were accepted
    /// by <paramref name="accept"/> (all frames when null) or <see cref="Patience"/> ran out; returns the accepted
    /// ones with their queue, in arrival order per queue.
    /// </summary>
    public static List<(int Queue, byte[] Frame)> Receive(INicBackend nic, int count, Func<byte[], bool>? accept = null, int[]? queues = null)
    {
        queues ??= Enumerable.Range(0, nic.RxQueues).ToArray();
        var received = new List<(int, byte[])>();
        var clock = Stopwatch.StartNew();
        while (received.Count < count && clock.Elapsed < Patience)
        {
            var any = false;
            foreach (var q in queues)
            {
                while (received.Count < count && nic.TryReceive(q, out var frame))
                {
                    var copy = frame.ToArray();
                    nic.ReleaseReceived(q);
                    any = true;
                    if (accept is null || accept(copy))
                    {
                        received.Add((q, copy));
                    }
                }
            }

            if (!any)
            {
                Thread.Sleep(1); // polling interval, not an assertion
            }
        }

        return received;
    }

    /// <summary>Sends every frame on <paramref name="queue"/>, kicking once per batch and waiting for room when the ring is full.</summary>
    public static void Send(INicBackend nic, int queue, IReadOnlyList<byte[]> frames)
    {
        var clock = Stopwatch.StartNew();
        var next = 0;
        while (next < frames.Count)
        {
            while (next < frames.Count && nic.TrySend(queue, frames[next]))
            {
                next++;
            }

            nic.FlushSend(queue);
            if (next < frames.Count)
            {
                Assert.True(clock.Elapsed < Patience, $"the device took {next} of {frames.Count} frames and then had no room");
                Thread.Sleep(1);
            }
        }
    }
}
