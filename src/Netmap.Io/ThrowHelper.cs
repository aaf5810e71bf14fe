using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Netmap.Io;

/// <summary>Keeps every throw out of the hot, inlined methods.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void Netmap(NetmapError code, string subject, string message) =>
        throw new NetmapException(code, subject, message);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static T Netmap<T>(NetmapError code, string subject, string message) =>
        throw new NetmapException(code, subject, message);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ArgumentOutOfRange(string paramName, string message) =>
        throw new ArgumentOutOfRangeException(paramName, message);
}
