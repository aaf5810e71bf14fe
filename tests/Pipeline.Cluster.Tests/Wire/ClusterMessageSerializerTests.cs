using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Pipeline.Cluster.Counters;
using Pipeline.Cluster.Wire;
using Pipeline.Config;
using Pipeline.Stages;

namespace Pipeline.Cluster.Tests.Wire;

public sealed class ClusterMessageSerializerTests : IAsyncLifetime
{
    private ActorSystem _system = null!;

    public Task InitializeAsync()
    {
        var options = new ClusterPipelineOptions
        {
            Definition = new PipelineDefinition { Name = "x", Ports = [], Stages = [], Edges = [], Nodes = ["a"] },
            Role = "a",
        };
        var hocon = ClusterConfig.Hocon(options) + "akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }";
        _system = ActorSystem.Create("serializer-test", ConfigurationFactory.ParseString(hocon));
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => _system.Terminate();

    [Fact]
    public void A_batch_travels_as_its_own_payload_and_reads_back_packet_by_packet()
    {
        var writer = new LinkBatchWriter(4096);
        byte[][] packets = [[1, 2, 3], [], [.. Enumerable.Range(0, 1500).Select(i => (byte)i)]];
        foreach (var packet in packets)
        {
            Assert.True(writer.HasRoom(packet.Length));
            packet.CopyTo(writer.Reserve(packet.Length));
            writer.Commit(packet.Length);
        }

        var batch = writer.Seal(edge: 3, senderUid: 77, sequence: 9, originSourceIn: 12345);
        var serializer = _system.Serialization.FindSerializerFor(batch);
        Assert.IsType<ClusterMessageSerializer>(serializer); // bound by the configuration
        var bytes = serializer.ToBinary(batch);
        Assert.Same(batch.Payload, bytes); // no copy, no re-encoding
        Assert.Equal(LinkBatch.HeaderSize + (3 * LinkBatch.LengthSize) + 1503, bytes.Length);

        var back = (LinkBatch)_system.Serialization.Deserialize(bytes, serializer.Identifier, "LB");
        Assert.Equal((3, 77, 9L, 12345L, 3), (back.Edge, back.SenderUid, back.Sequence, back.OriginSourceIn, back.Count));
        var at = LinkBatch.HeaderSize;
        foreach (var packet in packets)
        {
            Assert.Equal(packet, back.Next(ref at).ToArray());
        }

        Assert.Equal(0, writer.Count); // the writer starts over after a seal
    }

    [Theory]
    [InlineData(10, "shorter than its 29-byte header")]
    [InlineData(-1, "packet 1 of 2 is 500 bytes but only 3 remain")]
    [InlineData(-2, "version 9, expected 1")]
    [InlineData(-3, "bytes after the last of 2 packets")]
    public void A_malformed_batch_is_refused_with_what_is_wrong(int damage, string message)
    {
        var writer = new LinkBatchWriter(4096);
        foreach (var length in new[] { 4, 3 })
        {
            writer.Reserve(length).Fill(0xAB);
            writer.Commit(length);
        }

        var bytes = writer.Seal(1, 1, 1, 0).Payload;
        bytes = damage switch
        {
            > 0 => bytes[..damage],
            -1 => Patch(bytes, LinkBatch.HeaderSize + LinkBatch.LengthSize + 4, [0xF4, 0x01]), // the second length says 500
            -2 => Patch(bytes, 0, [9]),
            _ => [.. bytes, 0],
        };

        var ex = Assert.Throws<SerializationException>(() => _system.Serialization.Deserialize(bytes, ClusterMessageSerializer.SerializerId, "LB"));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_ack_and_a_node_report_round_trip()
    {
        var ack = new LinkAck(5, long.MaxValue);
        Assert.Equal(ack, RoundTrip(ack));

        var probe = _system.ActorOf(Props.Empty, "in-link");
        var report = new NodeReport(
            "akka.tcp://pipeline@127.0.0.1:4053", 42, "edge", "0123456789abcdef", 7,
            Started: true, HasSources: true, SourcesFinished: false, Idle: true, Stopping: true, SourceIn: 100, SinkOut: 90,
            [new InLinkEndpoint(2, probe)],
            [new ClusterCounterRow("in.out->work", ClusterRowKind.Link, 1, 2, 3, 4, new Dictionary<DropReason, long> { [DropReason.NodeLost] = 5, [DropReason.Shutdown] = 6 }, 0)],
            [new LedgerRow("akka.tcp://pipeline@127.0.0.1:4054", 9, 10, 11, 12, 13, 14)]);
        var back = RoundTrip(report);

        Assert.Equal((report.Address, report.Uid, report.Role, report.Fingerprint, report.Sequence), (back.Address, back.Uid, back.Role, back.Fingerprint, back.Sequence));
        Assert.Equal((true, true, false, true, true, 100L, 90L), (back.Started, back.HasSources, back.SourcesFinished, back.Idle, back.Stopping, back.SourceIn, back.SinkOut));
        var link = Assert.Single(back.InLinks);
        Assert.Equal(2, link.Edge);
        Assert.Equal(probe.Path, link.Actor.Path);
        var row = Assert.Single(back.Rows);
        Assert.Equal(("in.out->work", ClusterRowKind.Link, 1L, 2L, 3L, 4L), (row.Name, row.Kind, row.InPackets, row.InBytes, row.OutPackets, row.OutBytes));
        Assert.Equal(new Dictionary<DropReason, long> { [DropReason.NodeLost] = 5, [DropReason.Shutdown] = 6 }, row.Drops);
        Assert.Equal(report.Ledger, back.Ledger);
    }

    [Fact]
    public void A_truncated_report_and_an_unknown_manifest_are_refused()
    {
        var report = new NodeReport("akka.tcp://p@h:1", 1, "r", "f", 1, false, false, true, true, false, 0, 0, [], [], []);
        var bytes = _system.Serialization.FindSerializerFor(report).ToBinary(report);

        var truncated = Assert.Throws<SerializationException>(() => _system.Serialization.Deserialize(bytes[..^3], ClusterMessageSerializer.SerializerId, "NR"));
        Assert.Contains("node report", truncated.Message, StringComparison.Ordinal);
        var unknown = Assert.Throws<SerializationException>(() => _system.Serialization.Deserialize(bytes, ClusterMessageSerializer.SerializerId, "ZZ"));
        Assert.Contains("no manifest 'ZZ'", unknown.Message, StringComparison.Ordinal);
    }

    private T RoundTrip<T>(T message)
        where T : notnull
    {
        var serializer = _system.Serialization.FindSerializerFor(message);
        Assert.IsType<ClusterMessageSerializer>(serializer);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
        return (T)_system.Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, manifest);
    }

    private static byte[] Patch(byte[] bytes, int at, byte[] patch)
    {
        var copy = bytes.ToArray();
        patch.CopyTo(copy, at);
        return copy;
    }
}
