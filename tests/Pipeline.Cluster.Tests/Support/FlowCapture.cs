using System.Buffers.Binary;
using Netmap.Io.Files;

namespace Pipeline.Cluster.Tests.Support;

/// <summary>
/// Test captures of many UDP flows, each packet numbered within its flow, and what a run wrote: enough to check
/// that every packet arrived exactly once and each flow in order.
/// </summary>
internal static class FlowCapture
{
    private const int UdpPayloadOffset = 14 + 20 + 8;

    /// <summary>Writes <paramref name="flows"/> × <paramref name="perFlow"/> frames of <paramref name="size"/> bytes, flows interleaved, to <paramref name="path"/>.</summary>
    /// <remarks><paramref name="spacing"/> is the time between packets in the file (for <c>pace: recorded</c>).</remarks>
    public static List<byte[]> Write(string path, int flows, int perFlow, int size = 64, TimeSpan spacing = default)
    {
        var frames = new List<byte[]>(flows * perFlow);
        using var writer = new PcapWriter(File.Create(path));
        long time = 0;
        for (var seq = 0; seq < perFlow; seq++)
        {
            for (var flow = 0; flow < flows; flow++)
            {
                var frame = Frame(flow, seq, size);
                frames.Add(frame);
                writer.WritePacket(frame, time);
                time += (long)spacing.TotalNanoseconds;
            }
        }

        return frames;
    }

    /// <summary>An Ethernet/IPv4/UDP frame of flow <paramref name="flow"/> (its ports and source address) carrying (flow, seq).</summary>
    public static byte[] Frame(int flow, int seq, int size)
    {
        var frame = new byte[Math.Max(size, UdpPayloadOffset + 8)];
        var span = frame.AsSpan();
        span[..6].Fill(0x02);
        span[6..12].Fill(0x04);
        BinaryPrimitives.WriteUInt16BigEndian(span[12..], 0x0800);
        var ip = span[14..];
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(frame.Length - 14));
        ip[8] = 64;
        ip[9] = 17;
        BinaryPrimitives.WriteUInt32BigEndian(ip[12..], 0x0A000000u | (uint)(flow + 1)); // 10.0.x.y
        BinaryPrimitives.WriteUInt32BigEndian(ip[16..], 0x0A640001u); // 10.100.0.1
        var udp = ip[20..];
        BinaryPrimitives.WriteUInt16BigEndian(udp, (ushort)(10000 + flow));
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], 53);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(frame.Length - 34));
        BinaryPrimitives.WriteInt32BigEndian(span[UdpPayloadOffset..], flow);
        BinaryPrimitives.WriteInt32BigEndian(span[(UdpPayloadOffset + 4)..], seq);
        return frame;
    }

    /// <summary>Every frame of a capture, in order.</summary>
    public static List<byte[]> Read(string path)
    {
        var frames = new List<byte[]>();
        using var reader = new PcapReader(File.OpenRead(path), path);
        var buffer = new byte[PcapFormat.MaxCapturedLength];
        while (reader.TryReadPacket(buffer, out var info))
        {
            frames.Add(buffer.AsSpan(0, info.Length).ToArray());
        }

        return frames;
    }

    /// <summary>(flow, seq) of a frame written by <see cref="Frame"/>, with <paramref name="shift"/> bytes of pushed headers before the IP header.</summary>
    public static (int Flow, int Seq) Id(byte[] frame, int shift = 0) =>
        (BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(UdpPayloadOffset + shift)), BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(UdpPayloadOffset + shift + 4)));

    /// <summary>Asserts every sent packet arrived exactly once and every flow in order.</summary>
    public static void AssertExactlyOnceInOrder(IReadOnlyList<byte[]> sent, IReadOnlyList<byte[]> received, int shift = 0)
    {
        Assert.Equal(sent.Count, received.Count);
        var next = new Dictionary<int, int>();
        var seen = new HashSet<(int, int)>();
        foreach (var frame in received)
        {
            var (flow, seq) = Id(frame, shift);
            Assert.True(seen.Add((flow, seq)), $"flow {flow} packet {seq} arrived twice");
            var expected = next.GetValueOrDefault(flow);
            Assert.True(seq == expected, $"flow {flow}: packet {seq} arrived where {expected} was due (out of order)");
            next[flow] = seq + 1;
        }
    }
}
