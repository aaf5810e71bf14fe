using Stages.Filter.Rules;

namespace Stages.Filter;

/// <summary>One rule of <see cref="Classify"/>: YAML keys <c>match</c> (a rule, <c>docs/rules.md</c>) and <c>gate</c>.</summary>
public sealed record ClassifyRule
{
    /// <summary>The rule, such as <c>udp dst 53</c>; parsed when set, so a bad one is reported at its key.</summary>
    public required string Match
    {
        get;
        init
        {
            ArgumentNullException.ThrowIfNull(value, "match");
            RuleParser.Parse(value);
            field = value;
        }
    }

    /// <summary>The gate a packet matching the rule leaves by: letters, digits, '_' and '-'.</summary>
    public required string Gate
    {
        get;
        init => field = IsGateName(value)
            ? value
            : throw new ArgumentException($"gate '{value}' is not a gate name: use letters, digits, '_' and '-'");
    }

    private static bool IsGateName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '-'))
            {
                return false;
            }
        }

        return true;
    }
}
