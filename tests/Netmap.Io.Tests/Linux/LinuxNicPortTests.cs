using System.Buffers.Binary;
using System.Diagnostics;
using Netmap.Io.Linux;
using Netmap.Io.Ports;
using Netmap.Io.Ports.Nic;

namespace Netmap.Io.Tests.Linux;

/// <summary>
/// <c>netmap:IF</c> and <c>tap:NAME</c> opened through a domain with <see cref="LinuxInterfaces.UseLinuxInterfaces"/>:
/// NIC ports over the Linux backends, driven through their rings with TxSync/RxSync, as an application would.
/// </summary>
[Collection(LinuxCollection.Name)]
public sealed class LinuxNicPortTests : NetmapTestBase
{
    public LinuxNicPortTests() => Domain.UseLinuxInterfaces();

    [LinuxRootFact]
    public void Wire_frames_reach_the_RX_ring_and_jumbo_frames_arrive_as_MOREFRAG_chains()
    {
        using var lab = new NetworkLab();
        var (port, wire, pns, wns) = AfPacketBackendTests.VethLab(lab, mtu: 9000);
        using var handle = NetworkLab.RunIn(pns, () => Domain.Open("netmap:" + port));
        Assert.Equal(9018, Assert.IsType<NicPort>(handle.Port).MaxFrameSize);

        var frames = new List<byte[]>
        {
            TestFrames.Udp(0, 60, TestFrames.MacB, TestFrames.MacA),
            TestFrames.Udp(1, 1514, TestFrames.MacB, TestFrames.MacA),
            TestFrames.Udp(2, 9014, TestFrames.MacB, TestFrames.MacA), // five 2048-byte buffers
            TestFrames.Udp(3, 4000, TestFrames.MacB, TestFrames.MacA, 4000, 5000, (0x8100, 9)),
        };
        lab.Replay(wns, wire, frames);

        var received = ReceiveThroughRings(handle, frames.Count);
        Assert.Equal(frames.Count, received.Count);
        for (var i = 0; i < frames.Count; i++)
        {
            Assert.True(frames[i].AsSpan().SequenceEqual(received[i]), $"frame {i} ({frames[i].Length} bytes) arrived as {received[i].Length} bytes");
        }
    }

    [LinuxRootFact]
    public void Frames_written_to_the_TX_ring_leave_on_the_wire_byte_for_byte()
    {
        using var lab = new NetworkLab();
        var (port, wire, pns, wns) = AfPacketBackendTests.VethLab(lab, mtu: 9000);
        using var handle = NetworkLab.RunIn(pns, () => Domain.Open("netmap:" + port));
        var frames = new[]
        {
            TestFrames.Udp(0, 60, TestFrames.MacA, TestFrames.MacB),
            TestFrames.Udp(1, 1514, TestFrames.MacA, TestFrames.MacB),
            TestFrames.Udp(2, 9014, TestFrames.MacA, TestFrames.MacB),
        };
        var capture = lab.StartCapture(wns, wire, frames.Length, $"ether src {TestFrames.Text(TestFrames.MacA)}");

        foreach (var frame in frames)
        {
            Assert.True(handle.Inject(frame) > 0); // the jumbo frame becomes a MOREFRAG chain in the TX ring
        }

        SyncUntilSent(handle);
        var captured = capture.Frames(frames.Length);
        for (var i = 0; i < frames.Length; i++)
        {
            Assert.True(frames[i].AsSpan().SequenceEqual(captured[i]), $"frame {i} ({frames[i].Length} bytes) left as {captured[i].Length} bytes");
        }
    }

    [LinuxRootFact]
    public void With_checksum_offload_off_frames_sent_with_zeroed_checksums_leave_with_correct_ones()
    {
        using var lab = new NetworkLab();
        var (port, wire, pns, wns) = AfPacketBackendTests.VethLab(lab);
        using var handle = NetworkLab.RunIn(pns, () => Domain.Open("netmap:" + port + "@csum=sw"));
        var right = TestFrames.Udp(5, 300, TestFrames.MacA, TestFrames.MacB);
        var zeroed = (byte[])right.Clone();
        zeroed.AsSpan(14 + 10, 2).Clear(); // IPv4 header checksum
        zeroed.AsSpan(14 + 20 + 6, 2).Clear(); // UDP checksum
        Assert.False(TestFrames.ChecksumsAreValid(zeroed));
        var capture = lab.StartCapture(wns, wire, 1, $"ether src {TestFrames.Text(TestFrames.MacA)}");

        Assert.True(handle.Inject(zeroed) > 0);
        SyncUntilSent(handle);

        var sent = Assert.Single(capture.Frames(1));
        Assert.True(TestFrames.ChecksumsAreValid(sent), "a checksum on the wire is wrong");
        Assert.Equal(right, sent);
    }

    [LinuxRootFact]
    public void Two_rings_asked_with_conf_rings_are_two_fanout_queues_and_each_ring_can_be_bound_alone()
    {
        using var lab = new NetworkLab();
        var (port, wire, pns, wns) = AfPacketBackendTests.VethLab(lab);
        using var all = NetworkLab.RunIn(pns, () => Domain.Open("netmap:" + port + "@conf:rings=2"));
        Assert.Equal(2, all.RxRings.Length);
        Assert.Equal(2, all.TxRings.Length);
        using var one = Domain.Open("netmap:" + port + "-1");
        Assert.Equal(1, one.TxRings.Length);

        // 64 flows: every frame arrives exactly once over the two rings.
        var frames = Enumerable.Range(0, 64).Select(i => TestFrames.Udp(i, 100, TestFrames.MacB, TestFrames.MacA, (ushort)(20000 + i), 5000)).ToList();
        lab.Replay(wns, wire, frames);
        var received = ReceiveThroughRings(all, frames.Count);
        Assert.Equal(Enumerable.Range(0, 64), received.Select(f => TestFrames.SequenceOf(f)).Order());
    }

    [LinuxRootFact]
    public void A_tap_port_reaches_the_kernel_behind_it_through_its_rings()
    {
        using var lab = new NetworkLab();
        var ns = lab.Namespace("t");
        var name = lab.LinkName('t');
        using var handle = NetworkLab.RunIn(ns, () => Domain.Open("tap:" + name));
        var nic = Assert.IsType<NicPort>(handle.Port);
        Assert.True(Assert.IsType<TapBackend>(nic.Backend).Created);
        Tools.Run("ip", "-n", ns, "addr", "add", "10.78.0.1/24", "dev", name);

        Assert.True(handle.Inject(TestFrames.Arp(1, TestFrames.MacB, "10.78.0.2", new byte[6], "10.78.0.1", TestFrames.Broadcast)) > 0);
        SyncUntilSent(handle);
        var reply = ReceiveThroughRings(handle, 1, f => BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12)) == 0x0806);
        var arp = Assert.Single(reply);
        Assert.Equal(2, BinaryPrimitives.ReadUInt16BigEndian(arp.AsSpan(20))); // an ARP reply
        Assert.Equal(TestFrames.MacB, arp[..6]);
    }

    [LinuxRootFact]
    public void An_unknown_interface_is_ENXIO_naming_it()
    {
        using var lab = new NetworkLab();
        var ns = lab.Namespace("p");
        var error = Assert.Throws<NetmapException>(() => NetworkLab.RunIn(ns, () => Domain.Open("netmap:nosuch0")));
        Assert.Equal(NetmapError.ENXIO, error.Code);
        Assert.Contains("'nosuch0'", error.Message, StringComparison.Ordinal);
    }

    /// <summary>RxSync and read (MOREFRAG chains gathered) until <paramref name="count"/> frames passed <paramref name="accept"/>.</summary>
    private static List<byte[]> ReceiveThroughRings(PortHandle handle, int count, Func<byte[], bool>? accept = null)
    {
        var received = new List<byte[]>();
        var clock = Stopwatch.StartNew();
        while (received.Count < count && clock.Elapsed < NicDriver.Patience)
        {
            handle.RxSync();
            var any = false;
            foreach (var ring in handle.RxRings)
            {
                while (!ring.IsEmpty)
                {
                    var frame = PacketFill.Receive(ring);
                    any = true;
                    if (accept is null || accept(frame))
                    {
                        received.Add(frame);
                    }
                }
            }

            if (!any)
            {
                Thread.Sleep(1); // polling interval, not an assertion
            }
        }

        handle.RxSync(); // give the read slots back
        return received;
    }

    /// <summary>TxSync until every slot written was handed to the device.</summary>
    private static void SyncUntilSent(PortHandle handle)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            handle.TxSync();
            var pending = false;
            foreach (var ring in handle.TxRings)
            {
                pending |= ring.Space != ring.NumSlots - 1;
            }

            if (!pending)
            {
                return;
            }

            Assert.True(clock.Elapsed < NicDriver.Patience, "the TX ring did not drain");
            Thread.Sleep(1);
        }
    }
}
