using Pipeline.Runtime;
using Pipeline.Stages;
using Stages.Ethernet;
using Stages.Filter.Rules;

namespace Stages.Filter;

/// <summary>
/// Lets packets through or denies them by rules of the filter language (<c>docs/rules.md</c>), as Click's
/// <c>IPFilter</c>: the <c>deny</c> rules are checked first, then the <c>allow</c> rules, and the first rule that
/// matches decides. A packet no rule matches is denied when there are allow rules (default deny) and passes when
/// there are none (default allow). Packets are not changed.
/// </summary>
/// <remarks>
/// Gates: <c>out</c> (allowed packets); <c>deny</c> (denied packets), used only when a pipe connects it: otherwise
/// denied packets are dropped (<c>denied</c>). Drops: a frame shorter than an Ethernet header (<c>malformed</c>).
/// A multi-slot (MOREFRAG) packet is judged by its first slot, where its headers are.
/// </remarks>
/// <example><code>
/// stages:
///   fw:
///     type: filter
///     deny: ["ip src 10.66.0.0/16"]
///     allow: ["udp dst 53", "tcp dst 80", "tcp dst 443", "arp"]
/// pipes:
///   - wan -> fw -> lan
///   - fw.deny -> rejected
/// </code></example>
/// <seealso cref="Classify"/>
/// <seealso cref="FilterOptions"/>
/// <seealso cref="RuleParser"/>
[Stage("filter", Gates = ["out", DenyGate], Summary = "Allows or denies packets by rules (deny rules first); denied packets leave by 'deny' if connected, else are dropped")]
public sealed class Filter : IPacketStage
{
    private const string DenyGate = "deny";

    // The deny rules, then the allow rules: one pass finds the first match of either kind.
    private readonly RuleMatcher _rules;
    private readonly int _denyRules;
    private readonly bool _defaultDeny;

    /// <summary>A filter with the rules <paramref name="options"/> lists.</summary>
    public Filter(FilterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var rules = new string[options.Deny.Count + options.Allow.Count];
        for (var i = 0; i < options.Deny.Count; i++)
        {
            rules[i] = options.Deny[i];
        }

        for (var i = 0; i < options.Allow.Count; i++)
        {
            rules[options.Deny.Count + i] = options.Allow[i];
        }

        _rules = new RuleMatcher(rules);
        _denyRules = options.Deny.Count;
        _defaultDeny = options.Allow.Count > 0;
    }

    /// <inheritdoc/>
    public void OnBatch(PacketBatch batch, StageContext context)
    {
        var deny = context.Gate(DenyGate);
        var divert = context.IsConnected(deny);
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
            var allowed = match < 0 ? !_defaultDeny : match >= _denyRules;
            if (allowed)
            {
                continue;
            }

            if (divert)
            {
                context.Next(i, deny);
            }
            else
            {
                context.Drop(i, DropReason.Denied);
            }
        }
    }
}
