using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Netmap.Io.Linux;
using Netmap.Io.Linux.Interop;
using Netmap.Io.Ports;
using Netmap.Io.Ports.Nic;
using Netmap.Io.Rings;

namespace Netmap.Io.Tests.Linux;

/// <summary>
/// Host rings of <c>netmap:IF^</c> / <c>netmap:IF*</c> over AF_PACKET (netmap-notes §8), with the kernel of the port's
/// namespace as the host stack: IF (namespace p, 10.81.0.1, MacA) is one end of a veth whose far end (namespace w,
/// 10.81.0.2, MacB) plays the wire, either through a plain packet socket (the "far" backend, never in netmap mode)
/// or through the kernel there (ping).
/// </summary>
[Collection(LinuxCollection.Name)]
public sealed class AfPacketHostRingTests : NetmapTestBase
{
    private const string PortIp = "10.81.0.1";
    private const string WireIp = "10.81.0.2";
    private const string Slots = "@conf:slots=256";

    public AfPacketHostRingTests() => Domain.UseLinuxInterfaces();

    [LinuxRootFact]
    public void Kernel_replies_go_to_the_host_RX_ring_and_reach_the_wire_only_when_the_app_forwards_them()
    {
        using var lab = new NetworkLab();
        var (port, wire, pns, wns) = AddressedLab(lab);
        using var handle = NetworkLab.RunIn(pns, () => Domain.Open("netmap:" + port + "*" + Slots));
        using var far = NetworkLab.RunIn(wns, () => AfPacketBackend.Open(wire, new AfPacketOptions { HostRings = false }));
        var nic = Assert.IsType<NicPort>(handle.Port);
        Assert.True(nic.HasHostRings);
        var (nicTx, hostTx) = (handle.TxRings[0], handle.TxRings[1]);
        var (nicRx, hostRx) = (handle.RxRings[0], handle.RxRings[1]);
        Assert.True(hostTx.IsHostRing && hostRx.IsHostRing);

        // ARP: the request from the wire lands in the NIC RX ring only.
        var request = TestFrames.Arp(1, TestFrames.MacB, WireIp, new byte[6], PortIp, TestFrames.Broadcast);
        NicDriver.Send(far, 0, [request]);
        Assert.Equal(request, ReceiveOn(nicRx, f => IsArp(f, 1)));

        // The app hands it to the host stack, whose reply comes back in the host RX ring...
        Send(hostTx, request);
        var reply = ReceiveOn(hostRx, f => IsArp(f, 2));
        Assert.Equal(TestFrames.MacB, reply[..6]);
        Assert.Equal(TestFrames.MacA, reply[6..12]);

        // ...and not on the wire: a marker sent now through the NIC TX ring is the first thing the far end sees.
        AssertNothingBefore(far, nicTx, 900);

        // Forwarded by the app, it reaches the wire byte for byte.
        Send(nicTx, reply);
        Assert.Equal(reply, ReceiveFar(far, f => IsArp(f, 2)));

        // ICMP: the echo request reaches the kernel only through the host TX ring (InEchos counts it once).
        var echo = TestFrames.EchoRequest(TestFrames.MacB, TestFrames.MacA, WireIp, PortIp, 7, 1);
        NicDriver.Send(far, 0, [echo]);
        Assert.Equal(echo, ReceiveOn(nicRx, IsEcho));
        Send(hostTx, echo);
        var echoReply = ReceiveOn(hostRx, IsEchoReply);
        Assert.True(TestFrames.ChecksumsAreValid(echoReply));
        Assert.Equal(1, IcmpCounter(pns, "InEchos"));
        AssertNothingBefore(far, nicTx, 901);
        Send(nicTx, echoReply);
        Assert.Equal(echoReply, ReceiveFar(far, IsEchoReply));

        var counters = nic.ReadCounters();
        Assert.Equal(2, counters.HostTxFrames);
        Assert.Equal(2, counters.HostRxFrames);
        Assert.Equal(0, counters.DroppedTotal);
    }

    [LinuxRootFact]
    public void A_ping_from_the_far_namespace_works_when_the_app_bridges_the_NIC_and_host_rings_and_a_TCP_transfer_too()
    {
        using var lab = new NetworkLab();
        var (port, _, pns, wns) = AddressedLab(lab);
        // netmap's bridge application: -i netmap:IF -i netmap:IF^, two handles on one port.
        using var nicSide = NetworkLab.RunIn(pns, () => Domain.Open("netmap:" + port + Slots));
        using var hostSide = Domain.Open("netmap:" + port + "^");
        using var bridge = new Bridge(nicSide, hostSide);

        var ping = Tools.TryRun("ip", "netns", "exec", wns, "ping", "-c", "3", "-i", "0.2", "-W", "5", PortIp);
        Assert.True(ping.Code == 0, $"ping through the bridge failed: {ping.Stdout} {ping.Stderr}");

        // TCP: the host stack's GSO frames reach the host RX ring cut to the MTU with their checksums filled in.
        var digest = TcpTransfer(pns, wns, PortIp, 2 * 1024 * 1024);
        Assert.Equal(digest.Sent, digest.Received);

        bridge.Stop();
        var counters = Assert.IsType<NicPort>(nicSide.Port).ReadCounters();
        Assert.True(counters.HostRxFrames >= 3 && counters.HostTxFrames >= 3, $"host rings carried {counters.HostRxFrames} / {counters.HostTxFrames} frames");
        Assert.Equal(0, counters.DroppedTotal);
    }

    [LinuxRootFact]
    public void In_transparent_mode_frames_the_app_marks_forward_pass_between_wire_and_host_stack_and_a_ping_works()
    {
        using var lab = new NetworkLab();
        var (port, _, pns, wns) = AddressedLab(lab);
        using var handle = NetworkLab.RunIn(pns, () => Domain.Open("netmap:" + port + "*" + Slots));
        var (nicRx, hostRx) = (handle.RxRings[0], handle.RxRings[1]);
        nicRx.Flags |= RingFlags.Forward; // NR_FORWARD on both RX rings: the app passes what it marks NS_FORWARD
        hostRx.Flags |= RingFlags.Forward;
        var cut = Tools.TryRun("ip", "netns", "exec", wns, "ping", "-c", "1", "-W", "1", PortIp);
        Assert.NotEqual(0, cut.Code); // the app holds the interface and forwards nothing yet

        // The app: every frame it sees, either way, marked NS_FORWARD and released (netmap's transparent mode).
        using var stop = new CancellationTokenSource();
        var app = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                handle.RxSync(); // releases what the last pass marked: the forwarding happens here
                var idle = true;
                foreach (var rx in new[] { nicRx, hostRx })
                {
                    for (var i = rx.Head; i != rx.Tail; i = rx.Next(i))
                    {
                        rx[i].Flags |= SlotFlags.Forward;
                        idle = false;
                    }

                    rx.Head = rx.Cur = rx.Tail;
                }

                if (idle)
                {
                    Thread.Sleep(1);
                }
            }
        })
        { IsBackground = true, Name = "transparent app" };
        app.Start();
        try
        {
            var ping = Tools.TryRun("ip", "netns", "exec", wns, "ping", "-c", "3", "-i", "0.2", "-W", "5", PortIp);
            Assert.True(ping.Code == 0, $"ping through the transparent app failed: {ping.Stdout} {ping.Stderr}");
        }
        finally
        {
            stop.Cancel();
            app.Join();
        }

        var counters = Assert.IsType<NicPort>(handle.Port).ReadCounters();
        Assert.True(counters.RxFrames >= 4 && counters.HostRxFrames >= 4, $"{counters.RxFrames} wire frames, {counters.HostRxFrames} host frames seen"); // ARP + 3 echoes each way
        Assert.Equal(0, counters.Dropped(NicDropReason.ForwardRefused));
        Assert.Equal(0, counters.Dropped(NicDropReason.ForwardSkipped));
    }

    [LinuxRootFact]
    public void Host_rings_alone_leave_the_wire_to_the_host_stack_and_still_inject_into_it()
    {
        using var lab = new NetworkLab();
        var (port, wire, pns, wns) = AddressedLab(lab);
        using var host = NetworkLab.RunIn(pns, () => Domain.Open("netmap:" + port + "^" + Slots));
        Assert.All(host.TxRings.ToArray(), r => Assert.True(r.IsHostRing));

        // No NIC ring is bound: the kernel talks to the wire as before (netmap's per-ring rule).
        var ping = Tools.TryRun("ip", "netns", "exec", wns, "ping", "-c", "1", "-W", "5", PortIp);
        Assert.True(ping.Code == 0, $"ping failed: {ping.Stdout} {ping.Stderr}");
        host.RxSync();
        Assert.True(host.RxRing.IsEmpty);

        // An echo request put in the host TX ring reaches the kernel, whose reply leaves on the wire.
        using var far = NetworkLab.RunIn(wns, () => AfPacketBackend.Open(wire, new AfPacketOptions { HostRings = false }));
        var echo = TestFrames.EchoRequest(TestFrames.MacB, TestFrames.MacA, WireIp, PortIp, 9, 4);
        Send(host.TxRing, echo);
        var reply = ReceiveFar(far, IsEchoReply);
        Assert.Equal(TestFrames.MacB, reply[..6]);
        Assert.True(TestFrames.ChecksumsAreValid(reply));
    }

    [LinuxRootFact]
    public void After_close_the_interface_works_as_before_and_no_program_or_TAP_is_left()
    {
        using var lab = new NetworkLab();
        var (port, _, pns, wns) = AddressedLab(lab);
        var handle = NetworkLab.RunIn(pns, () => Domain.Open("netmap:" + port + "*" + Slots));
        var tap = Assert.IsType<AfPacketBackend>(Assert.IsType<NicPort>(handle.Port).Backend).HostTapName;
        Assert.NotNull(tap);
        Assert.Equal((1, 1), AttachedPrograms(pns, port));
        Assert.Contains(tap, Tools.Run("ip", "-n", pns, "-o", "link"), StringComparison.Ordinal);

        // In netmap mode nobody forwards: the kernel cannot be reached.
        var cut = Tools.TryRun("ip", "netns", "exec", wns, "ping", "-c", "1", "-W", "1", PortIp);
        Assert.NotEqual(0, cut.Code);

        handle.Dispose();

        AssertRestored(pns, wns, port);
    }

    [LinuxRootFact]
    public void A_backend_dropped_without_leaving_netmap_mode_restores_the_interface_as_a_killed_process_does()
    {
        // Dispose only closes descriptors, which is what the kernel does for a process that dies (SIGKILL): the
        // links detach and the TAP goes. Nothing is pinned or persistent, so no later open has anything to clean.
        using var lab = new NetworkLab();
        var (port, _, pns, wns) = AddressedLab(lab);
        var backend = NetworkLab.RunIn(pns, () =>
        {
            var b = AfPacketBackend.Open(port);
            b.SetHostRingCounts(1, 1);
            b.SetNetmapMode(true);
            b.SetQueueNetmapMode(RingKind.Rx, 0, true);
            b.SetQueueNetmapMode(RingKind.Tx, 0, true);
            return b;
        });
        Assert.Equal((1, 1), AttachedPrograms(pns, port));
        Assert.NotEqual(0, Tools.TryRun("ip", "netns", "exec", wns, "ping", "-c", "1", "-W", "1", PortIp).Code);

        backend.Dispose();

        AssertRestored(pns, wns, port);
    }

    [LinuxRootFact]
    public void Without_host_rings_the_interface_stays_shared_and_SW_modes_are_EINVAL()
    {
        using var lab = new NetworkLab();
        var (port, _, pns, wns) = AddressedLab(lab);
        Domain.UseLinuxInterfaces(new AfPacketOptions { HostRings = false });
        using var handle = NetworkLab.RunIn(pns, () => Domain.Open("netmap:" + port + Slots));
        Assert.False(handle.Port.HasHostRings);
        Assert.Equal((0, 0), AttachedPrograms(pns, port));
        var ping = Tools.TryRun("ip", "netns", "exec", wns, "ping", "-c", "1", "-W", "5", PortIp);
        Assert.True(ping.Code == 0, $"ping failed: {ping.Stdout} {ping.Stderr}");
        Assert.Equal(NetmapError.EINVAL, Assert.Throws<NetmapException>(() => Domain.Open("netmap:" + port + "^")).Code);
    }

    [LinuxRootFact]
    public void Without_CAP_BPF_netmap_mode_is_EPERM_naming_the_capability_and_the_way_out()
    {
        using var lab = new NetworkLab();
        var (port, _, pns, _) = AddressedLab(lab);
        var error = Assert.Throws<NetmapException>(() => NetworkLab.RunIn(pns, () =>
        {
            // CAP_SYS_ADMIN also allows bpf(2): drop both, keep CAP_NET_RAW and CAP_NET_ADMIN.
            Assert.True(ThreadCapabilities.Drop(LibC.CAP_BPF, LibC.CAP_SYS_ADMIN));
            return Domain.Open("netmap:" + port + Slots);
        }));

        Assert.Equal(NetmapError.EPERM, error.Code);
        Assert.Contains("CAP_BPF", error.Message, StringComparison.Ordinal);
        Assert.Contains("cap_bpf", error.Message, StringComparison.Ordinal);
        Assert.Contains("HostRings = false", error.Message, StringComparison.Ordinal);
        Assert.Equal((0, 0), AttachedPrograms(pns, port));
        Assert.DoesNotContain("nmh", Tools.Run("ip", "-n", pns, "-o", "link"), StringComparison.Ordinal);
    }

    /// <summary>A veth lab with addresses on both ends (no IPv6).</summary>
    internal static (string Port, string Wire, string PortNs, string WireNs) AddressedLab(NetworkLab lab)
    {
        var (port, wire, pns, wns) = AfPacketBackendTests.VethLab(lab);
        Tools.Run("ip", "-n", pns, "addr", "add", PortIp + "/24", "dev", port);
        Tools.Run("ip", "-n", wns, "addr", "add", WireIp + "/24", "dev", wire);
        return (port, wire, pns, wns);
    }

    /// <summary>The tcx programs on IF's ingress and egress, counted in IF's namespace.</summary>
    internal static (int Ingress, int Egress) AttachedPrograms(string ns, string dev) => NetworkLab.RunIn(ns, () =>
    {
        var index = (int)LibC.IfNameToIndex(dev);
        Assert.True(index > 0, $"no {dev} in {ns}");
        return (Bpf.CountAttached(index, LibC.BPF_TCX_INGRESS), Bpf.CountAttached(index, LibC.BPF_TCX_EGRESS));
    });

    private static void AssertRestored(string pns, string wns, string port)
    {
        Assert.Equal((0, 0), AttachedPrograms(pns, port));
        Assert.DoesNotContain("nmh", Tools.Run("ip", "-n", pns, "-o", "link"), StringComparison.Ordinal);
        var ping = Tools.TryRun("ip", "netns", "exec", wns, "ping", "-c", "1", "-W", "5", PortIp);
        Assert.True(ping.Code == 0, $"the kernel is not reachable after netmap mode: {ping.Stdout} {ping.Stderr}");
    }

    private static bool IsArp(byte[] f, int operation) =>
        f.Length >= 42 && BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12)) == 0x0806 && BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(20)) == operation;

    private static bool IsIcmp(byte[] f, byte type) =>
        f.Length >= 42 && BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12)) == 0x0800 && f[23] == 1 && f[34] == type;

    private static bool IsEcho(byte[] f) => IsIcmp(f, 8);

    private static bool IsEchoReply(byte[] f) => IsIcmp(f, 0);

    /// <summary>Puts one frame in a TX ring and syncs it.</summary>
    private static void Send(Ring ring, byte[] frame)
    {
        PacketFill.Send(ring, frame);
        Assert.Equal(SyncStatus.Ok, ring.TxSync());
    }

    /// <summary>Syncs an RX ring until a frame <paramref name="accept"/> takes arrives (others are skipped).</summary>
    private static byte[] ReceiveOn(Ring ring, Func<byte[], bool> accept)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < NicDriver.Patience)
        {
            ring.RxSync();
            while (!ring.IsEmpty)
            {
                var frame = PacketFill.Receive(ring);
                if (accept(frame))
                {
                    ring.RxSync();
                    return frame;
                }
            }

            Thread.Sleep(1); // polling interval, not an assertion
        }

        Assert.Fail($"no matching frame arrived in {ring.Kind} ring {ring.RingId} within {NicDriver.Patience}");
        return [];
    }

    private static byte[] ReceiveFar(AfPacketBackend far, Func<byte[], bool> accept)
    {
        var got = NicDriver.Receive(far, 1, accept);
        Assert.True(got.Count == 1, "the far end of the wire did not get the frame");
        return got[0].Frame;
    }

    /// <summary>
    /// Sends a marker through the NIC TX ring and reads the far end up to it: nothing else may have left IF before
    /// it (the veth keeps the order), so the kernel's frames went to the host RX ring and not to the wire.
    /// </summary>
    private static void AssertNothingBefore(AfPacketBackend far, Ring nicTx, int markerSequence)
    {
        var marker = TestFrames.Udp(markerSequence, 60, TestFrames.MacA, TestFrames.MacB);
        Send(nicTx, marker);
        var seen = new List<byte[]>();
        NicDriver.Receive(far, 1, f =>
        {
            seen.Add(f);
            return f.AsSpan().SequenceEqual(marker);
        });
        Assert.True(seen.Count > 0 && seen[^1].AsSpan().SequenceEqual(marker), "the marker did not reach the far end");
        Assert.True(seen.Count == 1, $"{seen.Count - 1} frame(s) left IF before the marker, the first {seen[0].Length} bytes long");
    }

    private static long IcmpCounter(string ns, string name)
    {
        var lines = Tools.Run("ip", "netns", "exec", ns, "cat", "/proc/net/snmp").Split('\n').Where(l => l.StartsWith("Icmp:", StringComparison.Ordinal)).ToArray();
        var names = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var values = lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(values[Array.IndexOf(names, name)], CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Sends <paramref name="bytes"/> random bytes over TCP from a server in <paramref name="serverNs"/> to a client in
    /// <paramref name="clientNs"/> (python3), and returns the SHA-256 of what was sent and of what arrived.
    /// </summary>
    internal static (string Sent, string Received) TcpTransfer(string serverNs, string clientNs, string serverIp, int bytes)
    {
        const string Server = """
            import hashlib, os, socket, sys
            data = os.urandom(int(sys.argv[1]))
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", 5201)); s.listen(1)
            print("listening", flush=True)
            c, _ = s.accept(); c.sendall(data); c.close()
            print(hashlib.sha256(data).hexdigest(), flush=True)
            """;
        const string Client = """
            import hashlib, socket, sys
            c = socket.create_connection((sys.argv[1], 5201), timeout=20)
            h = hashlib.sha256()
            while True:
                b = c.recv(65536)
                if not b: break
                h.update(b)
            print(h.hexdigest(), flush=True)
            """;
        using var server = Tools.Start("ip", "netns", "exec", serverNs, "python3", "-c", Server, bytes.ToString(CultureInfo.InvariantCulture));
        Assert.Equal("listening", server.StandardOutput.ReadLine());
        var client = Tools.TryRun("ip", "netns", "exec", clientNs, "python3", "-c", Client, serverIp);
        Assert.True(client.Code == 0, $"the TCP client failed: {client.Stderr}");
        var sent = server.StandardOutput.ReadLine();
        Assert.True(server.WaitForExit(30_000), "the TCP server did not finish");
        return (sent ?? string.Empty, client.Stdout.Trim());
    }

    /// <summary>
    /// netmap's bridge application on a thread: moves frames NIC RX → host TX and host RX → NIC TX by swapping
    /// buffers (both sides share the port's region), until stopped.
    /// </summary>
    internal sealed class Bridge : IDisposable
    {
        private readonly PortHandle _a;
        private readonly PortHandle _b;
        private readonly Thread _thread;
        private volatile bool _stop;
        private Exception? _error;

        public Bridge(PortHandle a, PortHandle b)
        {
            _a = a;
            _b = b;
            _thread = new Thread(Run) { IsBackground = true, Name = "bridge" };
            _thread.Start();
        }

        public void Stop()
        {
            _stop = true;
            Assert.True(_thread.Join(NicDriver.Patience), "the bridge did not stop");
            Assert.Null(_error);
        }

        public void Dispose()
        {
            _stop = true;
            _thread.Join(NicDriver.Patience);
        }

        private static int Move(Ring rx, Ring tx)
        {
            var moved = 0;
            while (!rx.IsEmpty && tx.Space > 0)
            {
                ref var s = ref rx[rx.Head];
                ref var d = ref tx[tx.Head];
                (s.BufIdx, d.BufIdx) = (d.BufIdx, s.BufIdx);
                d.Len = s.Len;
                d.Flags = (s.Flags & SlotFlags.MoreFrag) | SlotFlags.BufChanged;
                s.Flags |= SlotFlags.BufChanged;
                rx.Head = rx.Cur = rx.Next(rx.Head);
                tx.Head = tx.Cur = tx.Next(tx.Head);
                moved++;
            }

            return moved;
        }

        private void Run()
        {
            try
            {
                while (!_stop)
                {
                    _a.RxSync();
                    _b.RxSync();
                    var moved = Move(_a.RxRing, _b.TxRing) + Move(_b.RxRing, _a.TxRing);
                    _a.TxSync();
                    _b.TxSync();
                    if (moved == 0)
                    {
                        Thread.Sleep(1); // polling interval
                    }
                }
            }
            catch (Exception ex)
            {
                _error = ex;
            }
        }
    }
}
