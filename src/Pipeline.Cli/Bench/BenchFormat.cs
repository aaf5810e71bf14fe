namespace Pipeline.Cli.Bench;

/// <summary>How <c>pipeline bench</c> prints its results.</summary>
internal enum BenchFormat
{
    /// <summary>An aligned table (a Spectre table on a terminal), with a line on the machine above it.</summary>
    Table,
    /// <summary>Comma-separated values with a header line: what scripts read.</summary>
    Csv,
    /// <summary>A JSON array of objects, one per case.</summary>
    Json,
    /// <summary>A markdown table.</summary>
    Markdown,
}
