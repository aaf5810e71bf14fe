namespace Netmap.Io;

/// <summary>
/// A netmap-level failure: an errno-style <see cref="Code"/> and a message that starts with the port
/// spec, as libnetmap's <c>nmctx_ferror</c> does: <c>netmap:pipe{3: EBUSY: pipe end already open</c>.
/// </summary>
public class NetmapException : Exception
{
    /// <summary>Creates an exception for <paramref name="subject"/> (a port spec or an object name).</summary>
    public NetmapException(NetmapError code, string subject, string message)
        : base(Format(code, subject, message))
    {
        Code = code;
        Subject = subject;
        Reason = message;
    }

    /// <summary>Creates an exception with no port spec to name.</summary>
    public NetmapException(NetmapError code, string message)
        : this(code, string.Empty, message)
    {
    }

    /// <summary>The errno-style code tests assert on.</summary>
    public NetmapError Code { get; }

    /// <summary>The port spec or object the failure is about (may be empty).</summary>
    public string Subject { get; }

    /// <summary>The message without the subject and code prefix.</summary>
    public string Reason { get; }

    private static string Format(NetmapError code, string subject, string message) =>
        subject.Length == 0 ? $"{code}: {message}" : $"{subject}: {code}: {message}";
}
