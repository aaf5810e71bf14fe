using Netmap.Io.Files;
using Netmap.Io.Ports;
using Netmap.Io.Rings;

namespace Netmap.Io.Tests.Files;

// pcap:PATH ports opened through NetmapDomain.Open: one RX ring filled from the file at each RxSync.
public sealed class PcapSourcePortTests : NetmapTestBase, IDisposable
{
    private const long T0 = 1_704_067_200_000_000_000;

    private readonly TempDir _dir = new();

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
    public void Source_has_one_rx_ring_of_1024_slots_and_no_tx_ring()
    {
        using var handle = Domain.Open("pcap:" + PcapTestFiles.Mixed);
        var port = Assert.IsType<PcapSourcePort>(handle.Port);

        Assert.Equal((0, 1, 0, 0), (port.TxRingCount, port.RxRingCount, port.HostTxRingCount, port.HostRxRingCount));
        Assert.Equal(1024u, handle.RxRing.NumSlots);
        Assert.Equal(0, handle.TxRings.Length);
        Assert.Equal(NetmapError.EINVAL, Assert.Throws<NetmapException>(() => handle.TxRing).Code);
        Assert.Equal(0, handle.Inject(new byte[60]));
        Assert.Equal(1024, Arena.InUse);
        Assert.Equal("pcap:" + PcapTestFiles.Mixed, port.Spec);
        Assert.Equal(PcapTestFiles.Mixed, port.FilePath);
        Assert.False(port.EndOfInput);
        Assert.Null(port.InputError);
        Assert.Equal(0u, handle.RxRing.Space);
    }

    [Fact]
    public void Source_delivers_every_packet_of_mixed_pcap_in_order_with_exact_bytes()
    {
        var expected = PcapTestFiles.ReadAll(PcapTestFiles.Mixed);
        using var handle = Domain.Open("pcap:" + PcapTestFiles.Mixed);
        var ring = handle.RxRing;

        handle.RxSync();

        Assert.Equal((uint)expected.Count, ring.Space);
        for (var i = 0; i < expected.Count; i++)
        {
            var slot = ring[(uint)i];
            Assert.Equal(SlotFlags.None, slot.Flags);
            Assert.Equal(expected[i].Data.Length, slot.Len);
            Assert.Equal(expected[i].Data, ring.Packet((uint)i).Data.ToArray());
        }

        Assert.True(handle.Port.EndOfInput);
        Assert.Null(handle.Port.InputError);
        Assert.Equal(expected.Count, ((PcapSourcePort)handle.Port).PacketsPublished);
        ring.Head = ring.Cur = ring.Tail;
        handle.RxSync();
        Assert.True(ring.IsEmpty);
    }

    [Fact]
    public void Source_through_a_small_ring_delivers_everything_as_the_user_releases_slots()
    {
        var expected = PcapTestFiles.ReadAll(PcapTestFiles.Mixed);
        using var handle = Domain.Open("pcap:" + PcapTestFiles.Mixed, new RegisterOptions { RxSlots = 4 });

        handle.RxSync();
        Assert.Equal(3u, handle.RxRing.Space); // N - 1: one slot always stays empty
        Assert.False(handle.Port.EndOfInput);
        var got = ReceiveAll(handle);

        Assert.Equal(expected.Select(p => Convert.ToHexString(p.Data)), got.Select(Convert.ToHexString));
    }

    [Fact]
    public void Source_writes_each_packet_at_the_slot_offset()
    {
        var expected = PcapTestFiles.ReadAll(PcapTestFiles.Mixed);
        var options = new RegisterOptions { Offsets = new OffsetOptions { MaxOffset = 2048, InitialOffset = 128 } };
        using var handle = Domain.Open("pcap:" + PcapTestFiles.Mixed, options);
        var ring = handle.RxRing;

        handle.RxSync();

        Assert.Equal((uint)expected.Count, ring.Space);
        for (var i = 0u; i < expected.Count; i++)
        {
            var view = ring.Packet(i);
            Assert.Equal(128, view.Offset);
            Assert.Equal(expected[(int)i].Data.Length, view.Length);
            Assert.Equal(expected[(int)i].Data, ring.Buffer(i).Slice(128, view.Length).ToArray());
        }
    }

    public static TheoryData<string, int, int[]> JumboLayouts => new()
    {
        // 3000, 4096, 6000 and 9000 bytes in 2048-byte buffers, after an offset of 0 or 128 bytes.
        { "no offset", 0, [2, 2, 3, 5] },
        { "offset 128", 128, [2, 3, 4, 5] },
    };

    [Theory]
    [MemberData(nameof(JumboLayouts))]
    public void Jumbo_frames_become_morefrag_chains_that_CopyPacket_gathers_back(string layout, int offset, int[] fragments)
    {
        var expected = PcapTestFiles.ReadAll(PcapTestFiles.Jumbo);
        var options = offset == 0 ? null : new RegisterOptions { Offsets = new OffsetOptions { MaxOffset = 256, InitialOffset = (ulong)offset } };
        using var handle = Domain.Open("pcap:" + PcapTestFiles.Jumbo, options);
        var ring = handle.RxRing;

        handle.RxSync();

        Assert.Equal((uint)fragments.Sum(), ring.Space);
        var k = ring.Head;
        var gathered = new byte[64 * 1024];
        for (var p = 0; p < expected.Count; p++)
        {
            var data = expected[p].Data;
            var room = 2048 - offset;
            for (var f = 0; f < fragments[p]; f++)
            {
                var view = ring.Packet(k + (uint)f);
                var last = f == fragments[p] - 1;
                Assert.Equal(offset, view.Offset);
                Assert.Equal(last ? SlotFlags.None : SlotFlags.MoreFrag, view.Flags);
                Assert.Equal(last ? data.Length - (room * f) : room, view.Length);
                Assert.Equal(data.AsSpan(room * f, view.Length).ToArray(), view.Data.ToArray());
            }

            var length = ring.CopyPacket(k, gathered, out var next, out var count);
            Assert.True(data.Length == length, $"{layout}: packet {p} gathered {length} bytes");
            Assert.Equal(fragments[p], count);
            Assert.Equal(data, gathered[..length]);
            k = next;
        }

        Assert.True(handle.Port.EndOfInput);
    }

    [Fact]
    public void Chain_that_does_not_fit_waits_for_the_user_to_release_slots()
    {
        // 8 slots, 7 usable: 3000 (2) + 4096 (2) + 6000 (3) fill them; 9000 (5) needs five more.
        var expected = PcapTestFiles.ReadAll(PcapTestFiles.Jumbo);
        using var handle = Domain.Open("pcap:" + PcapTestFiles.Jumbo, new RegisterOptions { RxSlots = 8 });
        var ring = handle.RxRing;

        handle.RxSync();
        Assert.Equal(7u, ring.Space);
        Assert.False(handle.Port.EndOfInput);

        Assert.Equal(expected[0].Data, PacketFill.Receive(ring)); // releases 2 slots: still 3 short
        handle.RxSync();
        Assert.Equal(5u, ring.Space);
        Assert.False(handle.Port.EndOfInput);

        Assert.Equal(expected[1].Data, PacketFill.Receive(ring));
        Assert.Equal(expected[2].Data, PacketFill.Receive(ring));
        handle.RxSync();
        Assert.Equal(5u, ring.Space);
        Assert.True(handle.Port.EndOfInput);
        Assert.Equal(expected[3].Data, PacketFill.Receive(ring));
    }

    [Fact]
    public void Loop_2_gives_every_packet_twice_and_ends_after_the_second_pass()
    {
        var once = PcapTestFiles.ReadAll(PcapTestFiles.Mixed).Select(p => Convert.ToHexString(p.Data)).ToList();
        var options = new RegisterOptions { RxSlots = 16, Pcap = new PcapOptions { Loop = 2 } };
        using var handle = Domain.Open("pcap:" + PcapTestFiles.Mixed, options);

        var got = ReceiveAll(handle);

        Assert.Equal(once.Concat(once), got.Select(Convert.ToHexString));
        Assert.Equal(56, ((PcapSourcePort)handle.Port).PacketsPublished);
    }

    [Fact]
    public void Loop_0_replays_forever()
    {
        var once = PcapTestFiles.ReadAll(PcapTestFiles.Mixed);
        using var handle = Domain.Open("pcap:" + PcapTestFiles.Mixed, new RegisterOptions { Pcap = new PcapOptions { Loop = 0 } });
        var ring = handle.RxRing;

        handle.RxSync();

        Assert.Equal(1023u, ring.Space);
        for (var i = 0u; i < 1023; i += 97)
        {
            Assert.Equal(once[(int)(i % once.Count)].Data, ring.Packet(i).Data.ToArray());
        }

        Assert.False(handle.Port.EndOfInput);
    }

    [Fact]
    public void Recorded_pace_publishes_nothing_that_is_due_10_seconds_later_in_the_first_sync()
    {
        // The real clock (Stopwatch): the second packet, 10 s after the first, cannot be due yet.
        var path = _dir.Write("gap.pcap", CaptureBuilder.Pcap([new(PacketFill.Pattern(60, 1), T0), new(PacketFill.Pattern(61, 2), T0 + 10_000_000_000)]));
        using var handle = Domain.Open("pcap:" + path, new RegisterOptions { Pcap = new PcapOptions { Pace = PcapPace.Recorded } });

        handle.RxSync();

        Assert.Equal(1u, handle.RxRing.Space);
        Assert.Equal(60, handle.RxRing[0].Len);
        Assert.False(handle.Port.EndOfInput);
    }

    [Fact]
    public void Recorded_pace_publishes_each_packet_when_its_time_over_the_speed_has_come()
    {
        var clock = new ManualClock();
        var path = _dir.Write("gap.pcap", CaptureBuilder.Pcap(
        [
            new(PacketFill.Pattern(60, 1), T0),
            new(PacketFill.Pattern(61, 2), T0 + 10_000_000_000),
            new(PacketFill.Pattern(62, 3), T0 + 10_000_000_000),
            new(PacketFill.Pattern(63, 4), T0 + 12_000_000_000),
        ]));
        var pcap = new PcapOptions { Pace = PcapPace.Recorded, Speed = 2, Clock = clock };
        using var handle = Domain.Open("pcap:" + path, new RegisterOptions { Pcap = pcap });
        var ring = handle.RxRing;

        handle.RxSync();
        Assert.Equal(1u, ring.Space);

        clock.Advance(TimeSpan.FromMilliseconds(4999)); // at speed 2, the 10 s gap is 5 s
        handle.RxSync();
        Assert.Equal(1u, ring.Space);

        clock.Advance(TimeSpan.FromMilliseconds(1));
        handle.RxSync();
        Assert.Equal(3u, ring.Space); // both packets stamped +10 s
        Assert.False(handle.Port.EndOfInput);

        clock.Advance(TimeSpan.FromSeconds(1));
        handle.RxSync();
        Assert.Equal(4u, ring.Space);
        Assert.True(handle.Port.EndOfInput);
    }

    [Fact]
    public void Truncated_file_publishes_the_packets_before_the_damage_then_reports_it()
    {
        var builder = CaptureBuilder.PcapBuilder(
        [
            new(PacketFill.Pattern(60, 1), T0),
            new(PacketFill.Pattern(70, 2), T0 + 1000),
            new(PacketFill.Pattern(80, 3), T0 + 2000),
        ]);
        var path = _dir.Write("cut.pcap", builder.ToArray()[..^5]);
        using var handle = Domain.Open("pcap:" + path);

        handle.RxSync();

        Assert.Equal(2u, handle.RxRing.Space);
        Assert.True(handle.Port.EndOfInput);
        var error = handle.Port.InputError;
        Assert.NotNull(error);
        Assert.Equal(NetmapError.EINVAL, error.Code);
        Assert.Equal($"pcap:{path}: EINVAL: truncated packet record at byte {builder.Offsets[2]}: 80 bytes of packet data announced, 75 in the file", error.Message);
        Assert.Equal(24 + 16 + 60 + 16 + 70, builder.Offsets[2]);
    }

    [Fact]
    public void Packet_of_more_than_64_fragments_is_skipped_and_counted()
    {
        var path = _dir.Write("huge.pcap", CaptureBuilder.Pcap(
        [
            new(PacketFill.Pattern(60, 1), T0),
            new(PacketFill.Pattern(140_000, 2), T0 + 1),
            new(PacketFill.Pattern(61, 3), T0 + 2),
        ]));
        using var handle = Domain.Open("pcap:" + path);

        handle.RxSync();

        Assert.Equal(2u, handle.RxRing.Space);
        Assert.Equal((60, 61), (handle.RxRing[0].Len, handle.RxRing[1].Len));
        Assert.Equal(1, ((PcapSourcePort)handle.Port).OversizeDrops);
        Assert.True(handle.Port.EndOfInput);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public void Capture_without_packets_ends_at_the_first_sync(int loop)
    {
        var path = _dir.Write("empty.pcap", CaptureBuilder.Pcap([]));
        using var handle = Domain.Open("pcap:" + path, new RegisterOptions { Pcap = new PcapOptions { Loop = loop } });

        handle.RxSync();

        Assert.True(handle.RxRing.IsEmpty);
        Assert.True(handle.Port.EndOfInput);
        Assert.Null(handle.Port.InputError);
    }

    [Fact]
    public void Each_open_is_a_fresh_port_reading_from_the_start()
    {
        using var first = Domain.Open("pcap:" + PcapTestFiles.Mixed);
        first.RxSync();
        using var second = Domain.Open("pcap:" + PcapTestFiles.Mixed);
        second.RxSync();

        Assert.NotSame(first.Port, second.Port);
        Assert.Equal(first.RxRing.Space, second.RxRing.Space);
        Assert.Equal(first.RxRing.Packet(0).Data.ToArray(), second.RxRing.Packet(0).Data.ToArray());
        Assert.Equal(2048, Arena.InUse);
    }

    [Fact]
    public void File_is_closed_when_the_last_handle_goes()
    {
        var path = _dir.Write("one.pcap", CaptureBuilder.Pcap([new(PacketFill.Pattern(60, 1), T0)]));
        var handle = Domain.Open("pcap:" + path);
        Assert.Contains(path, OpenFiles());

        handle.Dispose();

        Assert.DoesNotContain(path, OpenFiles());
        Assert.Equal(0, Arena.InUse);
        Assert.True(handle.Port.IsDestroyed);
    }

    [Fact]
    public void Missing_file_is_ENOENT_with_the_path()
    {
        var path = _dir.File("missing.pcap");

        var error = Assert.Throws<NetmapException>(() => Domain.Open("pcap:" + path));

        Assert.Equal(NetmapError.ENOENT, error.Code);
        Assert.Equal($"pcap:{path}: ENOENT: no such file '{path}'", error.Message);
        Assert.Equal(0, Arena.InUse);
    }

    [Fact]
    public void Unreadable_header_is_EINVAL_naming_the_file()
    {
        var path = _dir.Write("notes.txt", "these are notes, not packets"u8.ToArray());

        var error = Assert.Throws<NetmapException>(() => Domain.Open("pcap:" + path));

        Assert.Equal(NetmapError.EINVAL, error.Code);
        Assert.Equal($"pcap:{path}: EINVAL: bad magic 0x74686573 at byte 0: not a pcap or pcapng file", error.Message);
        Assert.Equal(0, Arena.InUse);
    }

    [Fact]
    public void Capture_of_another_link_type_is_refused_at_open()
    {
        var path = _dir.Write("sll.pcap", CaptureBuilder.Pcap([new(PacketFill.Pattern(60, 1), T0)], linkType: 113));

        var error = Assert.Throws<NetmapException>(() => Domain.Open("pcap:" + path));

        Assert.Equal($"pcap:{path}: EINVAL: link type 113 (Linux cooked) is not supported: only Ethernet (1)", error.Message);
    }

    [Fact]
    public void Directory_is_not_a_capture()
    {
        var error = Assert.Throws<NetmapException>(() => Domain.Open("pcap:" + _dir.Path));

        Assert.Equal(NetmapError.EINVAL, error.Code);
        Assert.Contains("is a directory", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, RegisterOptions, string> BadOptions => new()
    {
        { "one slot", new RegisterOptions { RxSlots = 1 }, "a pcap port's RX ring needs between 2 and 65536 slots, not 1" },
        { "negative loop", new RegisterOptions { Pcap = new PcapOptions { Loop = -1 } }, "pcap loop count must be >= 0 (0 = forever), not -1" },
        { "speed 0", new RegisterOptions { Pcap = new PcapOptions { Speed = 0 } }, "pcap speed must be a positive finite number, not 0" },
        { "host rings", new RegisterOptions { Mode = RegisterMode.Sw }, "a pcap port takes only the ALL_NIC or ONE_NIC mode, not Sw" },
        { "monitor", new RegisterOptions { Flags = RegisterFlags.MonitorRx }, "file ports cannot be monitored (/r, /t, /z)" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Options_a_source_cannot_honour_are_refused(string name, RegisterOptions options, string reason)
    {
        var error = Assert.Throws<NetmapException>(() => Domain.Open("pcap:" + PcapTestFiles.Mixed, options));

        Assert.True(error.Reason.StartsWith(reason, StringComparison.Ordinal), $"{name}: {error.Message}");
        Assert.Equal(0, Arena.InUse);
        Assert.DoesNotContain(PcapTestFiles.Mixed, OpenFiles());
    }

    /// <summary>Syncs until the port reports the end, taking every packet as it comes.</summary>
    private static List<byte[]> ReceiveAll(PortHandle handle)
    {
        var ring = handle.RxRing;
        var got = new List<byte[]>();
        for (var i = 0; i < 10_000; i++)
        {
            handle.RxSync();
            while (!ring.IsEmpty)
            {
                got.Add(PacketFill.Receive(ring));
            }

            if (handle.Port.EndOfInput)
            {
                return got;
            }
        }

        Assert.Fail("the source never reached the end of its input");
        return got;
    }

    /// <summary>The files this process has open (/proc/self/fd).</summary>
    internal static List<string> OpenFiles()
    {
        var files = new List<string>();
        foreach (var fd in Directory.GetFiles("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target)
                {
                    files.Add(target);
                }
            }
            catch (IOException)
            {
                // The descriptor closed while we looked.
            }
        }

        return files;
    }
}
