using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Stages.Filter.Rules;

/// <summary>
/// Parses the filter rule language (<c>docs/rules.md</c>): space-separated terms, all of which must match, such as
/// <c>udp dst 53</c>, <c>ip src 10.0.0.0/8</c>, <c>tcp src 1024-65535</c>, <c>vlan 100</c>, <c>any</c>.
/// </summary>
/// <remarks>
/// A bad rule is an <see cref="ArgumentException"/> whose message names the rule and the word, such as
/// <c>rule 'udp dst 99999': port 99999 is out of range (0-65535)</c>. Parsing allocates; matching does not.
/// </remarks>
public static class RuleParser
{
    private const string Terms = "any, ip, ip6, tcp, udp, icmp, icmp6, arp, src, dst, vlan";

    /// <summary>Parses <paramref name="text"/> into a <see cref="Rule"/>.</summary>
    /// <exception cref="ArgumentException">The rule is empty, has an unknown word, a bad value, or terms that contradict each other.</exception>
    public static Rule Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new State(text).Parse();
    }

    // What a packet may be, per dimension, as sets: each term narrows them; an empty set is a contradiction.
    [Flags]
    private enum Families
    {
        Ipv4 = 1,
        Ipv6 = 2,
        Arp = 4,
        Other = 8,
        Ip = Ipv4 | Ipv6,
        All = Ipv4 | Ipv6 | Arp | Other,
    }

    [Flags]
    private enum Protocols
    {
        Tcp = 1,
        Udp = 2,
        Icmp = 4,
        Icmp6 = 8,
        Other = 16,
        TcpOrUdp = Tcp | Udp,
        All = Tcp | Udp | Icmp | Icmp6 | Other,
    }

    private sealed class State(string text)
    {
        private readonly string[] _words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        private int _next;

        private Families _families = Families.All;
        private string? _familiesTerm;
        private Protocols _protocols = Protocols.All;
        private string? _protocolsTerm;
        private bool _namedTcpOrUdp;
        private string? _barePortTerm;
        private string? _anyTerm;

        private int _vid = Rule.NoVlan;
        private string? _vlanTerm;
        private AddressPrefix? _source;
        private string? _sourceTerm;
        private AddressPrefix? _destination;
        private string? _destinationTerm;
        private PortRange? _sourcePorts;
        private string? _sourcePortsTerm;
        private PortRange? _destinationPorts;
        private string? _destinationPortsTerm;

        public Rule Parse()
        {
            if (_words.Length == 0)
            {
                throw Bad("a rule needs at least one term (write 'any' to match every packet)");
            }

            while (_next < _words.Length)
            {
                var word = _words[_next++];
                switch (word.ToLowerInvariant())
                {
                    case "any":
                        _anyTerm = word;
                        break;
                    case "ip":
                        Narrow(word, Families.Ipv4, Protocols.All);
                        break;
                    case "ip6":
                        Narrow(word, Families.Ipv6, Protocols.All);
                        break;
                    case "arp":
                        Narrow(word, Families.Arp, Protocols.All);
                        break;
                    case "tcp":
                        Narrow(word, Families.Ip, Protocols.Tcp);
                        _namedTcpOrUdp = true;
                        break;
                    case "udp":
                        Narrow(word, Families.Ip, Protocols.Udp);
                        _namedTcpOrUdp = true;
                        break;
                    case "icmp":
                        Narrow(word, Families.Ipv4, Protocols.Icmp);
                        break;
                    case "icmp6":
                        Narrow(word, Families.Ipv6, Protocols.Icmp6);
                        break;
                    case "src":
                        Endpoint(word, source: true);
                        break;
                    case "dst":
                        Endpoint(word, source: false);
                        break;
                    case "vlan":
                        Vlan(word);
                        break;
                    case "port":
                        throw Bad($"'{word}' goes after 'src' or 'dst' (as in 'dst port 80')");
                    default:
                        throw Bad($"unknown word '{word}' (terms: {Terms})");
                }
            }

            if (_anyTerm is not null && _words.Length > 1)
            {
                throw Bad($"'{_anyTerm}' matches every packet and takes no other terms");
            }

            if (_barePortTerm is not null && !_namedTcpOrUdp)
            {
                throw Bad($"'{_barePortTerm}' needs 'tcp' or 'udp' in the rule (or write the port as '{PortKeywordForm(_barePortTerm)}')");
            }

            return new Rule(text, FamilyOf(_families), ProtocolsOf(_protocols), _vid, _source, _destination, _sourcePorts, _destinationPorts);
        }

        // 'src'/'dst' then ADDR[/LEN], 'port' N[-M], or (in a tcp/udp rule) N[-M].
        private void Endpoint(string keyword, bool source)
        {
            if (_next == _words.Length)
            {
                throw Bad($"'{keyword}' needs an address or a port after it");
            }

            var value = _words[_next++];
            if (value.Equals("port", StringComparison.OrdinalIgnoreCase))
            {
                if (_next == _words.Length)
                {
                    throw Bad($"'{keyword} {value}' needs a port or a range (N or N-M) after it");
                }

                var ports = _words[_next++];
                SetPorts($"{keyword} {value} {ports}", source, ParsePorts(ports));
            }
            else if (char.IsAsciiDigit(value[0]) && !value.Contains('.', StringComparison.Ordinal) && !value.Contains(':', StringComparison.Ordinal))
            {
                var term = $"{keyword} {value}";
                SetPorts(term, source, ParsePorts(value));
                _barePortTerm ??= term;
            }
            else
            {
                var term = $"{keyword} {value}";
                var (family, prefix) = ParsePrefix(value);
                if (source)
                {
                    Once(ref _sourceTerm, term, "source addresses");
                    _source = prefix;
                }
                else
                {
                    Once(ref _destinationTerm, term, "destination addresses");
                    _destination = prefix;
                }

                Narrow(term, family, Protocols.All);
            }
        }

        private void SetPorts(string term, bool source, PortRange ports)
        {
            if (source)
            {
                Once(ref _sourcePortsTerm, term, "source ports");
                _sourcePorts = ports;
            }
            else
            {
                Once(ref _destinationPortsTerm, term, "destination ports");
                _destinationPorts = ports;
            }

            Narrow(term, Families.Ip, Protocols.TcpOrUdp);
        }

        // 'vlan' alone: any tagged packet; 'vlan N': the outermost tag's VID is N.
        private void Vlan(string keyword)
        {
            var term = keyword;
            var vid = Rule.AnyVlan;
            if (_next < _words.Length && char.IsAsciiDigit(_words[_next][0]))
            {
                var value = _words[_next++];
                term = $"{keyword} {value}";
                if (!IsDigits(value))
                {
                    throw Bad($"'{value}' is not a VLAN id (0-4095)");
                }

                if (value.Length > 4 || (vid = int.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture)) > 4095)
                {
                    throw Bad($"vlan {value} is out of range (0-4095)");
                }
            }

            Once(ref _vlanTerm, term, "vlan terms");
            _vid = vid;
        }

        // Intersects what the rule may match with what the term allows; nothing left is a contradiction.
        private void Narrow(string term, Families families, Protocols protocols)
        {
            var narrowedFamilies = _families & families;
            if (narrowedFamilies == 0)
            {
                throw Bad($"'{term}' contradicts '{_familiesTerm}'");
            }

            var narrowedProtocols = _protocols & protocols;
            if (narrowedProtocols == 0)
            {
                throw Bad($"'{term}' contradicts '{_protocolsTerm}'");
            }

            if (narrowedFamilies != _families)
            {
                _families = narrowedFamilies;
                _familiesTerm = term;
            }

            if (narrowedProtocols != _protocols)
            {
                _protocols = narrowedProtocols;
                _protocolsTerm = term;
            }
        }

        private void Once(ref string? first, string term, string what)
        {
            if (first is not null)
            {
                throw Bad($"two {what} ('{first}' and '{term}'); a rule has one");
            }

            first = term;
        }

        private PortRange ParsePorts(string value)
        {
            var dash = value.IndexOf('-', StringComparison.Ordinal);
            var low = dash < 0 ? value : value[..dash];
            var high = dash < 0 ? value : value[(dash + 1)..];
            if (!IsDigits(low) || !IsDigits(high))
            {
                throw Bad($"'{value}' is not a port or a port range (N or N-M)");
            }

            var first = Port(low);
            var last = Port(high);
            if (first > last)
            {
                throw Bad($"port range {value} is empty ({first} > {last})");
            }

            return new PortRange(first, last);
        }

        private ushort Port(string digits) =>
            digits.Length <= 5 && int.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture) is var port and <= ushort.MaxValue
                ? (ushort)port
                : throw Bad($"port {digits} is out of range (0-65535)");

        private (Families Family, AddressPrefix Prefix) ParsePrefix(string value)
        {
            var slash = value.IndexOf('/', StringComparison.Ordinal);
            var address = slash < 0 ? value : value[..slash];
            int bits;
            UInt128 number;
            Families family;
            if (TryParseIpv4(address, out var v4))
            {
                (bits, number, family) = (32, v4, Families.Ipv4);
            }
            else if (address.Contains(':', StringComparison.Ordinal) && !address.Contains('%', StringComparison.Ordinal)
                && IPAddress.TryParse(address, out var parsed) && parsed.AddressFamily == AddressFamily.InterNetworkV6)
            {
                Span<byte> bytes = stackalloc byte[16];
                parsed.TryWriteBytes(bytes, out _);
                (bits, number, family) = (128, System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(bytes), Families.Ipv6);
            }
            else
            {
                throw Bad($"'{value}' is not an address (IPv4 or IPv6, with an optional /LEN) or a port");
            }

            var length = bits;
            if (slash >= 0)
            {
                var lengthText = value[(slash + 1)..];
                var familyName = bits == 32 ? "IPv4" : "IPv6";
                if (!IsDigits(lengthText))
                {
                    throw Bad($"'{value}' has a bad prefix length '{lengthText}' (0-{bits})");
                }

                if (lengthText.Length > 3 || (length = int.Parse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture)) > bits)
                {
                    throw Bad($"prefix length {lengthText} is out of range for {familyName} (0-{bits})");
                }
            }

            // The mask over the address's own width (32 bits of IPv4 in the low bits).
            var width = bits == 32 ? (UInt128)uint.MaxValue : UInt128.MaxValue;
            var mask = length == 0 ? UInt128.Zero : (width << (bits - length)) & width;
            if ((number & ~mask) != 0)
            {
                throw Bad($"'{value}' has bits set past its /{length} (the network is {Format(number & mask, bits)}/{length})");
            }

            return (family, new AddressPrefix(number, mask));
        }

        // Dotted quad only: four decimal numbers of at most 3 digits, each 0-255 (IPAddress would also take '10.1').
        private static bool TryParseIpv4(string text, out uint address)
        {
            address = 0;
            var parts = text.Split('.');
            if (parts.Length != 4)
            {
                return false;
            }

            foreach (var part in parts)
            {
                if (part.Length is 0 or > 3 || !IsDigits(part))
                {
                    return false;
                }

                var octet = int.Parse(part, NumberStyles.None, CultureInfo.InvariantCulture);
                if (octet > 255)
                {
                    return false;
                }

                address = (address << 8) | (uint)octet;
            }

            return true;
        }

        private static string Format(UInt128 number, int bits)
        {
            Span<byte> bytes = stackalloc byte[16];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(bytes, number);
            return new IPAddress(bits == 32 ? bytes[12..] : bytes).ToString();
        }

        private static bool IsDigits(string text)
        {
            if (text.Length == 0)
            {
                return false;
            }

            foreach (var c in text)
            {
                if (!char.IsAsciiDigit(c))
                {
                    return false;
                }
            }

            return true;
        }

        private static string PortKeywordForm(string term)
        {
            var space = term.IndexOf(' ', StringComparison.Ordinal);
            return $"{term[..space]} port {term[(space + 1)..]}";
        }

        private static RuleFamily FamilyOf(Families families) => families switch
        {
            Families.Ipv4 => RuleFamily.Ipv4,
            Families.Ipv6 => RuleFamily.Ipv6,
            Families.Ip => RuleFamily.Ip,
            Families.Arp => RuleFamily.Arp,
            _ => RuleFamily.Any,
        };

        private static (byte, byte)? ProtocolsOf(Protocols protocols) => protocols switch
        {
            Protocols.Tcp => (HeaderFields.ProtocolTcp, HeaderFields.ProtocolTcp),
            Protocols.Udp => (HeaderFields.ProtocolUdp, HeaderFields.ProtocolUdp),
            Protocols.TcpOrUdp => (HeaderFields.ProtocolTcp, HeaderFields.ProtocolUdp),
            Protocols.Icmp => (HeaderFields.ProtocolIcmp, HeaderFields.ProtocolIcmp),
            Protocols.Icmp6 => (HeaderFields.ProtocolIcmp6, HeaderFields.ProtocolIcmp6),
            _ => null,
        };

        private ArgumentException Bad(string message) => new($"rule '{text}': {message}");
    }
}
