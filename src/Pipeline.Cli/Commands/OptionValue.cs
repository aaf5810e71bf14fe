using System.CommandLine.Parsing;

namespace Pipeline.Cli.Commands;

/// <summary>An option's value inside its validator.</summary>
internal static class OptionValue
{
    /// <summary>
    /// The converted value, or false when the token does not convert ("abc", or a number too large for the type):
    /// the parser reports that error itself, and a validator must not throw (System.CommandLine's
    /// <c>GetValueOrDefault</c> does, and the process would end with an unhandled exception).
    /// </summary>
    public static bool TryGet<T>(OptionResult result, out T? value)
    {
        try
        {
            value = result.GetValueOrDefault<T>();
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default;
            return false;
        }
    }
}
