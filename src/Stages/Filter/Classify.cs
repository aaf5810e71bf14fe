using System.Runtime.CompilerServices;
using Pipeline.Runtime;
using Pipeline.Stages;
using Stages.Ethernet;
using Stages.Filter.Rules;

namespace Stages.Filter;

/// <summary>
/// Sends each packet to the gate of the first rule it matches (rules in the filter language, <c>docs/rules.md</c>),
/// as Click's <c>Classifier</c>/<c>IPClassifier</c>; a packet no rule matches leaves by <c>out</c>. Packets are not
/// changed.
/// </summary>
/// <remarks>
/// Gates: <c>out</c> and each rule's gate (from the options: several rules may share one, and a rule may name
/// <c>out</c>). A gate no pipe connects drops its packets as <c>unconnected</c>. Drops: a frame shorter than an
/// Ethernet header (<c>malformed</c>). A multi-slot (MOREFRAG) packet is classified by its first slot.
/// </remarks>
/// <example><code>
/// stages:
///   split:
///     type: classify
///     rules:
///       - { match: "udp dst 53", gate: dns }
///       - { match: "tcp dst 80", gate: web }
///       - { match: "tcp dst 443", gate: web }
///       - { match: "vlan 100", gate: voice }
/// pipes:
///   - wan -> split -> rest
///   - split.dns -> resolver
///   - split.web -> proxy
///   - split.voice -> drop
/// </code></example>
/// <seealso cref="Filter"/>
/// <seealso cref="ClassifyOptions"/>
/// <seealso cref="RuleParser"/>
[Stage("classify", Gates = [DefaultGate, "<each rule's gate>"], Summary = "Sends each packet to the gate of the first rule it matches; others to 'out'")]
public sealed class Classify : IPacketStage
{
    /// <summary>The gate of packets no rule matches.</summary>
    public const string DefaultGate = "out";

    private readonly RuleMatcher _rules;
    private readonly string[] _gateNames;
    private readonly GateId[] _gates;
    private StageContext? _gatesOf;

    /// <summary>A classifier with the rules <paramref name="options"/> lists.</summary>
    public Classify(ClassifyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var count = options.Rules.Count;
        var matches = new string[count];
        _gateNames = new string[count];
        for (var i = 0; i < count; i++)
        {
            matches[i] = options.Rules[i].Match;
            _gateNames[i] = options.Rules[i].Gate;
        }

        _rules = new RuleMatcher(matches);
        _gates = new GateId[count];
    }

    /// <inheritdoc/>
    public void OnBatch(PacketBatch batch, StageContext context)
    {
        // The rules' gates are looked up by name once per context, not per batch.
        if (!ReferenceEquals(context, _gatesOf))
        {
            ResolveGates(context);
        }

        var gates = _gates;
        var view = batch.Open();
        var slots = view.Slots;
        for (var i = 0; i < slots.Length; i++)
        {
            if (BatchView.IsContinuation(slots, i))
            {
                continue; // a multi-slot packet's headers and verdict are in its first slot
            }

            var packet = view[i];
            if (packet.Length < EthernetFields.HeaderLength)
            {
                context.Drop(i, DropReason.Malformed);
                continue;
            }

            PacketFields.Read(packet.Data, out var fields);
            var match = _rules.FirstMatch(in fields);
            if (match >= 0)
            {
                context.Next(i, gates[match]);
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ResolveGates(StageContext context)
    {
        for (var i = 0; i < _gates.Length; i++)
        {
            _gates[i] = context.Gate(_gateNames[i]);
        }

        _gatesOf = context;
    }
}
