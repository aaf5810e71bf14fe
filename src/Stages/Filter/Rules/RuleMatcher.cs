namespace Stages.Filter.Rules;

/// <summary>
/// An ordered list of rules, parsed once: <see cref="FirstMatch(ReadOnlySpan{byte})"/> reads a packet's fields once and returns the
/// first rule that matches it. Matching allocates nothing.
/// </summary>
public sealed class RuleMatcher
{
    private readonly Rule[] _rules;

    /// <summary>Parses <paramref name="rules"/> in order; an <see cref="ArgumentException"/> names the first bad one.</summary>
    public RuleMatcher(IReadOnlyList<string> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        _rules = new Rule[rules.Count];
        for (var i = 0; i < _rules.Length; i++)
        {
            _rules[i] = RuleParser.Parse(rules[i]);
        }
    }

    /// <summary>The number of rules.</summary>
    public int Count => _rules.Length;

    /// <summary>Rule <paramref name="index"/>.</summary>
    public Rule this[int index] => _rules[index];

    /// <summary>The index of the first rule the Ethernet frame <paramref name="frame"/> matches, or -1.</summary>
    public int FirstMatch(ReadOnlySpan<byte> frame)
    {
        PacketFields.Read(frame, out var fields);
        return FirstMatch(in fields);
    }

    internal int FirstMatch(in PacketFields fields)
    {
        var rules = _rules;
        for (var i = 0; i < rules.Length; i++)
        {
            if (rules[i].Matches(in fields))
            {
                return i;
            }
        }

        return -1;
    }
}
