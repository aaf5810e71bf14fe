using System.Buffers.Binary;
using Netmap.Io.Linux;

namespace Netmap.Io.Tests.Linux;

/// <summary>
/// The TAP backend inside a namespace of a <see cref="NetworkLab"/>: the kernel of that namespace is on the other
/// side of the TAP, with address 10.78.0.1; the backend plays host 10.78.0.2 (MAC B).
/// </summary>
[Collection(LinuxCollection.Name)]
public sealed class TapBackendTests
{
    private const string KernelIp = "10.78.0.1";
    private const string OurIp = "10.78.0.2";

    [LinuxRootFact]
    public void A_created_TAP_is_up_and_frames_written_to_it_reach_the_kernel_which_answers()
    {
        using var lab = new NetworkLab();
        var ns = lab.Namespace("t");
        var name = lab.LinkName('t');
        using var tap = NetworkLab.RunIn(ns, () => TapBackend.Open(name));
        Assert.True(tap.Created);
        Assert.Equal(1518, tap.MaxFrameSize);
        Assert.Matches("[<,]UP[,>]", Tools.Run("ip", "-n", ns, "link", "show", name));
        Tools.Run("ip", "-n", ns, "addr", "add", KernelIp + "/24", "dev", name);

        var (kernelMac, reply) = Ping(tap, queue: 0, sequence: 1);

        Assert.Equal(kernelMac, KernelMac(ns, name));
        Assert.Equal(TestFrames.MacB, reply[..6]);
        var stats = tap.GetStatistics();
        Assert.Equal(2, stats.SentFrames);
        Assert.True(stats.ReceivedFrames >= 2);
    }

    [LinuxRootFact]
    public void Frames_for_a_reader_whose_queue_is_full_are_counted_as_RX_missed_and_the_count_survives_the_close()
    {
        using var lab = new NetworkLab();
        var ns = lab.Namespace("t");
        var name = lab.LinkName('t');
        var tap = NetworkLab.RunIn(ns, () => TapBackend.Open(name));
        NetworkLab.DisableIpv6(ns, name);
        var frames = Enumerable.Range(0, 3000).Select(i => TestFrames.Udp(i, 200, TestFrames.MacA, TestFrames.MacB)).ToList();

        // Nobody reads the TAP: the kernel queues 1000 frames (txqueuelen) for us and drops the rest.
        lab.Replay(ns, name, frames);
        var missed = tap.RxMissed(0);
        tap.Dispose();

        Assert.InRange(missed, 1500, 3000);
        Assert.Equal(0, tap.RxMissed(1)); // one figure for the whole TAP, on queue 0
        Assert.Equal(missed, tap.RxMissed(0)); // after the close (the TAP is gone): the last value read
    }

    [LinuxRootFact]
    public void A_created_TAP_is_removed_on_close_and_an_existing_one_is_kept()
    {
        using var lab = new NetworkLab();
        var ns = lab.Namespace("t");
        var created = lab.LinkName('t');
        var tap = NetworkLab.RunIn(ns, () => TapBackend.Open(created));
        Assert.Equal(0, Tools.TryRun("ip", "-n", ns, "link", "show", created).Code);
        tap.Dispose();
        Assert.NotEqual(0, Tools.TryRun("ip", "-n", ns, "link", "show", created).Code);

        var persistent = lab.LinkName('t');
        Tools.Run("ip", "-n", ns, "tuntap", "add", persistent, "mode", "tap");
        using (var attached = NetworkLab.RunIn(ns, () => TapBackend.Open(persistent)))
        {
            Assert.False(attached.Created);
        }

        Assert.Equal(0, Tools.TryRun("ip", "-n", ns, "link", "show", persistent).Code);
    }

    [LinuxRootFact]
    public void A_multi_queue_TAP_opens_with_every_queue_attached_and_each_queue_reaches_the_kernel()
    {
        using var lab = new NetworkLab();
        var ns = lab.Namespace("t");
        var name = lab.LinkName('t');
        using var tap = NetworkLab.RunIn(ns, () => TapBackend.Open(name, queues: 2));
        Assert.Equal(2, tap.TxQueues);
        Assert.Equal(2, tap.RxQueues);
        var details = Tools.Run("ip", "-n", ns, "-d", "link", "show", name);
        Assert.Contains("multi_queue", details, StringComparison.Ordinal);
        Assert.Contains("numqueues 2", details, StringComparison.Ordinal);
        Tools.Run("ip", "-n", ns, "addr", "add", KernelIp + "/24", "dev", name);

        Ping(tap, queue: 0, sequence: 1);
        Ping(tap, queue: 1, sequence: 2);
    }

    [LinuxRootFact]
    public void An_interface_of_that_name_that_is_not_a_TAP_is_EINVAL()
    {
        using var lab = new NetworkLab();
        var ns = lab.Namespace("t");
        var error = Assert.Throws<NetmapException>(() => NetworkLab.RunIn(ns, () => TapBackend.Open("lo")));
        Assert.Equal(NetmapError.EINVAL, error.Code);
        Assert.Contains("not a TAP", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("tap:lo: EINVAL", error.Message, StringComparison.Ordinal);
    }

    [LinuxRootFact]
    public void Without_CAP_NET_ADMIN_creating_a_TAP_names_the_capability_and_how_to_grant_it()
    {
        using var lab = new NetworkLab();
        var ns = lab.Namespace("t");
        var name = lab.LinkName('t');
        var error = Assert.Throws<NetmapException>(() => NetworkLab.RunIn(ns, () =>
        {
            Assert.True(ThreadCapabilities.Drop(ThreadCapabilities.NetAdmin, ThreadCapabilities.NetRaw));
            return TapBackend.Open(name);
        }));

        Assert.Equal(NetmapError.EPERM, error.Code);
        Assert.Contains("CAP_NET_ADMIN", error.Message, StringComparison.Ordinal);
        Assert.Contains("setcap cap_net_raw,cap_net_admin,cap_bpf+ep", error.Message, StringComparison.Ordinal);
        Assert.NotEqual(0, Tools.TryRun("ip", "-n", ns, "link", "show", name).Code);
    }

    /// <summary>
    /// ARP for the kernel's address and an ICMP echo through <paramref name="queue"/>; asserts the ARP reply and the
    /// echo reply (checksums, id, sequence, payload). Returns the kernel's MAC and the echo reply.
    /// </summary>
    private static (byte[] KernelMac, byte[] Reply) Ping(TapBackend tap, int queue, ushort sequence)
    {
        var request = TestFrames.Arp(1, TestFrames.MacB, OurIp, new byte[6], KernelIp, TestFrames.Broadcast);
        NicDriver.Send(tap, queue, [request]);
        var arp = Assert.Single(NicDriver.Receive(tap, 1, IsArpReply)).Frame;
        Assert.Equal(TestFrames.MacB, arp[..6]);
        Assert.Equal(TestFrames.MacB, arp[32..38]); // target hardware address
        var kernelMac = arp[22..28];

        var echo = TestFrames.EchoRequest(TestFrames.MacB, kernelMac, OurIp, KernelIp, id: 0x4242, sequence);
        NicDriver.Send(tap, queue, [echo]);
        var reply = Assert.Single(NicDriver.Receive(tap, 1, f => IsEchoReply(f, sequence))).Frame;
        Assert.True(TestFrames.ChecksumsAreValid(reply), "the kernel's echo reply has a bad checksum");
        Assert.Equal(echo.AsSpan(14 + 20 + 8).ToArray(), reply.AsSpan(14 + 20 + 8).ToArray());
        return (kernelMac, reply);
    }

    private static bool IsArpReply(byte[] f) =>
        f.Length >= 42 && BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12)) == 0x0806 && BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(20)) == 2;

    private static bool IsEchoReply(byte[] f, ushort sequence) =>
        f.Length >= 42 && BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12)) == 0x0800 && f[23] == 1 && f[34] == 0
        && BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(38)) == 0x4242 && BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(40)) == sequence;

    private static byte[] KernelMac(string ns, string dev)
    {
        var text = Tools.Run("ip", "-n", ns, "-br", "link", "show", dev).Split(' ', StringSplitOptions.RemoveEmptyEntries)[2];
        return Convert.FromHexString(text.Replace(":", string.Empty, StringComparison.Ordinal));
    }
}
