using System.Runtime.CompilerServices;

namespace Stages.Filter.Rules;

/// <summary>
/// One rule of the filter language (<c>docs/rules.md</c>), such as <c>udp dst 53</c>: a conjunction of terms,
/// parsed once by <see cref="RuleParser"/> into a few compares. The default value matches every packet, as <c>any</c>.
/// </summary>
public readonly struct Rule
{
    // _vid values besides a VLAN id: no vlan term, and 'vlan' alone (any tagged packet).
    internal const int NoVlan = -1;
    internal const int AnyVlan = -2;

    private readonly string? _text;
    private readonly PacketLayers _needs;
    private readonly RuleFamily _family;
    private readonly bool _checksProtocol;
    private readonly byte _protocol;
    private readonly byte _otherProtocol;
    private readonly bool _checksVid;
    private readonly ushort _vid;
    private readonly AddressPrefix _source;
    private readonly AddressPrefix _destination;
    private readonly PortRange _sourcePorts;
    private readonly PortRange _destinationPorts;

    // protocols: null for any, else one or two IP protocol numbers; vid: -1 for none, -2 for any tagged packet.
    internal Rule(
        string text, RuleFamily family, (byte First, byte Second)? protocols, int vid,
        AddressPrefix? source, AddressPrefix? destination, PortRange? sourcePorts, PortRange? destinationPorts)
    {
        _text = text;
        _family = family;
        _checksProtocol = protocols is not null;
        (_protocol, _otherProtocol) = protocols ?? default;
        _checksVid = vid >= 0;
        _vid = (ushort)Math.Max(vid, 0);
        _source = source ?? default;
        _destination = destination ?? default;
        _sourcePorts = sourcePorts ?? PortRange.All;
        _destinationPorts = destinationPorts ?? PortRange.All;

        // What the packet must have before any value is compared: a term never matches bytes that are missing.
        var needs = PacketLayers.None;
        if (vid != NoVlan)
        {
            needs |= PacketLayers.Tagged;
        }

        if (_checksProtocol || source is not null || destination is not null)
        {
            needs |= PacketLayers.IpHeader;
        }

        if (sourcePorts is not null || destinationPorts is not null)
        {
            needs |= PacketLayers.IpHeader | PacketLayers.Ports;
        }

        _needs = needs;
    }

    /// <summary>The rule as written.</summary>
    public string Text => _text ?? "any";

    /// <summary>Whether the Ethernet frame <paramref name="frame"/> matches every term of the rule.</summary>
    public bool Matches(ReadOnlySpan<byte> frame)
    {
        PacketFields.Read(frame, out var fields);
        return Matches(in fields);
    }

    /// <inheritdoc/>
    public override string ToString() => Text;

    // Cheapest and most selective compares first: presence bits, family, VLAN, protocol, ports, then the 128-bit prefixes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool Matches(in PacketFields fields)
    {
        var layers = fields.Layers;
        return (layers & _needs) == _needs
            && (_family == RuleFamily.Any || (layers & (PacketLayers)_family) != 0)
            && (!_checksVid || fields.Vid == _vid)
            && (!_checksProtocol || fields.Protocol == _protocol || fields.Protocol == _otherProtocol)
            && ((_needs & PacketLayers.Ports) == 0
                || (_destinationPorts.Contains(fields.DestinationPort) && _sourcePorts.Contains(fields.SourcePort)))
            && _destination.Matches(fields.Destination)
            && _source.Matches(fields.Source);
    }
}
