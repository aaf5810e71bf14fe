using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Netmap.Io.Files;
using Pipeline.Cluster;
using Pipeline.Cluster.Hosting;
using Pipeline.Config;
using Stages;

// Cross-node throughput over loopback: two cluster nodes in this process, each its own actor system talking over
// Akka.Remote on 127.0.0.1. The sender reads a looped capture of one packet size and sends everything to a counter
// on the receiver (one cross-node pipe); the figure is the counter's rate once warm. Both nodes share this
// process's two cores, so it is the whole cost of a cross-node pipe on one machine: copy into the batch, the
// serializer, Akka.Remote over TCP, and the copy into the receiver's ring.
//
// Usage: dotnet run -c Release --project bench/Pipeline.Cluster.Bench -- [--sizes 64,1500] [--seconds 5] [--warmup 2] [--window 8] [--slots 2048]
var sizes = Arg("--sizes", "64,1500").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
var seconds = double.Parse(Arg("--seconds", "5"), CultureInfo.InvariantCulture);
var warmup = double.Parse(Arg("--warmup", "2"), CultureInfo.InvariantCulture);
var window = int.Parse(Arg("--window", "8"), CultureInfo.InvariantCulture);
var slots = int.Parse(Arg("--slots", "2048"), CultureInfo.InvariantCulture);

var results = new List<string>();
foreach (var size in sizes)
{
    results.Add(await RunAsync(size, TimeSpan.FromSeconds(warmup), TimeSpan.FromSeconds(seconds), window, slots));
}

Console.WriteLine();
Console.WriteLine("| packet | Mpps | Gbit/s | allocated B/packet | batches/s |");
Console.WriteLine("|---:|---:|---:|---:|---:|");
foreach (var line in results)
{
    Console.WriteLine(line);
}

return 0;

static async Task<string> RunAsync(int size, TimeSpan warmup, TimeSpan measure, int window, int slots)
{
    var directory = Path.Combine(Path.GetTempPath(), "pipeline-cluster-bench", Guid.NewGuid().ToString("N")[..8]);
    Directory.CreateDirectory(directory);
    var capture = Path.Combine(directory, "in.pcap");
    WriteCapture(capture, size, packets: 4096);
    var definition = PipelineLoader.Parse($$"""
        name: cross-node-{{size}}
        nodes: [sender, receiver]
        memory: { buffers: 32768, buffer-size: 2048, batch-size: 256 }
        ports:
          gen: { spec: "pcap:{{capture}}", loop: 1000000 }
        stages:
          count: { type: counter, node: receiver }
        pipes:
          - gen -> count -> drop
        """, "bench.yaml", BuiltInStages.CreateRegistry(), directory);
    var sender = await ClusterNode.StartAsync(Options(definition, "sender", [], window, slots));
    var receiver = await ClusterNode.StartAsync(Options(definition, "receiver", [sender.Pipeline.SelfAddress], window, slots));
    try
    {
        await receiver.Pipeline.Started.WaitAsync(TimeSpan.FromSeconds(30));
        var counter = receiver.Pipeline.Runtime!.CountersOf("count");
        await Task.Delay(warmup);
        var packets0 = counter.InPackets;
        var bytes0 = counter.InBytes;
        var allocated0 = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        await Task.Delay(measure);
        var packets = counter.InPackets - packets0;
        var bytes = counter.InBytes - bytes0;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated0;
        var elapsed = clock.Elapsed.TotalSeconds;
        var mpps = packets / elapsed / 1e6;
        var gbits = bytes * 8 / elapsed / 1e9;
        var perMessage = Math.Max(1, Math.Min(slots / 2, (64 * 1024 - 29) / (size + 2)));
        Console.WriteLine(FormattableString.Invariant($"{size} B: {packets} packets in {elapsed:F2} s: {mpps:F3} Mpps, {gbits:F3} Gbit/s, {(double)allocated / Math.Max(packets, 1):F1} B allocated per packet"));
        return FormattableString.Invariant($"| {size} B | {mpps:F3} | {gbits:F3} | {(double)allocated / Math.Max(packets, 1):F1} | {packets / elapsed / perMessage:F0} |");
    }
    finally
    {
        await Task.WhenAll(receiver.DisposeAsync().AsTask(), sender.DisposeAsync().AsTask());
        Directory.Delete(directory, recursive: true);
    }
}

static ClusterPipelineOptions Options(PipelineDefinition definition, string role, string[] seeds, int window, int slots) => new()
{
    Definition = definition,
    Role = role,
    Seeds = seeds,
    SystemName = "pipeline-bench",
    LinkWindow = window,
    LinkSlots = slots,
    DrainTimeout = TimeSpan.FromSeconds(2),
    ExtraHocon = Environment.GetEnvironmentVariable("CLUSTER_BENCH_HOCON"),
};

static void WriteCapture(string path, int size, int packets)
{
    using var writer = new PcapWriter(File.Create(path));
    var frame = new byte[size];
    for (var i = 0; i < packets; i++)
    {
        // 64 UDP flows over IPv4, so the sender's flow hash has work to do like real traffic.
        frame.AsSpan(0, 12).Fill(0x02);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        frame[14] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), (ushort)(size - 14));
        frame[22] = 64;
        frame[23] = 17;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(26), 0x0A000001u + (uint)(i % 64));
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(30), 0x0A640001u);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(34), (ushort)(10000 + (i % 64)));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(36), 53);
        writer.WritePacket(frame, i * 1000L);
    }
}

string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
