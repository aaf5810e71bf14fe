using System.Buffers.Binary;
using Netmap.Io.Files;
using Netmap.Io.Linux;

namespace Netmap.Io.Tests.Linux;

/// <summary>
/// The AF_PACKET backend on a veth pair between two namespaces of a <see cref="NetworkLab"/>: the backend opens
/// the "port" end (namespace p); the tools (tcpreplay, tcpdump, the kernel) work on the "wire" end (namespace w).
/// </summary>
[Collection(LinuxCollection.Name)]
public sealed class AfPacketBackendTests
{
    [LinuxRootFact]
    public void Frames_sent_by_tcpreplay_arrive_byte_for_byte_and_in_order()
    {
        using var lab = new NetworkLab();
        var (port, wire, pns, wns) = VethLab(lab);
        using var nic = NetworkLab.RunIn(pns, () => AfPacketBackend.Open(port));

        var frames = new List<byte[]>();
        for (var i = 0; i < 24; i++)
        {
            frames.Add(TestFrames.Udp(i, 60 + (i * 61), TestFrames.MacB, TestFrames.MacA));
        }

        frames.Add(TestFrames.Udp(24, 1514, TestFrames.MacB, TestFrames.MacA));
        frames.Add(TestFrames.Udp(25, 1518, TestFrames.MacB, TestFrames.MacA, 4000, 5000, (0x8100, 100)));
        frames.Add(TestFrames.Udp(26, 200, TestFrames.MacB, TestFrames.MacA, 4000, 5000, (0x88a8, 7), (0x8100, 300)));
        frames.Add(TestFrames.Arp(1, TestFrames.MacB, "10.77.0.2", new byte[6], "10.77.0.1", TestFrames.Broadcast));
        frames.Add(TestFrames.Udp(28, 46 + 14, TestFrames.MacB, TestFrames.Broadcast));

        lab.Replay(wns, wire, frames);
        var received = NicDriver.Receive(nic, frames.Count);

        Assert.Equal(frames.Count, received.Count);
        for (var i = 0; i < frames.Count; i++)
        {
            Assert.True(frames[i].AsSpan().SequenceEqual(received[i].Frame), $"frame {i} ({frames[i].Length} bytes) differs: got {received[i].Frame.Length} bytes");
        }

        var stats = nic.GetStatistics();
        Assert.Equal(frames.Count, stats.ReceivedFrames);
        Assert.Equal(frames.Sum(f => (long)f.Length), stats.ReceivedBytes);
        Assert.Equal(0, stats.KernelRxDrops);
        Assert.Equal(1518, nic.MaxFrameSize);
    }

    [LinuxRootFact]
    public void Frames_the_backend_sends_are_captured_by_tcpdump_byte_for_byte()
    {
        using var lab = new NetworkLab();
        var (port, wire, pns, wns) = VethLab(lab);
        using var nic = NetworkLab.RunIn(pns, () => AfPacketBackend.Open(port));

        var frames = new List<byte[]>();
        for (var i = 0; i < 40; i++)
        {
            frames.Add(TestFrames.Udp(i, 60 + (i * 37), TestFrames.MacA, TestFrames.MacB));
        }

        frames.Add(TestFrames.Udp(40, 1514, TestFrames.MacA, TestFrames.MacB));
        frames.Add(TestFrames.Udp(41, 1518, TestFrames.MacA, TestFrames.MacB, 4000, 5000, (0x8100, 42)));

        var capture = lab.StartCapture(wns, wire, frames.Count, $"ether src {TestFrames.Text(TestFrames.MacA)}");
        NicDriver.Send(nic, 0, frames);
        var captured = capture.Frames(frames.Count);

        for (var i = 0; i < frames.Count; i++)
        {
            Assert.True(frames[i].AsSpan().SequenceEqual(captured[i]), $"frame {i} ({frames[i].Length} bytes) differs on the wire ({captured[i].Length} bytes)");
        }

        Assert.Equal(frames.Count, nic.GetStatistics().SentFrames);
    }

    [LinuxRootFact]
    public void A_TX_ring_longer_than_its_frames_wraps_and_every_frame_leaves_once()
    {
        using var lab = new NetworkLab();
        var (port, wire, pns, wns) = VethLab(lab);
        using var nic = NetworkLab.RunIn(pns, () => AfPacketBackend.Open(port, new AfPacketOptions { TxFrames = 32 }));

        var frames = Enumerable.Range(0, 300).Select(i => TestFrames.Udp(i, 64 + (i % 200), TestFrames.MacA, TestFrames.MacB)).ToList();
        var capture = lab.StartCapture(wns, wire, frames.Count, $"ether src {TestFrames.Text(TestFrames.MacA)}");
        NicDriver.Send(nic, 0, frames);
        var captured = capture.Frames(frames.Count);

        Assert.Equal(Enumerable.Range(0, 300), captured.Select(f => TestFrames.SequenceOf(f)));
    }

    [LinuxRootFact]
    public void Frames_too_long_for_the_MTU_are_dropped_and_counted_and_the_ring_keeps_going()
    {
        using var lab = new NetworkLab();
        var (port, wire, pns, wns) = VethLab(lab);
        using var nic = NetworkLab.RunIn(pns, () => AfPacketBackend.Open(port));

        var tooLong = TestFrames.Udp(1, 1515, TestFrames.MacA, TestFrames.MacB);
        var tooLongTagged = TestFrames.Udp(2, 1519, TestFrames.MacA, TestFrames.MacB, 4000, 5000, (0x8100, 5));
        var runt = new byte[13];
        var good = TestFrames.Udp(3, 100, TestFrames.MacA, TestFrames.MacB);
        var capture = lab.StartCapture(wns, wire, 1, $"ether src {TestFrames.Text(TestFrames.MacA)}");

        NicDriver.Send(nic, 0, [tooLong, tooLongTagged, runt, good]);

        var captured = capture.Frames(1);
        Assert.Equal(good, captured[0]);
        var stats = nic.GetStatistics();
        Assert.Equal(3, stats.TxBadLength);
        Assert.Equal(1, stats.SentFrames);
    }

    [LinuxRootFact]
    public void Frames_the_kernel_drops_on_a_full_RX_ring_are_counted_and_the_count_survives_the_close()
    {
        using var lab = new NetworkLab();
        var (port, wire, pns, wns) = VethLab(lab);
        // Two 4 KiB blocks: room for a handful of 1000-byte frames, and nobody reads them.
        var nic = NetworkLab.RunIn(pns, () => AfPacketBackend.Open(port, new AfPacketOptions { RxBlockSize = 4096, RxBlockCount = 2, HostRings = false }));
        var frames = Enumerable.Range(0, 300).Select(i => TestFrames.Udp(i, 1000, TestFrames.MacB, TestFrames.MacA)).ToList();

        lab.Replay(wns, wire, frames);
        nic.Dispose(); // before any GetStatistics: the kernel's count goes with the socket unless collected on the way out

        var stats = nic.GetStatistics();
        Assert.InRange(stats.KernelRxDrops, 250, 300);
        Assert.Equal(stats.KernelRxDrops, nic.GetStatistics().KernelRxDrops); // read again after the close: not reset, not another socket's
    }

    [LinuxRootFact]
    public void An_interface_has_one_owner_at_a_time_and_is_free_again_once_the_owner_closes_it()
    {
        using var lab = new NetworkLab();
        var (port, _, pns, _) = VethLab(lab);
        var first = NetworkLab.RunIn(pns, () => AfPacketBackend.Open(port, new AfPacketOptions { HostRings = false }));

        var busy = Assert.Throws<NetmapException>(() => NetworkLab.RunIn(pns, () => AfPacketBackend.Open(port, new AfPacketOptions { HostRings = false })));
        Assert.Equal(NetmapError.EBUSY, busy.Code);
        Assert.Contains($"interface {port} is already in netmap mode in another process or domain", busy.Message, StringComparison.Ordinal);

        first.Dispose();
        using var second = NetworkLab.RunIn(pns, () => AfPacketBackend.Open(port, new AfPacketOptions { HostRings = false }));
        Assert.Equal(port, second.InterfaceName);
    }

    [LinuxRootFact]
    public void Another_process_owning_the_interface_is_refused_but_the_same_name_in_another_namespace_is_not_the_same_interface()
    {
        using var lab = new NetworkLab();
        var (port, _, pns, _) = VethLab(lab);
        var other = lab.Namespace("o");
        // A stand-in for another netmap-io process: it holds the interface's abstract name in the port's namespace.
        var holder = "import socket, sys, time\ns = socket.socket(socket.AF_UNIX)\ns.bind('\\0netmap-io/' + sys.argv[1])\nprint('held', flush=True)\ntime.sleep(60)\n";
        using var owner = Tools.Start("ip", "netns", "exec", pns, "python3", "-c", holder, port);
        Assert.Equal("held", owner.StandardOutput.ReadLine());
        using var elsewhere = Tools.Start("ip", "netns", "exec", other, "python3", "-c", holder, port); // not the port's namespace
        Assert.Equal("held", elsewhere.StandardOutput.ReadLine());

        var busy = Assert.Throws<NetmapException>(() => NetworkLab.RunIn(pns, () => AfPacketBackend.Open(port, new AfPacketOptions { HostRings = false })));
        Assert.Equal(NetmapError.EBUSY, busy.Code);

        owner.Kill();
        owner.WaitForExit();
        using var nic = NetworkLab.RunIn(pns, () => AfPacketBackend.Open(port, new AfPacketOptions { HostRings = false })); // the name went with the process
        elsewhere.Kill();
        elsewhere.WaitForExit();
    }

    [LinuxRootFact]
    public void Two_queues_in_a_fanout_group_deliver_every_frame_exactly_once()
    {
        using var lab = new NetworkLab();
        var (port, wire, pns, wns) = VethLab(lab);
        using var nic = NetworkLab.RunIn(pns, () => AfPacketBackend.Open(port, new AfPacketOptions { Queues = 2 }));
        Assert.Equal(2, nic.RxQueues);
        Assert.Equal(2, nic.TxQueues);
        Assert.True(nic.FanoutGroup >= 0);

        // 256 flows (one source port each), one frame per flow.
        const int count = 256;
        var frames = Enumerable.Range(0, count).Select(i => TestFrames.Udp(i, 100, TestFrames.MacB, TestFrames.MacA, (ushort)(10000 + i), 5000)).ToList();
        lab.Replay(wns, wire, frames);

        var received = NicDriver.Receive(nic, count);
        Assert.Equal(Enumerable.Range(0, count), received.Select(r => TestFrames.SequenceOf(r.Frame)).Order());
        var perQueue = received.GroupBy(r => r.Queue).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(perQueue.GetValueOrDefault(0) > 0 && perQueue.GetValueOrDefault(1) > 0, $"the hash sent every flow to one queue: {string.Join(", ", perQueue)}");

        // A second frame for flows 0..31: each arrives on the queue of its flow's first frame. A socket delivers in
        // order, so a duplicate of the first round would arrive before these and show up here.
        var queueOf = received.ToDictionary(r => TestFrames.SequenceOf(r.Frame), r => r.Queue);
        var again = Enumerable.Range(0, 32).Select(i => TestFrames.Udp(count + i, 100, TestFrames.MacB, TestFrames.MacA, (ushort)(10000 + i), 5000)).ToList();
        lab.Replay(wns, wire, again);
        var second = NicDriver.Receive(nic, again.Count);
        Assert.Equal(Enumerable.Range(count, again.Count), second.Select(r => TestFrames.SequenceOf(r.Frame)).Order());
        foreach (var (queue, frame) in second)
        {
            Assert.Equal(queueOf[TestFrames.SequenceOf(frame) - count], queue);
        }
    }

    [LinuxRootFact]
    public void A_jumbo_frame_arrives_whole_and_leaves_whole()
    {
        using var lab = new NetworkLab();
        var (port, wire, pns, wns) = VethLab(lab, mtu: 9000);
        using var nic = NetworkLab.RunIn(pns, () => AfPacketBackend.Open(port));
        Assert.Equal(9018, nic.MaxFrameSize);

        // The sample capture: frames of 3000, 4096, 6000 and 9000 bytes.
        var sample = Path.Combine(AppContext.BaseDirectory, "Samples", "jumbo.pcap");
        var expected = new List<byte[]>();
        using (var reader = new PcapReader(File.OpenRead(sample), sample))
        {
            var buffer = new byte[PcapFormat.MaxCapturedLength];
            while (reader.TryReadPacket(buffer, out var info))
            {
                expected.Add(buffer[..info.Length]);
            }
        }

        Assert.Contains(expected, f => f.Length == 9000);
        NetworkLab.ReplayFile(wns, wire, sample);
        var received = NicDriver.Receive(nic, expected.Count);
        Assert.Equal(expected.Count, received.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(expected[i].AsSpan().SequenceEqual(received[i].Frame), $"jumbo frame {i} ({expected[i].Length} bytes) arrived as {received[i].Frame.Length} bytes");
        }

        var big = TestFrames.Udp(9, 9014, TestFrames.MacA, TestFrames.MacB);
        var capture = lab.StartCapture(wns, wire, 1, $"ether src {TestFrames.Text(TestFrames.MacA)}");
        NicDriver.Send(nic, 0, [big]);
        Assert.Equal(big, capture.Frames(1)[0]);
    }

    [LinuxRootFact]
    public void What_the_host_stack_sends_is_not_received_from_the_wire()
    {
        using var lab = new NetworkLab();
        var (port, wire, pns, wns) = VethLab(lab);
        using var nic = NetworkLab.RunIn(pns, () => AfPacketBackend.Open(port));
        Tools.Run("ip", "-n", pns, "addr", "add", "10.77.0.1/24", "dev", port);

        // The kernel in p sends ARP requests for 10.77.0.2 out of the port's interface (nobody answers).
        var capture = lab.StartCapture(wns, wire, 1, "arp");
        Tools.Run("ip", "netns", "exec", pns, "bash", "-c", "echo x > /dev/udp/10.77.0.2/9");
        Assert.Single(capture.Frames(1));

        var marker = TestFrames.Udp(7, 80, TestFrames.MacB, TestFrames.MacA);
        lab.Replay(wns, wire, [marker]);
        var received = NicDriver.Receive(nic, 1);
        Assert.Equal(marker, Assert.Single(received).Frame);
    }

    [LinuxRootFact]
    public void An_unknown_interface_is_ENXIO_naming_it()
    {
        using var lab = new NetworkLab();
        var ns = lab.Namespace("p");
        var error = Assert.Throws<NetmapException>(() => NetworkLab.RunIn(ns, () => AfPacketBackend.Open("nosuch0")));
        Assert.Equal(NetmapError.ENXIO, error.Code);
        Assert.Contains("'nosuch0'", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("netmap:nosuch0: ENXIO", error.Message, StringComparison.Ordinal);
    }

    [LinuxRootFact]
    public void Without_CAP_NET_RAW_the_error_names_the_capability_and_how_to_grant_it()
    {
        using var lab = new NetworkLab();
        var (port, _, pns, _) = VethLab(lab);
        var error = Assert.Throws<NetmapException>(() => NetworkLab.RunIn(pns, () =>
        {
            Assert.True(ThreadCapabilities.Drop(ThreadCapabilities.NetRaw, ThreadCapabilities.NetAdmin));
            Assert.False(ThreadCapabilities.Has(ThreadCapabilities.NetRaw));
            return AfPacketBackend.Open(port);
        }));

        Assert.Equal(NetmapError.EPERM, error.Code);
        Assert.Contains("CAP_NET_RAW", error.Message, StringComparison.Ordinal);
        Assert.Contains("setcap cap_net_raw,cap_net_admin,cap_bpf+ep", error.Message, StringComparison.Ordinal);
        Assert.Contains("run as root", error.Message, StringComparison.Ordinal);
    }

    [LinuxRootFact]
    public void Sending_and_receiving_in_steady_state_allocates_nothing()
    {
        using var lab = new NetworkLab();
        var (port, wire, pns, wns) = VethLab(lab);
        using var sender = NetworkLab.RunIn(pns, () => AfPacketBackend.Open(port));
        using var receiver = NetworkLab.RunIn(wns, () => AfPacketBackend.Open(wire));
        var frame = TestFrames.Udp(1, 128, TestFrames.MacA, TestFrames.MacB);

        Exchange(sender, receiver, frame, 256); // warm up: JIT, first touch of the rings
        var before = GC.GetAllocatedBytesForCurrentThread();
        var moved = Exchange(sender, receiver, frame, 2000);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(2000, moved);
        Assert.Equal(0, allocated);
    }

    /// <summary>Sends <paramref name="count"/> frames in batches of 32 and receives them on the other end; no allocation inside.</summary>
    private static int Exchange(AfPacketBackend sender, AfPacketBackend receiver, byte[] frame, int count)
    {
        var sent = 0;
        var received = 0;
        var deadline = Environment.TickCount64 + (long)NicDriver.Patience.TotalMilliseconds;
        while (received < count && Environment.TickCount64 < deadline)
        {
            for (var i = 0; i < 32 && sent < count && sender.TrySend(0, frame); i++)
            {
                sent++;
            }

            sender.FlushSend(0);
            while (receiver.TryReceive(0, out var got))
            {
                received += got.Length == frame.Length ? 1 : 0;
                receiver.ReleaseReceived(0);
            }
        }

        return received;
    }

    /// <summary>Namespaces p (the backend's) and w (the tools'), a veth between them: returns (port end, wire end, p, w).</summary>
    [LinuxRootFact]
    public void Frames_the_far_kernel_left_for_checksum_offload_arrive_with_their_checksums_completed()
    {
        using var lab = new NetworkLab();
        var (port, _, pns, wns) = AfPacketHostRingTests.AddressedLab(lab);
        using var nic = NetworkLab.RunIn(pns, () => AfPacketBackend.Open(port));

        // A UDP socket over a veth leaves its checksum to the offload (CHECKSUM_PARTIAL): the frame on the veth holds
        // only the pseudo-header sum, and a packet socket sees it so (TP_STATUS_CSUMNOTREADY).
        const string Send = "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x' * 300, ('10.81.0.1', 5999))";
        Tools.Run("ip", "netns", "exec", wns, "python3", "-c", Send);
        var got = NicDriver.Receive(nic, 1, f => f.Length > 40 && f[23] == 17 && BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(36)) == 5999);

        var frame = Assert.Single(got).Frame;
        Assert.True(TestFrames.ChecksumsAreValid(frame), "the UDP checksum was not completed");
        Assert.True(nic.GetStatistics().RxChecksumsCompleted >= 1);
    }

    internal static (string Port, string Wire, string PortNs, string WireNs) VethLab(NetworkLab lab, int mtu = 1500)
    {
        var pns = lab.Namespace("p");
        var wns = lab.Namespace("w");
        var (port, wire) = lab.Veth(pns, wns, mtu, TestFrames.Text(TestFrames.MacA), TestFrames.Text(TestFrames.MacB));
        return (port, wire, pns, wns);
    }
}
