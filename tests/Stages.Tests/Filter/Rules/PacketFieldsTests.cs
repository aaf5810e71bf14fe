using System.Buffers.Binary;
using Pipeline.Testing;
using Stages.Filter.Rules;

namespace Stages.Tests.Filter.Rules;

// The fields the rules read, seen through rules: where each term's bytes are, and that a term never matches
// (and nothing throws) when its bytes are missing.
public sealed class PacketFieldsTests
{
    private const int Ethernet = FilterFrames.EthernetLength;

    public static TheoryData<TruncationCase> Truncations => new()
    {
        // Untagged IPv4/TCP: Ethernet 14, IPv4 20, ports 4.
        new("any matches every prefix", "tcp4-web", "any", 0),
        new("ip needs the EtherType", "tcp4-web", "ip", Ethernet),
        new("tcp needs the whole IPv4 header", "tcp4-web", "tcp", Ethernet + 20),
        new("an address needs the whole IPv4 header", "tcp4-web", "src 10.1.2.3", Ethernet + 20),
        new("a port needs both ports", "tcp4-web", "tcp dst 80", Ethernet + 20 + 4),
        new("a source port too", "tcp4-web", "tcp src 50000", Ethernet + 20 + 4),

        // One tag: 4 more bytes before the EtherType.
        new("vlan needs the TCI", "vlan100-udp4", "vlan 100", Ethernet + 2),
        new("a tagged frame's family needs the inner EtherType", "vlan100-udp4", "ip", Ethernet + 4),
        new("udp behind a tag", "vlan100-udp4", "udp", Ethernet + 4 + 20),
        new("udp port behind a tag", "vlan100-udp4", "vlan 100 udp dst 53", Ethernet + 4 + 20 + 4),

        // Two tags.
        new("QinQ: the outer VID", "qinq20-100-tcp4", "vlan 20", Ethernet + 2),
        new("QinQ: tcp port behind both tags", "qinq20-100-tcp4", "tcp dst 22", Ethernet + 8 + 20 + 4),

        // IPv6: a 40-byte header.
        new("ip6 needs the EtherType", "tcp6-https", "ip6", Ethernet),
        new("tcp needs the whole IPv6 header", "tcp6-https", "tcp", Ethernet + 40),
        new("an IPv6 address needs the whole header", "tcp6-https", "dst 2001:db8:1::/48", Ethernet + 40),
        new("an IPv6 port", "tcp6-https", "tcp dst 443", Ethernet + 40 + 4),
        new("arp needs the EtherType", "arp", "arp", Ethernet),
    };

    [Theory]
    [MemberData(nameof(Truncations))]
    public void Term_matches_only_once_its_bytes_are_there(TruncationCase row)
    {
        var frame = FilterFrames.All[row.Frame];
        var rule = RuleParser.Parse(row.Rule);

        for (var length = 0; length <= frame.Length; length++)
        {
            Assert.True(rule.Matches(frame.AsSpan(0, length)) == length >= row.NeedsBytes, $"'{row.Rule}' on {length} of {frame.Length} bytes");
        }
    }

    [Fact]
    public void IPv4_options_are_skipped_by_IHL()
    {
        var frame = FilterFrames.WithIpv4Options(FilterFrames.Udp4Dns(), [0x01, 0x01, 0x01, 0x00]);

        Assert.Equal(0x46, frame[Ethernet]);
        Assert.True(RuleParser.Parse("udp src 40000 dst 53 src 10.1.2.3 dst 192.0.2.53").Matches(frame));
        Assert.False(RuleParser.Parse("udp dst 53").Matches(frame.AsSpan(0, Ethernet + 24 + 3)));
        Assert.True(RuleParser.Parse("udp dst 53").Matches(frame.AsSpan(0, Ethernet + 24 + 4)));
    }

    [Fact]
    public void IPv4_fragment_after_the_first_has_a_protocol_but_no_ports()
    {
        var later = FilterFrames.Udp4Dns();
        BinaryPrimitives.WriteUInt16BigEndian(later.AsSpan(Ethernet + 6), 0x2000 | 185); // MF, offset 185 * 8
        FilterFrames.WithIpv4Checksum(later);
        var first = FilterFrames.Udp4Dns();
        BinaryPrimitives.WriteUInt16BigEndian(first.AsSpan(Ethernet + 6), 0x2000); // MF, offset 0
        FilterFrames.WithIpv4Checksum(first);

        Assert.True(RuleParser.Parse("udp src 10.1.2.3").Matches(later));
        Assert.False(RuleParser.Parse("udp dst 53").Matches(later));
        Assert.False(RuleParser.Parse("dst port 0-65535").Matches(later));
        Assert.True(RuleParser.Parse("udp dst 53").Matches(first));
    }

    [Theory]
    [InlineData("version 5", 0x55)]
    [InlineData("IHL 4, shorter than a header", 0x44)]
    [InlineData("IHL 15, longer than the frame", 0x4F)]
    public void Bad_IPv4_header_matches_ip_but_no_term_that_reads_it(string why, byte versionAndIhl)
    {
        var frame = FilterFrames.Udp4Dns();
        frame[Ethernet] = versionAndIhl;

        Assert.True(RuleParser.Parse("ip").Matches(frame), why);
        Assert.False(RuleParser.Parse("udp").Matches(frame), why);
        Assert.False(RuleParser.Parse("src 10.1.2.3").Matches(frame), why);
        Assert.False(RuleParser.Parse("dst port 53").Matches(frame), why);
    }

    [Fact]
    public void Bad_IPv6_version_matches_ip6_but_no_term_that_reads_the_header()
    {
        var frame = FilterFrames.All["tcp6-https"].ToArray();
        frame[Ethernet] = 0x40;

        Assert.True(RuleParser.Parse("ip6").Matches(frame));
        Assert.False(RuleParser.Parse("tcp").Matches(frame));
        Assert.False(RuleParser.Parse("src ::/0").Matches(frame));
    }

    [Fact]
    public void IPv6_extension_header_is_not_followed()
    {
        // Next header 0 (hop-by-hop options): the protocol the rules see is 0, not the TCP behind it.
        var frame = FilterFrames.WithNextHeader(FilterFrames.All["tcp6-https"].ToArray(), 0);

        Assert.True(RuleParser.Parse("ip6 src 2001:db8::1 dst 2001:db8:1::80").Matches(frame));
        Assert.False(RuleParser.Parse("tcp").Matches(frame));
        Assert.False(RuleParser.Parse("dst port 443").Matches(frame));
    }

    [Fact]
    public void Every_tag_is_skipped_and_the_first_VID_kept()
    {
        var frame = new PacketBuilder().Ethernet().Vlan(1, tpid: 0x88a8).Vlan(2).Vlan(3).Ipv4().Udp(1, 53).Build();

        Assert.True(RuleParser.Parse("vlan 1 udp dst 53 src 10.0.0.1").Matches(frame));
        Assert.False(RuleParser.Parse("vlan 2").Matches(frame));
        Assert.False(RuleParser.Parse("vlan 3").Matches(frame));
    }

    [Fact]
    public void Tag_without_its_TCI_is_not_a_VLAN()
    {
        var frame = FilterFrames.All["vlan100-udp4"];

        Assert.False(RuleParser.Parse("vlan").Matches(frame.AsSpan(0, Ethernet + 1)));
        Assert.True(RuleParser.Parse("any").Matches(frame.AsSpan(0, Ethernet + 1)));
        Assert.True(RuleParser.Parse("vlan").Matches(frame.AsSpan(0, Ethernet + 2)));
    }

    [Fact]
    public void VID_is_the_low_12_bits_of_the_TCI()
    {
        var frame = new PacketBuilder().Ethernet().Vlan(4095, pcp: 7).Ipv4().Udp(1, 2).Build();

        Assert.True(RuleParser.Parse("vlan 4095").Matches(frame));
        Assert.True(RuleParser.Parse("vlan 0").Matches(new PacketBuilder().Ethernet().Vlan(0, pcp: 5).Ipv4().Build()));
    }

    [Fact]
    public void Damaged_and_random_frames_never_throw()
    {
        var matcher = new RuleMatcher(["vlan 7 tcp dst 80", "ip6 src 2001:db8::/32 udp src 1-2", "icmp", "arp", "ip dst 10.0.0.0/8 dst port 53", "icmp6"]);
        var random = new Random(1234);
        var hits = 0;
        foreach (var original in FilterFrames.All.Values)
        {
            for (var n = 0; n < 500; n++)
            {
                var frame = original.ToArray();
                for (var k = random.Next(1, 4); k > 0; k--)
                {
                    frame[random.Next(frame.Length)] = (byte)random.Next(256);
                }

                hits += matcher.FirstMatch(frame.AsSpan(0, random.Next(frame.Length + 1))) >= 0 ? 1 : 0;
            }
        }

        for (var n = 0; n < 2000; n++)
        {
            var frame = new byte[random.Next(80)];
            random.NextBytes(frame);
            if (frame.Length >= 14)
            {
                // A tag or IPv6 EtherType's first byte, so the random bytes reach past the Ethernet header.
                frame[12] = n % 2 == 0 ? (byte)0x81 : (byte)0x86;
            }

            hits += matcher.FirstMatch(frame) >= 0 ? 1 : 0;
        }

        Assert.InRange(hits, 1, int.MaxValue);
    }

    /// <summary>A frame of the catalogue, a rule it matches, and the fewest bytes of it the rule needs.</summary>
    public sealed record TruncationCase(string Name, string Frame, string Rule, int NeedsBytes)
    {
        public override string ToString() => Name;
    }
}
