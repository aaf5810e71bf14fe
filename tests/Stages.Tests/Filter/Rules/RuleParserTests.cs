using Stages.Filter.Rules;

namespace Stages.Tests.Filter.Rules;

public sealed class RuleParserTests
{
    private static readonly string[] Ipv4 = ["udp4-dns", "tcp4-web", "tcp4-high", "icmp4", "vlan100-udp4", "qinq20-100-tcp4"];
    private static readonly string[] Ipv6 = ["tcp6-https", "udp6-dns", "icmp6"];

    public static TheoryData<RuleCase> ValidRules => new()
    {
        new("any", "any", [.. FilterFrames.All.Keys]),
        new("ip", "ip", Ipv4),
        new("ip6", "ip6", Ipv6),
        new("arp", "arp", ["arp"]),
        new("tcp over IPv4 and IPv6, tagged or not", "tcp", ["tcp4-web", "tcp4-high", "tcp6-https", "qinq20-100-tcp4"]),
        new("udp over IPv4 and IPv6", "udp", ["udp4-dns", "udp6-dns", "vlan100-udp4"]),
        new("icmp is ICMPv4 only", "icmp", ["icmp4"]),
        new("icmp6", "icmp6", ["icmp6"]),
        new("udp dst port, short form", "udp dst 53", ["udp4-dns", "udp6-dns", "vlan100-udp4"]),
        new("udp dst port, with 'port'", "udp dst port 53", ["udp4-dns", "udp6-dns", "vlan100-udp4"]),
        new("tcp dst 80", "tcp dst 80", ["tcp4-web"]),
        new("tcp src 80 is not dst 80", "tcp src 80", ["tcp4-high"]),
        new("source port range", "tcp src 1024-65535", ["tcp4-web", "tcp6-https"]),
        new("well-known destination ports", "tcp dst 0-1023", ["tcp4-web", "tcp6-https", "qinq20-100-tcp4"]),
        new("a port without a protocol is tcp or udp", "dst port 53", ["udp4-dns", "udp6-dns", "vlan100-udp4"]),
        new("src port without a protocol", "src port 80", ["tcp4-high"]),
        new("IPv4 source prefix", "ip src 10.0.0.0/8", ["udp4-dns", "tcp4-web", "icmp4", "vlan100-udp4"]),
        new("an address implies its family", "src 10.1.2.3", ["udp4-dns", "tcp4-web", "icmp4", "vlan100-udp4"]),
        new("IPv4 destination prefix", "ip dst 10.0.0.0/8", ["tcp4-high", "qinq20-100-tcp4"]),
        new("/24", "dst 192.0.2.0/24", ["udp4-dns", "icmp4", "vlan100-udp4"]),
        new("IPv4 /0 is every IPv4 packet", "src 0.0.0.0/0", Ipv4),
        new("IPv6 destination prefix", "ip6 dst 2001:db8::/32", ["tcp6-https", "udp6-dns"]),
        new("IPv6 host", "src 2001:db8::1", ["tcp6-https"]),
        new("IPv6 multicast /8", "dst ff00::/8", ["icmp6"]),
        new("IPv6 /0 is every IPv6 packet", "src ::/0", Ipv6),
        new("vlan alone: any tagged packet", "vlan", ["vlan100-udp4", "qinq20-100-tcp4"]),
        new("vlan N is the outermost tag", "vlan 100", ["vlan100-udp4"]),
        new("QinQ outer tag", "vlan 20", ["qinq20-100-tcp4"]),
        new("vlan with udp dst", "vlan 100 udp dst 53", ["vlan100-udp4"]),
        new("every kind of term", "vlan 20 tcp dst 22 src 192.168.0.0/16", ["qinq20-100-tcp4"]),
        new("addresses and ports both ways", "udp src 10.1.2.3 dst 192.0.2.53 src port 40000 dst port 53", ["udp4-dns", "vlan100-udp4"]),
        new("the port may come before the protocol", "dst 53 udp", ["udp4-dns", "udp6-dns", "vlan100-udp4"]),
        new("keywords in capitals", "TCP DST 80", ["tcp4-web"]),
        new("extra spaces", "  udp   dst\t53 ", ["udp4-dns", "udp6-dns", "vlan100-udp4"]),
        new("a port nothing uses", "udp dst 54", []),
        new("a single-port range", "tcp dst 80-80", ["tcp4-web"]),
        new("port 0 and 65535 are ports", "tcp dst 0-65535", ["tcp4-web", "tcp4-high", "tcp6-https", "qinq20-100-tcp4"]),
    };

    [Theory]
    [MemberData(nameof(ValidRules))]
    public void Valid_rule_matches_exactly_its_frames(RuleCase row)
    {
        var rule = RuleParser.Parse(row.Rule);

        Assert.Equal(row.Rule, rule.Text);
        foreach (var (name, frame) in FilterFrames.All)
        {
            Assert.True(row.Matches.Contains(name) == rule.Matches(frame), $"'{row.Rule}' on {name}: expected {(row.Matches.Contains(name) ? "a match" : "no match")}");
        }
    }

    public static TheoryData<string, string> InvalidRules => new()
    {
        { "udp dst 99999", "port 99999 is out of range (0-65535)" },
        { "tcp src 1024-70000", "port 70000 is out of range (0-65535)" },
        { "tcp dst 123456789012345678901234567890", "port 123456789012345678901234567890 is out of range (0-65535)" },
        { "", "a rule needs at least one term (write 'any' to match every packet)" },
        { "   ", "a rule needs at least one term (write 'any' to match every packet)" },
        { "tcp dts 80", "unknown word 'dts' (terms: any, ip, ip6, tcp, udp, icmp, icmp6, arp, src, dst, vlan)" },
        { "port 80", "'port' goes after 'src' or 'dst' (as in 'dst port 80')" },
        { "tcp dst", "'dst' needs an address or a port after it" },
        { "udp src port", "'src port' needs a port or a range (N or N-M) after it" },
        { "udp src port http", "'http' is not a port or a port range (N or N-M)" },
        { "tcp dst 2000-1000", "port range 2000-1000 is empty (2000 > 1000)" },
        { "tcp dst 80-", "'80-' is not a port or a port range (N or N-M)" },
        { "tcp dst 1-2-3", "'1-2-3' is not a port or a port range (N or N-M)" },
        { "dst 53", "'dst 53' needs 'tcp' or 'udp' in the rule (or write the port as 'dst port 53')" },
        { "ip src 10.0.0.0/33", "prefix length 33 is out of range for IPv4 (0-32)" },
        { "ip6 src 2001:db8::/129", "prefix length 129 is out of range for IPv6 (0-128)" },
        { "src 10.0.0.0/x", "'10.0.0.0/x' has a bad prefix length 'x' (0-32)" },
        { "src 10.0.0.0/", "'10.0.0.0/' has a bad prefix length '' (0-32)" },
        { "ip src 10.1.2.3/8", "'10.1.2.3/8' has bits set past its /8 (the network is 10.0.0.0/8)" },
        { "ip6 dst 2001:db8::1/32", "'2001:db8::1/32' has bits set past its /32 (the network is 2001:db8::/32)" },
        { "ip src 10.0.0.256", "'10.0.0.256' is not an address (IPv4 or IPv6, with an optional /LEN) or a port" },
        { "ip src 10.1", "'10.1' is not an address (IPv4 or IPv6, with an optional /LEN) or a port" },
        { "src host", "'host' is not an address (IPv4 or IPv6, with an optional /LEN) or a port" },
        { "ip6 src fe80::1%eth0", "'fe80::1%eth0' is not an address (IPv4 or IPv6, with an optional /LEN) or a port" },
        { "ip6 src 10.0.0.0/8", "'src 10.0.0.0/8' contradicts 'ip6'" },
        { "ip src 2001:db8::1", "'src 2001:db8::1' contradicts 'ip'" },
        { "src 10.0.0.1 dst 2001:db8::1", "'dst 2001:db8::1' contradicts 'src 10.0.0.1'" },
        { "tcp udp", "'udp' contradicts 'tcp'" },
        { "ip ip6", "'ip6' contradicts 'ip'" },
        { "ip tcp ip6", "'ip6' contradicts 'ip'" },
        { "arp tcp", "'tcp' contradicts 'arp'" },
        { "icmp dst port 80", "'dst port 80' contradicts 'icmp'" },
        { "ip6 icmp", "'icmp' contradicts 'ip6'" },
        { "icmp6 icmp", "'icmp' contradicts 'icmp6'" },
        { "arp src 10.0.0.1", "'src 10.0.0.1' contradicts 'arp'" },
        { "arp dst port 80", "'dst port 80' contradicts 'arp'" },
        { "vlan 5000", "vlan 5000 is out of range (0-4095)" },
        { "vlan 99999999999", "vlan 99999999999 is out of range (0-4095)" },
        { "vlan 1x", "'1x' is not a VLAN id (0-4095)" },
        { "vlan 1 vlan 2", "two vlan terms ('vlan 1' and 'vlan 2'); a rule has one" },
        { "src 10.0.0.0/8 src 10.1.0.0/16", "two source addresses ('src 10.0.0.0/8' and 'src 10.1.0.0/16'); a rule has one" },
        { "dst ::1 dst ::2", "two destination addresses ('dst ::1' and 'dst ::2'); a rule has one" },
        { "tcp dst 80 dst port 443", "two destination ports ('dst 80' and 'dst port 443'); a rule has one" },
        { "udp src 1 src 2", "two source ports ('src 1' and 'src 2'); a rule has one" },
        { "any tcp", "'any' matches every packet and takes no other terms" },
        { "any any", "'any' matches every packet and takes no other terms" },
    };

    [Theory]
    [MemberData(nameof(InvalidRules))]
    public void Invalid_rule_throws_naming_the_rule_and_the_word(string rule, string message)
    {
        var ex = Assert.Throws<ArgumentException>(() => RuleParser.Parse(rule));

        Assert.Equal($"rule '{rule}': {message}", ex.Message);
    }

    [Theory]
    [InlineData("arp")]
    [InlineData("tcp src 1024-65535")]
    [InlineData("dst port 0-1023")]
    [InlineData("ip6 dst 2001:db8::/32")]
    [InlineData("src 192.0.2.7")]
    [InlineData("icmp6 dst ff02::/16")]
    [InlineData("vlan 100 udp dst 5060")]
    [InlineData("tcp src 10.1.0.0/16 dst 10.2.0.0/16 dst 22")]
    [InlineData("ip6 src ::ffff:10.0.0.0/104")]
    [InlineData("ip src 0.0.0.0/0")]
    [InlineData("ip6 dst ::/0")]
    [InlineData("ip src 255.255.255.255/32")]
    public void Documented_example_parses(string rule)
    {
        Assert.Equal(rule, RuleParser.Parse(rule).ToString());
    }

    [Fact]
    public void Matcher_returns_the_first_rule_that_matches_or_minus_one()
    {
        var matcher = new RuleMatcher(["tcp dst 22", "udp", "ip src 10.0.0.0/8", "any"]);
        var none = new RuleMatcher(["arp", "icmp"]);

        Assert.Equal(4, matcher.Count);
        Assert.Equal("udp", matcher[1].Text);
        Assert.Equal(1, matcher.FirstMatch(FilterFrames.All["udp4-dns"]));
        Assert.Equal(2, matcher.FirstMatch(FilterFrames.All["tcp4-web"]));
        Assert.Equal(0, matcher.FirstMatch(FilterFrames.All["qinq20-100-tcp4"]));
        Assert.Equal(3, matcher.FirstMatch(FilterFrames.All["raw"]));
        Assert.Equal(-1, none.FirstMatch(FilterFrames.All["udp4-dns"]));
        Assert.Equal(0, none.FirstMatch(FilterFrames.All["arp"]));
    }

    [Fact]
    public void Matcher_names_the_first_bad_rule()
    {
        var ex = Assert.Throws<ArgumentException>(() => new RuleMatcher(["udp", "tcp dst 70000", "vlan 9999"]));

        Assert.Equal("rule 'tcp dst 70000': port 70000 is out of range (0-65535)", ex.Message);
    }

    [Fact]
    public void Default_rule_is_any()
    {
        var rule = default(Rule);

        Assert.Equal("any", rule.Text);
        foreach (var frame in FilterFrames.All.Values)
        {
            Assert.True(rule.Matches(frame));
        }
    }

    /// <summary>One valid rule and the names of the catalogue frames it must match (it must match no other).</summary>
    public sealed record RuleCase(string Name, string Rule, string[] Matches)
    {
        public override string ToString() => Name;
    }
}
