using Netmap.Io.Files;
using Xunit.Abstractions;

namespace Netmap.Io.Tests.Files;

public sealed class PcapWriterTests(ITestOutputHelper output)
{
    [Fact]
    public void Header_is_little_endian_microsecond_pcap_2_4_of_ethernet()
    {
        var stream = new MemoryStream();
        using (new PcapWriter(stream, leaveOpen: true))
        {
        }

        Assert.Equal(
            Convert.FromHexString("d4c3b2a1" + "0200" + "0400" + "00000000" + "00000000" + "00000400" + "01000000"),
            stream.ToArray());
    }

    [Fact]
    public void Record_holds_seconds_microseconds_and_both_lengths()
    {
        var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, leaveOpen: true))
        {
            writer.WritePacket([1, 2, 3], 1_704_067_200_123_456_789, originalLength: 60);
            Assert.Equal(1, writer.PacketsWritten);
        }

        Assert.Equal(
            Convert.FromHexString("80009265" + "40e20100" + "03000000" + "3c000000" + "010203"),
            stream.ToArray()[24..]);
    }

    [Fact]
    public void Packets_longer_than_the_snap_length_are_cut_and_keep_their_wire_length()
    {
        var stream = new MemoryStream();
        var packet = PacketFill.Pattern(200, 7);
        using (var writer = new PcapWriter(stream, snapLength: 128, leaveOpen: true))
        {
            writer.WritePacket(packet, 0);
        }

        stream.Position = 0;
        using var reader = new PcapReader(stream, "cut");
        var buffer = new byte[PcapFormat.MaxCapturedLength];
        Assert.True(reader.TryReadPacket(buffer, out var info));
        Assert.Equal((128, 200), (info.Length, info.OriginalLength));
        Assert.Equal(packet[..128], buffer[..128]);
    }

    [Fact]
    public void Written_file_reads_back_and_tshark_reads_it_without_a_warning()
    {
        using var dir = new TempDir();
        var path = dir.File("sub/dir/written.pcap");
        var originals = PcapTestFiles.ReadAll(PcapTestFiles.Mixed);
        using (var writer = PcapFormat.Create(path))
        {
            foreach (var (data, info) in originals)
            {
                writer.WritePacket(data, info.TimestampNs);
            }
        }

        var back = PcapTestFiles.ReadAll(path);
        Assert.Equal(originals.Select(p => Convert.ToHexString(p.Data)), back.Select(p => Convert.ToHexString(p.Data)));
        Assert.Equal(originals.Select(p => p.Info.TimestampNs), back.Select(p => p.Info.TimestampNs));
        PcapTestFiles.AssertTsharkReads(path, output);
    }
}
