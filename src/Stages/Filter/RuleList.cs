using System.Collections.ObjectModel;
using Stages.Filter.Rules;

namespace Stages.Filter;

// Checks and copies the rule lists of the options records, so a bad rule is reported at its YAML key and the
// stored list cannot change after the check.
internal static class RuleList
{
    public static ReadOnlyCollection<string> Checked(IReadOnlyList<string> rules, string key)
    {
        ArgumentNullException.ThrowIfNull(rules, key);
        var copy = new string[rules.Count];
        for (var i = 0; i < copy.Length; i++)
        {
            copy[i] = rules[i] ?? throw new ArgumentException($"{key} has an empty rule (write 'any' to match every packet)");
            RuleParser.Parse(copy[i]);
        }

        return Array.AsReadOnly(copy);
    }

    public static bool SequenceEqual<T>(IReadOnlyList<T> first, IReadOnlyList<T> second)
    {
        if (first.Count != second.Count)
        {
            return false;
        }

        for (var i = 0; i < first.Count; i++)
        {
            if (!EqualityComparer<T>.Default.Equals(first[i], second[i]))
            {
                return false;
            }
        }

        return true;
    }

    public static int HashOf<T>(IReadOnlyList<T> items)
    {
        var hash = default(HashCode);
        for (var i = 0; i < items.Count; i++)
        {
            hash.Add(items[i]);
        }

        return hash.ToHashCode();
    }
}
