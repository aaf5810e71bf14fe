namespace Pipeline.Cli.Introspection;

/// <summary>One YAML key a stage takes, as <c>pipeline stages</c> lists it.</summary>
/// <param name="Key">The hyphenated key (<c>buffer-size</c>).</param>
/// <param name="Type">The value's type as a user reads it: <c>int</c>, <c>list of string</c>, <c>one of [a, b]</c>.</param>
/// <param name="Required">The key must be given.</param>
/// <param name="Default">The value when the key is left out, formatted as YAML would write it; null when there is none to show.</param>
internal sealed record StageOption(string Key, string Type, bool Required, string? Default);
