using System.Collections.ObjectModel;
using System.Text;
using Pipeline.Stages;

namespace Stages.Filter;

/// <summary>
/// The rules of <see cref="Classify"/>: YAML key <c>rules</c>, a list of <c>{match, gate}</c>. The stage's gates are
/// <c>out</c> (packets no rule matches) and every rule's gate, in order of first use.
/// </summary>
public sealed record ClassifyOptions : IStageGates
{
    /// <summary>The rules, checked in order: the first that matches picks the packet's gate.</summary>
    public required IReadOnlyList<ClassifyRule> Rules
    {
        get;
        init
        {
            ArgumentNullException.ThrowIfNull(value, "rules");
            var copy = new ClassifyRule[value.Count];
            for (var i = 0; i < copy.Length; i++)
            {
                copy[i] = value[i] ?? throw new ArgumentException($"rule {i} is empty: write {{match: RULE, gate: NAME}}");
            }

            field = Array.AsReadOnly(copy);
        }
    }

    /// <summary><c>out</c>, then each rule's gate once, in the order the rules name them.</summary>
    IReadOnlyList<string> IStageGates.Gates
    {
        get
        {
            // Rules is null only in an instance made by reflection without its required key.
            var rules = Rules ?? [];
            var gates = new List<string>(rules.Count + 1) { Classify.DefaultGate };
            foreach (var rule in rules)
            {
                if (!gates.Contains(rule.Gate))
                {
                    gates.Add(rule.Gate);
                }
            }

            return new ReadOnlyCollection<string>(gates);
        }
    }

    /// <summary>Equal when both hold the same rules in the same order.</summary>
    public bool Equals(ClassifyOptions? other) => other is not null && RuleList.SequenceEqual(Rules, other.Rules);

    /// <inheritdoc/>
    public override int GetHashCode() => RuleList.HashOf(Rules);

    // The rules themselves in ToString, not the list type's name.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Rules = [").AppendJoin(", ", Rules ?? []).Append(']');
        return true;
    }
}
