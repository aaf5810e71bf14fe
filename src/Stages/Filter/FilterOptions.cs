using System.Text;

namespace Stages.Filter;

/// <summary>
/// The rules of <see cref="Filter"/>: YAML keys <c>allow</c> and <c>deny</c>, each a list of rules in the filter
/// language (<c>docs/rules.md</c>).
/// </summary>
/// <remarks>Every rule is parsed when it is set, so a bad one is reported at its YAML key, naming the rule and the word.</remarks>
public sealed record FilterOptions
{
    /// <summary>Rules that let a packet through; when there are any, a packet no rule matches is denied. <b>Default:</b> none.</summary>
    public IReadOnlyList<string> Allow
    {
        get;
        init => field = RuleList.Checked(value, "allow");
    } = [];

    /// <summary>Rules that deny a packet; they are checked before the allow rules. <b>Default:</b> none.</summary>
    public IReadOnlyList<string> Deny
    {
        get;
        init => field = RuleList.Checked(value, "deny");
    } = [];

    /// <summary>Equal when both lists hold the same rules in the same order.</summary>
    public bool Equals(FilterOptions? other) =>
        other is not null && RuleList.SequenceEqual(Allow, other.Allow) && RuleList.SequenceEqual(Deny, other.Deny);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(RuleList.HashOf(Allow), RuleList.HashOf(Deny));

    // The rules themselves in ToString, not the list type's name.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Allow = [").AppendJoin(", ", Allow).Append("], Deny = [").AppendJoin(", ", Deny).Append(']');
        return true;
    }
}
