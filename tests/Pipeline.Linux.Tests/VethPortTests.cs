using Netmap.Io.Tests.Linux;
using Pipeline.Stages;
using Pipeline.Testing;

namespace Pipeline.Linux.Tests;

/// <summary>
/// A pipeline's <c>netmap:IF</c> port on one end of a veth pair, opened inside its namespace with <c>netns:</c>; the
/// other end, in a second namespace, is the wire, where real tools send (tcpreplay) and capture (tcpdump, tshark).
/// </summary>
[Collection(LinuxPipelineCollection.Name)]
public sealed class VethPortTests
{
    [LinuxPipelineFact]
    public async Task Frames_tcpreplay_sends_arrive_through_a_netmap_port_in_a_pcap_out_file_byte_for_byte()
    {
        LinuxTools.Require();
        using var scratch = new Scratch();
        using var lab = new NetworkLab();
        var (pns, wns, port, wire) = Pair(lab);
        var frames = new List<byte[]>
        {
            TestFrames.Udp(0, 60, TestFrames.MacB, TestFrames.MacA),
            TestFrames.Arp(1, TestFrames.MacB, "10.77.0.2", new byte[6], "10.77.0.1", TestFrames.Broadcast),
            TestFrames.Udp(2, 1514, TestFrames.MacB, TestFrames.MacA),
            TestFrames.Udp(3, 1000, TestFrames.MacB, TestFrames.MacA, 4000, 5000, (0x8100, 7)), // a tag the kernel may lift off: put back
            TestFrames.Udp(4, 333, TestFrames.MacB, TestFrames.MacA),
        };
        var output = scratch.PathOf("received.pcap");

        await using (var live = LivePipeline.Start($$"""
            name: veth-rx
            ports:
              wire: { spec: "netmap:{{port}}", netns: {{pns}} }
              file: { spec: "pcap-out:{{output}}" }
            pipes:
              - wire -> file
            """))
        {
            lab.Replay(wns, wire, frames);
            Assert.True(LivePipeline.WaitUntil(() => live["file"].OutPackets >= frames.Count), $"{live["file"].OutPackets} of {frames.Count} frames reached the file");
        }

        var written = Scratch.ReadPcap(output);
        Assert.Equal(frames.Count, written.Count);
        for (var i = 0; i < frames.Count; i++)
        {
            Assert.True(frames[i].AsSpan().SequenceEqual(written[i]), $"frame {i} ({frames[i].Length} bytes) was written as {written[i].Length} bytes: {Convert.ToHexString(written[i])}");
        }
    }

    [LinuxPipelineFact]
    public async Task Frames_of_a_pcap_leave_through_a_netmap_port_and_tcpdump_on_the_far_side_captures_them_byte_for_byte()
    {
        LinuxTools.Require();
        using var scratch = new Scratch();
        using var lab = new NetworkLab();
        var (pns, wns, port, wire) = Pair(lab);
        var frames = new List<byte[]>();
        for (var i = 0; i < 40; i++)
        {
            frames.Add(TestFrames.Udp(i, 60 + (i * 37 % 1455), TestFrames.MacA, TestFrames.MacB));
        }

        frames.Add(TestFrames.Udp(40, 1518, TestFrames.MacA, TestFrames.MacB, 4000, 5000, (0x8100, 9))); // MTU + 18 with a tag
        var input = scratch.WritePcap("send.pcap", frames);
        var capture = lab.StartCapture(wns, wire, frames.Count, $"ether src {TestFrames.Text(TestFrames.MacA)}");

        await using (var live = LivePipeline.Start($$"""
            name: veth-tx
            ports:
              file: { spec: "pcap:{{input}}" }
              wire: { spec: "netmap:{{port}}", netns: {{pns}} }
            pipes:
              - file -> wire
            """))
        {
            var captured = capture.Frames(frames.Count);
            for (var i = 0; i < frames.Count; i++)
            {
                Assert.True(frames[i].AsSpan().SequenceEqual(captured[i]), $"frame {i} ({frames[i].Length} bytes) left as {captured[i].Length} bytes");
            }

            Assert.Equal(frames.Count, live["wire"].OutPackets);
        }
    }

    [LinuxPipelineFact("tshark")]
    public async Task With_software_checksums_frames_whose_checksums_were_left_empty_leave_with_correct_ones_as_tshark_checks()
    {
        LinuxTools.Require("tshark");
        using var scratch = new Scratch();
        using var lab = new NetworkLab();
        var (pns, wns, port, wire) = Pair(lab);
        var correct = new List<byte[]>();
        for (var i = 0; i < 6; i++)
        {
            var frame = new PacketBuilder().Ethernet(TestFrames.Text(TestFrames.MacA), TestFrames.Text(TestFrames.MacB)).Ipv4("10.77.0.1", "10.77.0.2", id: (ushort)(i + 1));
            frame = i % 2 == 0 ? frame.Udp((ushort)(4000 + i), 53) : frame.Tcp((ushort)(40000 + i), 80, flags: 0x18, sequence: (uint)(1000 * i));
            correct.Add(frame.Payload(32 + (i * 100)).Build());
        }

        correct.Add(new PacketBuilder().Ethernet(TestFrames.Text(TestFrames.MacA), TestFrames.Text(TestFrames.MacB)).Vlan(5).Ipv4("10.77.0.1", "10.77.0.2", id: 99).Tcp(40100, 443).Payload(200).Build());
        var empty = correct.ConvertAll(ZeroChecksums); // as a NIC with checksum offload would be handed them
        var input = scratch.WritePcap("offload.pcap", empty);
        // tshark sees the empty ones as bad, so the check below can fail.
        Assert.All(ChecksumVerdicts(input), verdict => Assert.Equal("0", verdict.Ip));

        var captured = scratch.PathOf("wire.pcap");
        var capture = lab.StartCapture(wns, wire, correct.Count, $"ether src {TestFrames.Text(TestFrames.MacA)}");
        await using (var live = LivePipeline.Start($$"""
            name: csum
            ports:
              file: { spec: "pcap:{{input}}" }
              wire: { spec: "netmap:{{port}}@csum=sw", netns: {{pns}} }
            pipes:
              - file -> wire
            """))
        {
            var frames = capture.Frames(correct.Count);
            scratch.WritePcap("wire.pcap", frames);
            for (var i = 0; i < correct.Count; i++)
            {
                Assert.True(correct[i].AsSpan().SequenceEqual(frames[i]), $"frame {i} left as {Convert.ToHexString(frames[i])}, expected {Convert.ToHexString(correct[i])}");
            }
        }

        var verdicts = ChecksumVerdicts(captured);
        Assert.Equal(correct.Count, verdicts.Count);
        Assert.All(verdicts, verdict => Assert.Equal(("1", "1"), verdict));
    }

    [LinuxPipelineFact]
    public async Task Frames_the_kernel_drops_because_the_pipeline_cannot_keep_up_are_counted_as_the_ports_overflow_drops()
    {
        LinuxTools.Require();
        using var lab = new NetworkLab();
        var (pns, wns, port, wire) = Pair(lab);
        const int sent = 20_000; // 20 MB: five times the AF_PACKET ring's 4 MiB
        var frames = Enumerable.Range(0, sent).Select(i => TestFrames.Udp(i, 1000, TestFrames.MacB, TestFrames.MacA)).ToList();

        await using (var live = LivePipeline.Start($$"""
            name: veth-overflow
            ports:
              wire:  { spec: "netmap:{{port}}", netns: {{pns}} }
              stuck: { spec: "netmap:stuck{0" }
            pipes:
              - wire -> stuck
            """))
        {
            // Nobody reads the other end of the pipe: once its ring is full the pipeline stops reading the wire (back
            // pressure), the socket's ring fills, and the kernel drops the rest.
            lab.Replay(wns, wire, frames);
            var counters = live["wire"];
            Assert.True(
                LivePipeline.WaitUntil(() => counters.InPackets > 0 && counters.Drops(DropReason.Overflow) > 0 && counters.InPackets + counters.Drops(DropReason.Overflow) > sent - 8192),
                $"{counters.InPackets} in, {counters.Drops(DropReason.Overflow)} overflow of {sent}");
            var snapshot = counters.Snapshot();
            Assert.Equal(snapshot.TotalDrops, snapshot.Drops[DropReason.Overflow]);
            Assert.True(snapshot.InPackets + snapshot.TotalDrops <= sent, $"{snapshot.InPackets} in + {snapshot.TotalDrops} dropped > {sent} sent");
            Assert.InRange(snapshot.InPackets, 1, 8192); // what the pipe and the in-flight batches hold
        }
    }

    [LinuxPipelineFact]
    public async Task Frames_longer_than_the_interface_takes_are_the_ports_tx_error_drops_not_counted_as_sent()
    {
        LinuxTools.Require();
        using var scratch = new Scratch();
        using var lab = new NetworkLab();
        var (pns, _, port, _) = Pair(lab);
        // MTU 1500: a 1514-byte frame fits, 4000 and 9000-byte ones the kernel would refuse.
        var frames = Enumerable.Range(0, 30).Select(i => TestFrames.Udp(i, i % 3 == 0 ? 1514 : i % 3 == 1 ? 4000 : 9000, TestFrames.MacA, TestFrames.MacB)).ToList();
        var input = scratch.WritePcap("mixed.pcap", frames);

        await using var live = LivePipeline.Start($$"""
            name: veth-too-big
            memory: { buffer-size: 9216 }
            ports:
              file: { spec: "pcap:{{input}}" }
              wire: { spec: "netmap:{{port}}", netns: {{pns}} }
            pipes:
              - file -> wire
            """);
        var wire = live["wire"];
        Assert.True(LivePipeline.WaitUntil(() => wire.OutPackets + wire.Drops(DropReason.TxError) >= 30), $"{wire.OutPackets} sent, {wire.Drops(DropReason.TxError)} refused of 30");
        Assert.Equal(10, wire.OutPackets);
        Assert.Equal(20, wire.Drops(DropReason.TxError));
    }

    [LinuxPipelineFact]
    public async Task Frames_sent_to_an_interface_that_is_down_are_kept_kicking_and_those_never_sent_are_tx_error_drops()
    {
        LinuxTools.Require();
        using var scratch = new Scratch();
        using var lab = new NetworkLab();
        var (pns, _, port, _) = Pair(lab);
        Tools.Run("ip", "-n", pns, "link", "set", port, "down"); // the kernel refuses every kick: ENETDOWN
        var input = scratch.WritePcap("frames.pcap", [.. Enumerable.Range(0, 40).Select(i => TestFrames.Udp(i, 200, TestFrames.MacA, TestFrames.MacB))]);

        Metrics.NodeCountersSnapshot wire;
        await using (var live = LivePipeline.Start($$"""
            name: veth-down
            ports:
              file: { spec: "pcap:{{input}}" }
              wire: { spec: "netmap:{{port}}", netns: {{pns}} }
            pipes:
              - file -> wire
            """))
        {
            Assert.True(LivePipeline.WaitUntil(() => live["file"].InPackets == 40 && live.Runtime.Pool.Outstanding == 0), "the pipeline did not hand the 40 frames to the port");
            await live.DisposeAsync(); // the stop: the port closes with the frames still in the device's ring
            wire = live["wire"].Snapshot();
        }

        // Handed to the port, never on the wire: counted, not sent.
        Assert.Equal(0, wire.OutPackets);
        Assert.Equal(40, wire.Drops[DropReason.TxError]);
    }

    [LinuxPipelineFact]
    public async Task An_interface_deleted_under_a_running_pipeline_fails_its_port_with_ENXIO()
    {
        LinuxTools.Require();
        using var lab = new NetworkLab();
        var (pns, _, port, _) = Pair(lab);
        await using var live = LivePipeline.Start($$"""
            name: veth-gone
            ports:
              wire: { spec: "netmap:{{port}}", netns: {{pns}} }
            pipes:
              - wire -> drop
            """);
        live.AllowPortFaults = true;

        Tools.Run("ip", "-n", pns, "link", "del", port);

        // Noticed while the pipeline runs (it used to wait for frames that could not come, and fail only at the close).
        Assert.True(LivePipeline.WaitUntil(() => live.Runtime.PortFaults.Count > 0), "the port did not notice that its interface was deleted");
        var (name, error) = Assert.Single(live.Runtime.PortFaults);
        Assert.Equal("wire", name);
        Assert.Contains($"ENXIO: interface '{port}' is gone", error.Message, StringComparison.Ordinal);
    }

    // Two namespaces joined by a veth: the pipeline's end (port) in pns, the wire's end in wns.
    private static (string Pns, string Wns, string Port, string Wire) Pair(NetworkLab lab)
    {
        var pns = lab.Namespace("p");
        var wns = lab.Namespace("w");
        var (port, wire) = lab.Veth(pns, wns);
        return (pns, wns, port, wire);
    }

    // The IPv4 header checksum and the TCP/UDP checksum of a (possibly VLAN-tagged) frame, set to zero.
    private static byte[] ZeroChecksums(byte[] frame)
    {
        var copy = (byte[])frame.Clone();
        var l3 = frame[12] == 0x81 && frame[13] == 0x00 ? 18 : 14;
        copy.AsSpan(l3 + 10, 2).Clear();
        var l4 = l3 + ((copy[l3] & 0x0f) * 4);
        copy.AsSpan(l4 + (copy[l3 + 9] == 6 ? 16 : 6), 2).Clear();
        return copy;
    }

    // tshark's verdict on every frame of a capture, validating every IPv4, UDP and TCP checksum: (IPv4 header, TCP or
    // UDP), each 0 bad, 1 good, 2 not checked (a UDP checksum of 0 means "none").
    private static List<(string Ip, string L4)> ChecksumVerdicts(string pcap)
    {
        var output = Tools.Run(
            "tshark", "-n", "-r", pcap,
            "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
            "-T", "fields", "-e", "ip.checksum.status", "-e", "udp.checksum.status", "-e", "tcp.checksum.status");
        var verdicts = new List<(string, string)>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split('\t');
            Assert.True(fields.Length == 3, $"unexpected tshark line '{line}'");
            verdicts.Add((fields[0], fields[1].Length > 0 ? fields[1] : fields[2]));
        }

        return verdicts;
    }
}
