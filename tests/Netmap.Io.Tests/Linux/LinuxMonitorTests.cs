using System.Buffers.Binary;
using System.Diagnostics;
using Netmap.Io.Linux;
using Netmap.Io.Ports;
using Netmap.Io.Ports.Monitors;
using Netmap.Io.Rings;

namespace Netmap.Io.Tests.Linux;

/// <summary>Monitors of a <c>netmap:IF</c> port over a veth (netmap-notes §6), host rings included.</summary>
[Collection(LinuxCollection.Name)]
public sealed class LinuxMonitorTests : NetmapTestBase
{
    public LinuxMonitorTests() => Domain.UseLinuxInterfaces();

    [LinuxRootFact]
    public void Monitors_of_a_veth_port_see_wire_frames_on_arrival_sent_frames_on_submission_and_the_host_stacks_frames()
    {
        using var lab = new NetworkLab();
        var (port, wire, pns, wns) = AfPacketHostRingTests.AddressedLab(lab);
        using var handle = NetworkLab.RunIn(pns, () => Domain.Open("netmap:" + port + "*@conf:slots=256"));
        using var nicMonitor = Domain.Open("netmap:" + port + "/rt");
        using var hostMonitor = Domain.Open("netmap:" + port + "^/r");
        Assert.IsType<MonitorPort>(nicMonitor.Port);
        Assert.True(hostMonitor.RxRing.IsHostRing);
        using var far = NetworkLab.RunIn(wns, () => AfPacketBackend.Open(wire, new AfPacketOptions { HostRings = false }));

        // Wire → NIC RX: the monitor sees the frame although the port has not synced.
        var inbound = TestFrames.Udp(1, 300, TestFrames.MacB, TestFrames.MacA);
        NicDriver.Send(far, 0, [inbound]);
        var seen = WaitOn(nicMonitor, f => f.Frame.AsSpan().SequenceEqual(inbound));
        Assert.False(seen.Tx);
        Assert.True(handle.RxRings[0].IsEmpty);
        handle.RxRings[0].RxSync();
        Assert.Equal(inbound, PacketFill.Receive(handle.RxRings[0]));
        handle.RxRings[0].RxSync();

        // NIC TX: seen on submission, marked TxMon, and the wire carries it.
        var outbound = TestFrames.Udp(2, 200, TestFrames.MacA, TestFrames.MacB);
        PacketFill.Send(handle.TxRings[0], outbound);
        handle.TxRings[0].TxSync();
        Assert.True(WaitOn(nicMonitor, f => f.Frame.AsSpan().SequenceEqual(outbound)).Tx);
        Assert.Single(NicDriver.Receive(far, 1, f => f.AsSpan().SequenceEqual(outbound)));

        // Host stack → host RX ring: the kernel's ARP request for the far address, seen by the host monitor only.
        using var ping = Tools.Start("ip", "netns", "exec", pns, "ping", "-c", "1", "-W", "2", "10.81.0.2");
        var arp = WaitOn(hostMonitor, f => BinaryPrimitives.ReadUInt16BigEndian(f.Frame.AsSpan(12)) == 0x0806);
        Assert.False(arp.Tx);
        Assert.Equal(TestFrames.MacA, arp.Frame[6..12]);
        ping.WaitForExit();
        nicMonitor.RxSync();
        while (!nicMonitor.RxRing.IsEmpty)
        {
            Assert.NotEqual(0x0806, BinaryPrimitives.ReadUInt16BigEndian(PacketFill.Receive(nicMonitor.RxRing).AsSpan(12)));
        }

        nicMonitor.RxSync();
    }

    private static (byte[] Frame, bool Tx) WaitOn(PortHandle monitor, Func<(byte[] Frame, bool Tx), bool> accept)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < NicDriver.Patience)
        {
            monitor.RxSync();
            foreach (var ring in monitor.RxRings.ToArray())
            {
                while (!ring.IsEmpty)
                {
                    var tx = (ring[ring.Head].Flags & SlotFlags.TxMon) != 0;
                    var entry = (PacketFill.Receive(ring), tx);
                    if (accept(entry))
                    {
                        monitor.RxSync();
                        return entry;
                    }
                }
            }

            Thread.Sleep(1); // polling interval, not an assertion
        }

        Assert.Fail("the monitor did not see the frame");
        return default;
    }
}
