using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Stages.Ethernet;

// MAC addresses in options: "aa:bb:cc:dd:ee:ff" (hex, either case), checked when an option is set and read into
// 6 bytes when a stage starts.
internal static class MacAddressText
{
    public const int Length = 6;

    /// <summary>
    /// <paramref name="text"/> when it is a MAC address (a unicast one if <paramref name="unicast"/>); otherwise
    /// an <see cref="ArgumentException"/> naming <paramref name="key"/>.
    /// </summary>
    public static string Validate(string key, string text, bool unicast)
    {
        Span<byte> mac = stackalloc byte[Length];
        if (!TryParse(text, mac))
        {
            Invalid(key, $"{key} must be a MAC address like 02:00:00:00:00:01, found '{text}'");
        }

        if (unicast && (mac[0] & 1) != 0)
        {
            Invalid(key, $"{key} must be a unicast MAC address (the low bit of the first byte clear), found '{text}'");
        }

        return text;
    }

    /// <summary>The 6 bytes of a validated address.</summary>
    public static byte[] Parse(string text)
    {
        var mac = new byte[Length];
        if (!TryParse(text, mac))
        {
            Invalid(nameof(text), $"'{text}' is not a MAC address like 02:00:00:00:00:01");
        }

        return mac;
    }

    // Exactly six pairs of hex digits separated by ':'.
    private static bool TryParse(string text, Span<byte> mac)
    {
        if (text.Length != (Length * 3) - 1)
        {
            return false;
        }

        for (var i = 0; i < Length; i++)
        {
            var at = i * 3;
            if ((i > 0 && text[at - 1] != ':')
                || !char.IsAsciiHexDigit(text[at])
                || !char.IsAsciiHexDigit(text[at + 1])
                || !byte.TryParse(text.AsSpan(at, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out mac[i]))
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
