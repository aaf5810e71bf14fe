using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using Netmap.Io.Tests.Linux;

namespace Pipeline.Linux.Tests;

/// <summary>
/// One pipeline as two edge switches joined by a VLAN trunk, bridging a client and a server in namespaces of their
/// own. The pipeline's four ports live in two middle namespaces, opened there with <c>netns:</c>; only tagged frames
/// cross the trunk (an untagged one is dropped), so nothing gets through unless the tag is pushed on one side and
/// popped on the other:
/// <code>
///   A: a0 10.79.0.1 ─veth─ a1 ⇄ vlan-push/pop ⇄ t1 ─veth (VLAN 100)─ t2 ⇄ vlan-push/pop ⇄ b1 ─veth─ b0 10.79.0.2 :B
///                          └──────── M1 ────────┘                   └──────── M2 ────────┘
/// </code>
/// The client and server use the kernel's stack with checksum offload on, as veths come: the ports toward them fill
/// checksums in software (<c>@csum=sw</c>). TSO/GSO are off on the hosts' veths, as netmap asks of a NIC in emulated
/// mode: an AF_PACKET port sees a 64 KiB TSO frame as one oversize frame.
/// </summary>
[Collection(LinuxPipelineCollection.Name)]
public sealed class SoftwareSwitchTests
{
    private const string ClientIp = "10.79.0.1";
    private const string ServerIp = "10.79.0.2";

    [LinuxPipelineFact("ping", "ethtool")]
    public async Task A_client_pings_a_server_through_the_pipeline_and_the_trunk_carries_its_frames_tagged()
    {
        LinuxTools.Require("ping", "ethtool");
        using var lab = new NetworkLab();
        var net = Build(lab);
        await using var live = LivePipeline.Start(net.Yaml);
        var trunk = lab.StartCapture(net.M2, net.T2, 3, "vlan 100 and icmp");

        var ping = Tools.Run("ip", "netns", "exec", net.A, "ping", "-n", "-c", "3", "-i", "0.2", "-w", "15", ServerIp);

        Assert.Contains("3 packets transmitted, 3 received", ping, StringComparison.Ordinal);
        foreach (var frame in trunk.Frames(3))
        {
            Assert.Equal(0x8100, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)));
            Assert.Equal(100, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(14)) & 0x0fff);
            Assert.Equal(0x0800, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(16)));
            Assert.Equal(1, frame[18 + 9]); // ICMP
        }

        Assert.Equal(0, live["untag-a"].TotalDrops + live["untag-b"].TotalDrops); // no untagged frame crossed
    }

    [LinuxPipelineFact("ping", "ethtool", LinuxTools.Python)]
    public async Task A_tcp_transfer_of_4_MB_reaches_the_server_through_the_pipeline_with_the_same_sha256()
    {
        LinuxTools.Require("ping", "ethtool", LinuxTools.Python);
        using var scratch = new Scratch();
        using var lab = new NetworkLab();
        var net = Build(lab);
        var data = new byte[4 << 20];
        new Random(7).NextBytes(data);
        var dataFile = scratch.PathOf("data.bin");
        await File.WriteAllBytesAsync(dataFile, data);
        var server = scratch.PathOf("server.py");
        await File.WriteAllTextAsync(server, """
            import hashlib, socket, sys
            s = socket.socket()
            s.settimeout(30)
            s.bind((sys.argv[1], int(sys.argv[2])))
            s.listen(1)
            print("listening", flush=True)
            c, _ = s.accept()
            c.settimeout(30)
            h, n = hashlib.sha256(), 0
            while True:
                d = c.recv(65536)
                if not d:
                    break
                h.update(d)
                n += len(d)
            print(n, h.hexdigest(), flush=True)
            """);
        var client = scratch.PathOf("client.py");
        await File.WriteAllTextAsync(client, """
            import socket, sys
            data = open(sys.argv[3], "rb").read()
            c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=30)
            c.sendall(data)
            c.shutdown(socket.SHUT_WR)
            c.recv(1)  # the server closes once it has read everything
            """);

        await using var live = LivePipeline.Start(net.Yaml);
        using var listener = Tools.Start("ip", "netns", "exec", net.B, LinuxTools.Python, server, ServerIp, "5001");
        try
        {
            Assert.Equal("listening", await ReadLineAsync(listener));
            var clock = Stopwatch.StartNew();
            Tools.Run("ip", "netns", "exec", net.A, LinuxTools.Python, client, ServerIp, "5001", dataFile);

            var received = await ReadLineAsync(listener);
            Assert.Equal($"{data.Length} {Convert.ToHexStringLower(SHA256.HashData(data))}", received);
            Assert.True(live["tag-a"].OutPackets >= data.Length / 1500, $"{live["tag-a"].OutPackets} frames crossed the trunk toward the server in {clock.Elapsed}");
        }
        finally
        {
            if (!listener.HasExited)
            {
                listener.Kill(entireProcessTree: true);
            }
        }
    }

    private static async Task<string?> ReadLineAsync(Process process)
    {
        var line = process.StandardOutput.ReadLineAsync();
        var done = await Task.WhenAny(line, Task.Delay(LivePipeline.Patience));
        Assert.True(done == line, $"no line from {process.StartInfo.FileName} within {LivePipeline.Patience}: {(process.HasExited ? await process.StandardError.ReadToEndAsync() : "still running")}");
        return await line;
    }

    private sealed record Network(string A, string B, string M1, string M2, string T2, string Yaml);

    private static Network Build(NetworkLab lab)
    {
        var a = lab.Namespace("a");
        var m1 = lab.Namespace("m");
        var m2 = lab.Namespace("n");
        var b = lab.Namespace("b");
        var (a0, a1) = lab.Veth(a, m1, macA: "02:00:5e:79:00:01", macB: "02:00:5e:79:00:11");
        var (t1, t2) = lab.Veth(m1, m2, macA: "02:00:5e:79:00:21", macB: "02:00:5e:79:00:22");
        var (b1, b0) = lab.Veth(m2, b, macA: "02:00:5e:79:00:12", macB: "02:00:5e:79:00:02");
        foreach (var (ns, dev, ip) in new[] { (a, a0, ClientIp), (b, b0, ServerIp) })
        {
            Tools.Run("ip", "-n", ns, "addr", "add", ip + "/24", "dev", dev);
            Tools.Run("ip", "netns", "exec", ns, "ethtool", "-K", dev, "tso", "off", "gso", "off");
        }

        var yaml = $$"""
            name: vlan-trunk-switch
            memory: { buffers: 32768 } # four NIC ports, each with NIC and host rings of 1024 slots
            ports:
              a:  { spec: "netmap:{{a1}}@csum=sw", netns: {{m1}}, thread: dedicated }
              t1: { spec: "netmap:{{t1}}", netns: {{m1}}, thread: dedicated }
              t2: { spec: "netmap:{{t2}}", netns: {{m2}}, thread: dedicated }
              b:  { spec: "netmap:{{b1}}@csum=sw", netns: {{m2}}, thread: dedicated }
            stages:
              tag-a:   { type: vlan-push, vid: 100 }
              untag-a: { type: vlan-pop }
              tag-b:   { type: vlan-push, vid: 100 }
              untag-b: { type: vlan-pop }
            pipes:
              - a -> tag-a -> t1
              - t1 -> untag-a -> a
              - untag-a.untagged -> drop
              - b -> tag-b -> t2
              - t2 -> untag-b -> b
              - untag-b.untagged -> drop
            """;
        return new Network(a, b, m1, m2, t2, yaml);
    }
}
