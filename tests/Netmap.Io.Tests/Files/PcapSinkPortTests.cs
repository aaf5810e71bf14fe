using Netmap.Io.Files;
using Netmap.Io.Ports;
using Netmap.Io.Rings;
using Xunit.Abstractions;

namespace Netmap.Io.Tests.Files;

// pcap-out:PATH ports opened through NetmapDomain.Open: one TX ring whose packets each TxSync writes.
public sealed class PcapSinkPortTests(ITestOutputHelper output) : NetmapTestBase, IDisposable
{
    private const long T0 = 1_704_067_200_000_000_000;

    private readonly TempDir _dir = new();
    private readonly ManualClock _clock = new();

    void IDisposable.Dispose()
    {
        try
        {
            Dispose();
        }
        finally
        {
            _dir.Dispose();
        }
    }

    [Fact]
    public void Sink_has_one_tx_ring_and_creates_the_file_with_its_header_at_open()
    {
        var path = _dir.File("out.pcap");
        using var handle = Domain.Open("pcap-out:" + path);
        var port = Assert.IsType<PcapSinkPort>(handle.Port);

        Assert.Equal((1, 0), (port.TxRingCount, port.RxRingCount));
        Assert.Equal(1024u, handle.TxRing.NumSlots);
        Assert.Equal(1023u, handle.TxRing.Space);
        Assert.Equal(0, handle.RxRings.Length);
        Assert.Equal(1024, Arena.InUse);
        Assert.Equal(24, new FileInfo(path).Length);
        Assert.False(port.EndOfInput);
    }

    [Fact]
    public void Sink_writes_what_tx_sends_and_gives_the_slots_back_at_once()
    {
        var path = _dir.File("out.pcap");
        using var handle = Open(path, new RegisterOptions { TxSlots = 8 });
        var ring = handle.TxRing;
        var sent = new[] { PacketFill.Pattern(60, 1), PacketFill.Pattern(1514, 2), PacketFill.Pattern(64, 3) };

        foreach (var packet in sent)
        {
            PacketFill.Send(ring, packet);
        }

        Assert.Equal(4u, ring.Space);
        handle.TxSync();

        Assert.Equal(7u, ring.Space);
        Assert.False(ring.TxPending);
        Assert.Equal(3, ((PcapSinkPort)handle.Port).PacketsWritten);
        // Flushed by the sync: readable while the port is still open.
        var written = ReadShared(path);
        Assert.Equal(sent.Select(Convert.ToHexString), written.Select(p => Convert.ToHexString(p.Data)));
        Assert.All(written, p => Assert.Equal(T0, p.Info.TimestampNs));
        Assert.All(written, p => Assert.Equal(p.Info.Length, p.Info.OriginalLength));
    }

    [Fact]
    public void Morefrag_chain_is_written_as_one_record()
    {
        var path = _dir.File("out.pcap");
        var packet = PacketFill.Pattern(5000, 9);
        using (var handle = Open(path))
        {
            Assert.Equal(5000, handle.Inject(packet));
            Assert.Equal(SlotFlags.MoreFrag, handle.TxRing[0].Flags);
            Assert.Equal(SlotFlags.MoreFrag, handle.TxRing[1].Flags);
            Assert.Equal(SlotFlags.None, handle.TxRing[2].Flags);
            handle.TxSync();
            Assert.Equal(1023u, handle.TxRing.Space);
        }

        var written = Assert.Single(PcapTestFiles.ReadAll(path));
        Assert.Equal(packet, written.Data);
    }

    [Fact]
    public void Trailing_chain_waits_for_its_last_fragment()
    {
        var path = _dir.File("out.pcap");
        using var handle = Open(path, new RegisterOptions { TxSlots = 8 });
        var ring = handle.TxRing;
        var single = PacketFill.Pattern(60, 1);
        var head = PacketFill.Pattern(100, 2);
        var rest = PacketFill.Pattern(40, 3);

        PacketFill.Send(ring, single);
        PacketFill.Send(ring, head);
        ring[1].Flags = SlotFlags.MoreFrag;
        handle.TxSync();

        Assert.Single(ReadShared(path));
        Assert.Equal(6u, ring.Space); // the first fragment stays with the port
        Assert.True(ring.TxPending);

        PacketFill.Send(ring, rest);
        handle.TxSync();

        Assert.Equal(7u, ring.Space);
        var written = ReadShared(path);
        Assert.Equal(2, written.Count);
        Assert.Equal(single, written[0].Data);
        Assert.Equal(head.Concat(rest), written[1].Data);
    }

    [Fact]
    public void Sink_writes_from_each_slot_offset()
    {
        var path = _dir.File("out.pcap");
        var options = new RegisterOptions { Offsets = new OffsetOptions { MaxOffset = 256, InitialOffset = 64 } };
        var packet = PacketFill.Pattern(300, 4);
        var jumbo = PacketFill.Pattern(4000, 5);
        using (var handle = Open(path, options))
        {
            var ring = handle.TxRing;
            handle.Inject(packet);
            Assert.Equal(64ul, ring.GetOffset(in ring[0]));
            // A pushed header: the user moves the offset down and writes 14 bytes in the headroom.
            var view = ring.Packet(0);
            view.Push(14);
            var pushed = view.Data.ToArray();
            Assert.Equal(314, pushed.Length);
            handle.Inject(jumbo);
            handle.TxSync();

            var written = ReadShared(path);
            Assert.Equal(pushed, written[0].Data);
            Assert.Equal(jumbo, written[1].Data);
        }
    }

    public static TheoryData<string> Samples => new() { "mixed.pcap", "jumbo.pcap" };

    [Theory]
    [MemberData(nameof(Samples))]
    public void Source_to_sink_round_trip_gives_back_the_same_packets_and_tshark_reads_the_file(string sample)
    {
        var input = sample == "mixed.pcap" ? PcapTestFiles.Mixed : PcapTestFiles.Jumbo;
        var path = _dir.File("round-trip/" + sample);
        using (var source = Domain.Open("pcap:" + input, new RegisterOptions { RxSlots = 8 }))
        using (var sink = Domain.Open("pcap-out:" + path, new RegisterOptions { TxSlots = 8 }))
        {
            var rx = source.RxRing;
            var buffer = new byte[64 * 1024];
            for (var i = 0; i < 1000 && !(source.Port.EndOfInput && rx.IsEmpty); i++)
            {
                source.RxSync();
                while (!rx.IsEmpty)
                {
                    var length = rx.CopyPacket(rx.Head, buffer, out var next, out _);
                    Assert.True(length >= 0);
                    if (sink.Inject(buffer.AsSpan(0, length)) == 0)
                    {
                        break; // TX full: sync and come back
                    }

                    rx.Head = rx.Cur = next;
                }

                sink.TxSync();
            }

            Assert.True(source.Port.EndOfInput);
        }

        var original = PcapTestFiles.ReadAll(input);
        var back = PcapTestFiles.ReadAll(path);
        Assert.Equal(original.Select(p => Convert.ToHexString(p.Data)), back.Select(p => Convert.ToHexString(p.Data)));
        PcapTestFiles.AssertTsharkReads(path, output);
    }

    [Fact]
    public void Second_open_of_the_same_file_is_busy_until_the_first_closes()
    {
        var path = _dir.File("out.pcap");
        var first = Domain.Open("pcap-out:" + path);
        PacketFill.Send(first.TxRing, PacketFill.Pattern(60, 1));
        first.TxSync();
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, path);

        var error = Assert.Throws<NetmapException>(() => Domain.Open("pcap-out:" + relative));

        Assert.Equal(NetmapError.EBUSY, error.Code);
        Assert.Equal($"pcap-out:{relative}: EBUSY: '{relative}' is already being written by pcap-out:{path}", error.Message);
        Assert.Equal(1024, Arena.InUse);

        first.Dispose();
        using var again = Domain.Open("pcap-out:" + path);
        Assert.Equal(24, new FileInfo(path).Length); // created afresh: truncated
    }

    [Fact]
    public void A_capture_being_read_cannot_be_written_even_through_a_link_and_the_input_stays_whole()
    {
        var input = _dir.File("in.pcap");
        File.Copy(PcapTestFiles.Mixed, input);
        var link = _dir.File("link.pcap");
        File.CreateSymbolicLink(link, input);
        var before = File.ReadAllBytes(input);
        var source = Domain.Open("pcap:" + input);

        var direct = Assert.Throws<NetmapException>(() => Domain.Open("pcap-out:" + input));
        var linked = Assert.Throws<NetmapException>(() => Domain.Open("pcap-out:" + link));

        Assert.Equal(NetmapError.EBUSY, direct.Code);
        Assert.Equal($"pcap-out:{input}: EBUSY: '{input}' is being read by pcap:{input}: writing it would truncate the capture being read", direct.Message);
        Assert.Equal(NetmapError.EBUSY, linked.Code);
        Assert.Equal(before, File.ReadAllBytes(input));

        // And the other way: a file being written cannot be opened as a source.
        source.Dispose();
        var output = _dir.File("out.pcap");
        using var sink = Domain.Open("pcap-out:" + output);
        var reading = Assert.Throws<NetmapException>(() => Domain.Open("pcap:" + output));
        Assert.Equal($"pcap:{output}: EBUSY: '{output}' is being written by pcap-out:{output}: a capture cannot be read while it is rewritten", reading.Message);

        // Once the reader closed, the file can be written.
        using var rewrite = Domain.Open("pcap-out:" + input);
        Assert.Equal(24, new FileInfo(input).Length);
    }

    [Fact]
    public void Directories_are_created_and_the_file_is_closed_with_the_port()
    {
        var path = _dir.File("a/b/c/out.pcap");
        var handle = Domain.Open("pcap-out:" + path);
        Assert.Contains(path, PcapSourcePortTests.OpenFiles());

        handle.Dispose();

        Assert.DoesNotContain(path, PcapSourcePortTests.OpenFiles());
        Assert.True(File.Exists(path));
        Assert.Equal(0, Arena.InUse);
    }

    [Fact]
    public void Unwritable_path_is_refused_with_the_path()
    {
        var blocker = _dir.Write("blocker", [1]);
        var path = Path.Combine(blocker, "out.pcap"); // a file where a directory should be

        var error = Assert.Throws<NetmapException>(() => Domain.Open("pcap-out:" + path));

        Assert.Contains(error.Code, new[] { NetmapError.EACCES, NetmapError.ENOENT });
        Assert.StartsWith($"pcap-out:{path}: {error.Code}: cannot create '{path}'", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, Arena.InUse);
    }

    private PortHandle Open(string path, RegisterOptions? options = null) =>
        Domain.Open("pcap-out:" + path, (options ?? new RegisterOptions()) with { Pcap = new PcapOptions { Clock = _clock } });

    /// <summary>Reads a capture the sink still has open.</summary>
    private static List<(byte[] Data, PcapPacketInfo Info)> ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new PcapReader(stream, path);
        var buffer = new byte[PcapFormat.MaxCapturedLength];
        var packets = new List<(byte[], PcapPacketInfo)>();
        while (reader.TryReadPacket(buffer, out var info))
        {
            packets.Add((buffer[..info.Length], info));
        }

        return packets;
    }
}
