using System.Buffers.Binary;
using System.Diagnostics;
using Netmap.Io.Linux;
using Netmap.Io.Packets;
using Netmap.Io.Ports;
using Netmap.Io.Ports.Nic;
using Netmap.Io.Sync;

namespace Netmap.Io.Tests.Linux;

/// <summary>
/// A Notification-mode sync loop over the Linux backends: the backend's poll thread raises Notify when frames
/// arrive, so the loop (which otherwise sleeps up to <see cref="SyncLoopOptions.NotificationTimeout"/> between
/// passes) syncs at once. Each round trip waits for the previous one, so every arrival needs its own wake-up.
/// </summary>
[Collection(LinuxCollection.Name)]
public sealed class LinuxNotifyTests : NetmapTestBase
{
    private const int Rounds = 30;

    public LinuxNotifyTests() => Domain.UseLinuxInterfaces();

    [LinuxRootFact]
    public void A_notification_sync_loop_over_a_veth_wakes_on_each_arriving_frame()
    {
        using var lab = new NetworkLab();
        var (port, wire, pns, wns) = AfPacketBackendTests.VethLab(lab);
        using var handle = NetworkLab.RunIn(pns, () => Domain.Open("netmap:" + port + "@conf:slots=256"));
        using var far = NetworkLab.RunIn(wns, () => AfPacketBackend.Open(wire, new AfPacketOptions { HostRings = false }));
        var backend = Assert.IsType<AfPacketBackend>(Assert.IsType<NicPort>(handle.Port).Backend);
        Assert.True(backend.SupportsNotify);
        Assert.False(backend.IsWatching); // no loop listens yet: no thread

        using var loop = new LoopThread(handle);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < Rounds; i++)
        {
            var frame = TestFrames.Udp(i, 100 + i, TestFrames.MacB, TestFrames.MacA);
            NicDriver.Send(far, 0, [frame]);
            Assert.Equal(frame, WaitForFrame(handle, loop));

            // The answer goes out through the loop too (a kick, netmap's TX doorbell).
            var answer = TestFrames.Udp(1000 + i, 80, TestFrames.MacA, TestFrames.MacB);
            PacketFill.Send(handle.TxRing, answer);
            handle.KickSyncLoop();
            var back = NicDriver.Receive(far, 1, f => f.AsSpan().SequenceEqual(answer));
            Assert.True(back.Count == 1, $"round {i}: the answer did not reach the wire");
        }

        // Without notifications every round waits for the loop's timeout (3 s, ~1.5 s on average): far beyond this.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(Rounds / 2.0), $"{Rounds} round trips took {clock.Elapsed}");
        // Most arrivals wake the loop through the backend; a frame that lands while a pass (woken by the
        // previous kick) is running is taken by that pass, and its readiness is then never signalled.
        Assert.True(backend.Notifications >= Rounds / 2, $"the backend woke the loop {backend.Notifications} times for {Rounds} arrivals");
        Assert.True(backend.IsWatching);

        loop.Stop();
        Assert.False(backend.IsWatching); // the last loop ended: the poll thread is gone
    }

    [LinuxRootFact]
    public void A_notification_sync_loop_over_a_TAP_answers_the_kernels_pings()
    {
        using var lab = new NetworkLab();
        var ns = lab.Namespace("t");
        var name = lab.LinkName('t');
        using var handle = NetworkLab.RunIn(ns, () => Domain.Open("tap:" + name + "@conf:slots=256"));
        NetworkLab.DisableIpv6(ns, name);
        Tools.Run("ip", "-n", ns, "addr", "add", "10.79.0.1/24", "dev", name);
        Tools.Run("ip", "-n", ns, "neigh", "add", "10.79.0.2", "lladdr", TestFrames.Text(TestFrames.MacB), "dev", name);
        var backend = Assert.IsType<TapBackend>(Assert.IsType<NicPort>(handle.Port).Backend);

        // The port plays a host at 10.79.0.2: every echo request the kernel sends out of the TAP gets its reply.
        using var loop = new LoopThread(handle, rx =>
        {
            var request = PacketFill.Receive(rx);
            if (BinaryPrimitives.ReadUInt16BigEndian(request.AsSpan(12)) == 0x0800 && request[23] == 1 && request[34] == 8)
            {
                PacketFill.Send(handle.TxRing, EchoReplyTo(request));
                handle.KickSyncLoop();
            }
        });
        var ping = Tools.TryRun("ip", "netns", "exec", ns, "ping", "-c", "20", "-i", "0.05", "-W", "5", "10.79.0.2");
        loop.Stop();

        Assert.True(ping.Code == 0 && ping.Stdout.Contains(" 0% packet loss", StringComparison.Ordinal), $"ping: {ping.Stdout} {ping.Stderr}");
        Assert.True(backend.Notifications >= 20, $"the TAP woke the loop {backend.Notifications} times for 20 requests");
        Assert.False(backend.IsWatching);
    }

    private static byte[] WaitForFrame(PortHandle handle, LoopThread loop)
    {
        var clock = Stopwatch.StartNew();
        var rx = handle.RxRing;
        while (rx.IsEmpty)
        {
            loop.ThrowIfFailed();
            Assert.True(clock.Elapsed < NicDriver.Patience, "no frame reached the RX ring");
            Thread.Yield(); // the application's own poll of Tail, not a wait for the loop
        }

        return PacketFill.Receive(rx);
    }

    /// <summary>The echo reply to an ICMP echo request: addresses swapped, type 0, checksum fixed.</summary>
    private static byte[] EchoReplyTo(byte[] request)
    {
        var reply = (byte[])request.Clone();
        request.AsSpan(6, 6).CopyTo(reply);
        request.AsSpan(0, 6).CopyTo(reply.AsSpan(6));
        request.AsSpan(26, 4).CopyTo(reply.AsSpan(30));
        request.AsSpan(30, 4).CopyTo(reply.AsSpan(26)); // the IPv4 header checksum does not change
        var total = BinaryPrimitives.ReadUInt16BigEndian(request.AsSpan(16));
        var icmp = reply.AsSpan(34, total - 20);
        icmp[0] = 0;
        icmp[2] = icmp[3] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Checksum.Compute(icmp));
        return reply;
    }

    /// <summary>A Notification-mode sync loop on its own thread; optionally the test's RX handling on another.</summary>
    private sealed class LoopThread : IDisposable
    {
        private readonly PortHandle _handle;
        private readonly Thread _loop;
        private readonly Thread? _reader;
        private volatile bool _stop;
        private Exception? _error;

        public LoopThread(PortHandle handle, Action<Netmap.Io.Rings.Ring>? onFrame = null)
        {
            _handle = handle;
            _loop = new Thread(() =>
            {
                try
                {
                    handle.StartSyncLoop(new SyncLoopOptions { Mode = SyncLoopMode.Notification });
                }
                catch (Exception ex)
                {
                    _error = ex;
                }
            }) { IsBackground = true, Name = "notification loop" };
            _loop.Start();
            if (onFrame is not null)
            {
                _reader = new Thread(() =>
                {
                    while (!_stop)
                    {
                        if (handle.RxRing.IsEmpty)
                        {
                            Thread.Yield();
                            continue;
                        }

                        onFrame(handle.RxRing);
                    }
                }) { IsBackground = true, Name = "reader" };
                _reader.Start();
            }
        }

        public void ThrowIfFailed() => Assert.Null(_error);

        public void Stop()
        {
            _stop = true;
            _reader?.Join(NicDriver.Patience);
            _handle.StopSyncLoop();
            Assert.True(_loop.Join(NicDriver.Patience), "the loop did not return after the stop");
            Assert.Null(_error);
        }

        public void Dispose()
        {
            if (_loop.IsAlive)
            {
                _stop = true;
                _reader?.Join(NicDriver.Patience);
                _handle.StopSyncLoop();
                _loop.Join(NicDriver.Patience);
            }
        }
    }
}
