using System.Buffers.Binary;
using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Serialization;
using Pipeline.Cluster.Counters;
using Pipeline.Stages;

namespace Pipeline.Cluster.Wire;

/// <summary>
/// The compact binary serializer of the cluster pipeline's messages, bound in the HOCON of
/// <see cref="ClusterConfig"/>: a packet batch travels as its own payload (no copy, no re-encoding), an
/// acknowledgement as 13 bytes, a node report as a small binary record. Unknown manifests and malformed input
/// throw <see cref="SerializationException"/> with what is wrong.
/// </summary>
public sealed class ClusterMessageSerializer : SerializerWithStringManifest
{
    /// <summary>The serializer id bound in the configuration.</summary>
    public const int SerializerId = 731;

    private const string BatchManifest = "LB";
    private const string AckManifest = "LA";
    private const string ReportManifest = "NR";
    private const byte ReportVersion = 1;

    /// <summary>Created by Akka from the configuration.</summary>
    public ClusterMessageSerializer(ExtendedActorSystem system)
        : base(system)
    {
    }

    /// <inheritdoc/>
    public override int Identifier => SerializerId;

    /// <inheritdoc/>
    public override string Manifest(object o) => o switch
    {
        LinkBatch => BatchManifest,
        LinkAck => AckManifest,
        NodeReport => ReportManifest,
        _ => throw new SerializationException($"the cluster pipeline serializer does not handle {o?.GetType().FullName ?? "null"}"),
    };

    /// <inheritdoc/>
    public override byte[] ToBinary(object obj) => obj switch
    {
        LinkBatch batch => batch.Payload,
        LinkAck ack => WriteAck(ack),
        NodeReport report => WriteReport(report),
        _ => throw new SerializationException($"the cluster pipeline serializer does not handle {obj?.GetType().FullName ?? "null"}"),
    };

    /// <inheritdoc/>
    public override object FromBinary(byte[] bytes, string manifest) => manifest switch
    {
        BatchManifest => LinkBatch.Parse(bytes),
        AckManifest => ReadAck(bytes),
        ReportManifest => ReadReport(bytes),
        _ => throw new SerializationException($"the cluster pipeline serializer has no manifest '{manifest}' (do all nodes run the same build?)"),
    };

    private static byte[] WriteAck(LinkAck ack)
    {
        var bytes = new byte[13];
        bytes[0] = 1;
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(1), ack.Edge);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(5), ack.Sequence);
        return bytes;
    }

    private static LinkAck ReadAck(byte[] bytes)
    {
        if (bytes.Length != 13 || bytes[0] != 1)
        {
            throw new SerializationException($"link ack: expected 13 bytes of version 1, got {bytes.Length} bytes");
        }

        return new LinkAck(BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(1)), BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(5)));
    }

    private static byte[] WriteReport(NodeReport report)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(ReportVersion);
            writer.Write(report.Address);
            writer.Write(report.Uid);
            writer.Write(report.Role);
            writer.Write(report.Fingerprint);
            writer.Write(report.Sequence);
            writer.Write((byte)((report.Started ? 1 : 0) | (report.HasSources ? 2 : 0) | (report.SourcesFinished ? 4 : 0) | (report.Idle ? 8 : 0) | (report.Stopping ? 16 : 0)));
            writer.Write(report.SourceIn);
            writer.Write(report.SinkOut);
            writer.Write(report.InLinks.Count);
            foreach (var link in report.InLinks)
            {
                writer.Write(link.Edge);
                writer.Write(Serialization.SerializedActorPath(link.Actor));
            }

            writer.Write(report.Rows.Count);
            foreach (var row in report.Rows)
            {
                writer.Write(row.Name);
                writer.Write((byte)row.Kind);
                writer.Write(row.InPackets);
                writer.Write(row.InBytes);
                writer.Write(row.OutPackets);
                writer.Write(row.OutBytes);
                writer.Write(row.Faults);
                writer.Write(row.Drops.Count);
                foreach (var (reason, count) in row.Drops)
                {
                    writer.Write((byte)reason);
                    writer.Write(count);
                }
            }

            writer.Write(report.Ledger.Count);
            foreach (var row in report.Ledger)
            {
                writer.Write(row.PeerAddress);
                writer.Write(row.PeerUid);
                writer.Write(row.SentTo);
                writer.Write(row.AckedBy);
                writer.Write(row.LostTo);
                writer.Write(row.ReceivedFrom);
                writer.Write(row.SourceInSeen);
            }
        }

        return stream.ToArray();
    }

    private NodeReport ReadReport(byte[] bytes)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes, writable: false), Encoding.UTF8);
            var version = reader.ReadByte();
            if (version != ReportVersion)
            {
                throw new SerializationException($"node report: version {version}, expected {ReportVersion} (do all nodes run the same build?)");
            }

            var address = reader.ReadString();
            var uid = reader.ReadInt32();
            var role = reader.ReadString();
            var fingerprint = reader.ReadString();
            var sequence = reader.ReadInt64();
            var flags = reader.ReadByte();
            var sourceIn = reader.ReadInt64();
            var sinkOut = reader.ReadInt64();
            var links = new InLinkEndpoint[Count(reader, bytes.Length, "receiving links")];
            for (var i = 0; i < links.Length; i++)
            {
                var edge = reader.ReadInt32();
                links[i] = new InLinkEndpoint(edge, system.Provider.ResolveActorRef(reader.ReadString()));
            }

            var rows = new ClusterCounterRow[Count(reader, bytes.Length, "counter rows")];
            for (var i = 0; i < rows.Length; i++)
            {
                var name = reader.ReadString();
                var kind = reader.ReadByte();
                if (kind > (byte)ClusterRowKind.Link)
                {
                    throw new SerializationException($"node report: row '{name}' has an unknown kind {kind}");
                }

                var (inPackets, inBytes, outPackets, outBytes, faults) = (reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64());
                var drops = new Dictionary<DropReason, long>();
                var reasons = Count(reader, bytes.Length, "drop reasons");
                for (var d = 0; d < reasons; d++)
                {
                    var reason = reader.ReadByte();
                    if (reason >= DropReasons.Count)
                    {
                        throw new SerializationException($"node report: row '{name}' has an unknown drop reason {reason}");
                    }

                    drops[(DropReason)reason] = reader.ReadInt64();
                }

                rows[i] = new ClusterCounterRow(name, (ClusterRowKind)kind, inPackets, inBytes, outPackets, outBytes, drops, faults);
            }

            var ledger = new LedgerRow[Count(reader, bytes.Length, "ledger rows")];
            for (var i = 0; i < ledger.Length; i++)
            {
                ledger[i] = new LedgerRow(reader.ReadString(), reader.ReadInt32(), reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64());
            }

            if (reader.BaseStream.Position != bytes.Length)
            {
                throw new SerializationException($"node report: {bytes.Length - reader.BaseStream.Position} bytes after its end");
            }

            return new NodeReport(
                address, uid, role, fingerprint, sequence,
                (flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0, (flags & 8) != 0, (flags & 16) != 0,
                sourceIn, sinkOut, links, rows, ledger);
        }
        catch (EndOfStreamException)
        {
            throw new SerializationException($"node report: the {bytes.Length} bytes end in the middle of a field");
        }
    }

    // A list length: not negative, and not more items than bytes left (each takes at least one).
    private static int Count(BinaryReader reader, int total, string what)
    {
        var count = reader.ReadInt32();
        if (count < 0 || count > total - reader.BaseStream.Position)
        {
            throw new SerializationException($"node report: {count} {what} cannot fit in the {total} bytes");
        }

        return count;
    }
}
