using System.Buffers.Binary;
using Netmap.Io.Packets;

namespace Netmap.Io.Tests.Packets;

public sealed class ChecksumTests
{
    // A classic worked example: 192.168.0.1 -> 192.168.0.199, UDP, checksum 0xB861.
    private static readonly byte[] Ipv4Header = Convert.FromHexString("450000730000400040110000C0A80001C0A800C7");

    [Fact]
    public void The_checksum_of_an_IPv4_header_matches_the_worked_example()
    {
        Assert.Equal(0xB861, Checksum.Compute(Ipv4Header));
    }

    [Fact]
    public void A_header_with_its_checksum_verifies_and_a_corrupted_one_does_not()
    {
        var header = (byte[])Ipv4Header.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(10), Checksum.Compute(header));
        Assert.True(Checksum.Verify(header));
        header[8]--; // TTL
        Assert.False(Checksum.Verify(header));
    }

    [Fact]
    public void An_odd_trailing_byte_counts_as_the_high_byte()
    {
        Assert.Equal(Checksum.Compute([0x12, 0x34, 0x56, 0x00]), Checksum.Compute([0x12, 0x34, 0x56]));
    }

    [Fact]
    public void The_incremental_update_equals_a_full_recomputation()
    {
        // RFC 1624: decrementing the TTL (one 16-bit word: TTL and protocol) many times over.
        var random = new Random(1624);
        for (var round = 0; round < 1000; round++)
        {
            var header = new byte[20];
            random.NextBytes(header);
            header[10] = header[11] = 0;
            var checksum = Checksum.Compute(header);
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(10), checksum);

            var word = (ushort)random.Next(0, 10);
            var oldWord = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(word * 2));
            if (word == 5)
            {
                continue; // the checksum field itself
            }

            var newWord = (ushort)random.Next(0, 65536);
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(word * 2), newWord);
            var updated = Checksum.Update(checksum, oldWord, newWord);
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(10), updated);
            Assert.True(Checksum.Verify(header), $"round {round}: word {word} {oldWord:x4} -> {newWord:x4}");
        }
    }
}
