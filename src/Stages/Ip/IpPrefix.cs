using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Stages.Ip;

// An IPv4 or IPv6 prefix from options text ("10.0.0.0/8", "2001:db8::/32", a bare address is a host route), its
// address as a number in network order (IPv4 in the low 32 bits), checked when an option is set.
internal readonly record struct IpPrefix(bool IsV6, UInt128 Address, int Length)
{
    public int Bits => IsV6 ? 128 : 32;

    /// <summary>The prefix <paramref name="text"/> names; otherwise an <see cref="ArgumentException"/> naming <paramref name="key"/>.</summary>
    public static IpPrefix Parse(string key, string text)
    {
        var at = text?.IndexOf('/') ?? -1;
        var isV6 = false;
        UInt128 address = 0;
        if (text is null || !TryParseAddress(at >= 0 ? text.AsSpan(0, at) : text, out isV6, out address))
        {
            Invalid(key, $"{key} must be an IPv4 or IPv6 prefix like 10.0.0.0/8 or 2001:db8::/32, found '{text}'");
        }

        var bits = isV6 ? 128 : 32;
        var length = bits;
        if (at >= 0 && (!int.TryParse(text.AsSpan(at + 1), NumberStyles.None, CultureInfo.InvariantCulture, out length) || length > bits))
        {
            Invalid(key, $"{key} '{text}' must end in a length from /0 to /{bits}");
        }

        var mask = length == 0 ? UInt128.Zero : (isV6 ? UInt128.MaxValue : uint.MaxValue) << (bits - length);
        if (!isV6)
        {
            mask &= uint.MaxValue;
        }

        if ((address & ~mask) != 0)
        {
            var expected = new IpPrefix(isV6, address & mask, length);
            Invalid(key, $"{key} '{text}' has bits set past its length (did you mean {expected}?)");
        }

        return new IpPrefix(isV6, address, length);
    }

    /// <summary>An IPv4 dotted quad or an IPv6 address without a zone.</summary>
    public static bool TryParseAddress(ReadOnlySpan<char> text, out bool isV6, out UInt128 address)
    {
        isV6 = false;
        address = 0;
        if (!IPAddress.TryParse(text, out var ip) || (ip.AddressFamily == AddressFamily.InterNetworkV6 && ip.ScopeId != 0))
        {
            return false;
        }

        return FromAddress(ip, text.Count('.') == 3, out isV6, out address);
    }

    /// <summary>The number of <paramref name="ip"/>; false for an IPv4 address not written as a dotted quad.</summary>
    public static bool FromAddress(IPAddress ip, bool dottedQuad, out bool isV6, out UInt128 address)
    {
        Span<byte> bytes = stackalloc byte[16];
        isV6 = ip.AddressFamily == AddressFamily.InterNetworkV6;
        address = 0;
        if (!ip.TryWriteBytes(bytes, out var written) || (!isV6 && !dottedQuad))
        {
            return false;
        }

        address = written == 16 ? BinaryPrimitives.ReadUInt128BigEndian(bytes) : BinaryPrimitives.ReadUInt32BigEndian(bytes);
        return true;
    }

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[16];
        if (IsV6)
        {
            BinaryPrimitives.WriteUInt128BigEndian(bytes, Address);
            return $"{new IPAddress(bytes)}/{Length}";
        }

        BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)Address);
        return $"{new IPAddress(bytes[..4])}/{Length}";
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Invalid(string key, string message) => throw new ArgumentException(message, key);
}
