using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Stages.Standard;

// Gate names that stages' options declare (a switch's ports, a router's route gates): checked when the option is
// set, with the pipes' rules (letters, digits, '_' and '-'), so a bad one is reported at its YAML key.
internal static class GateNames
{
    /// <summary><paramref name="name"/> when it can name a gate; otherwise an <see cref="ArgumentException"/> naming <paramref name="key"/>.</summary>
    public static string Validate(string key, string name)
    {
        if (!IsName(name))
        {
            Invalid(key, $"{key} must be a gate name (letters, digits, '_' and '-'), found '{name}'");
        }

        return name;
    }

    /// <summary>
    /// <paramref name="names"/> when it holds <paramref name="min"/> to <paramref name="max"/> distinct gate names;
    /// otherwise an <see cref="ArgumentException"/> naming <paramref name="key"/>.
    /// </summary>
    public static string[] ValidateList(string key, string[] names, int min, int max)
    {
        if (names is null || names.Length < min || names.Length > max)
        {
            Invalid(key, $"{key} must list {min} to {max} gate names, found {names?.Length ?? 0}");
        }

        for (var i = 0; i < names.Length; i++)
        {
            Validate(key, names[i]);
            if (Array.IndexOf(names, names[i], 0, i) >= 0)
            {
                Invalid(key, $"{key} names gate '{names[i]}' twice");
            }
        }

        return names;
    }

    private static bool IsName(string? name)
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

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Invalid(string key, string message) => throw new ArgumentException(message, key);
}
