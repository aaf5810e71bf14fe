namespace Pipeline.Cli;

/// <summary>The exit codes of the <c>pipeline</c> command.</summary>
internal static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Ok = 0;

    /// <summary>The pipeline could not start or failed while running (a port that cannot open, a damaged input file).</summary>
    public const int Failure = 1;

    /// <summary>The pipeline file is invalid, or the command line is.</summary>
    public const int Invalid = 2;
}
