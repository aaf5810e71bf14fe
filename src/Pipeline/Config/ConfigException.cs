namespace Pipeline.Config;

/// <summary>A pipeline definition with errors: all of them, in file order, found before anything starts.</summary>
public sealed class ConfigException : Exception
{
    /// <summary>Creates the exception from the errors found.</summary>
    public ConfigException(IReadOnlyList<ConfigError> errors)
        : base(string.Join(Environment.NewLine, errors))
    {
        Errors = errors;
    }

    /// <summary>Every error, in file order.</summary>
    public IReadOnlyList<ConfigError> Errors { get; }
}
