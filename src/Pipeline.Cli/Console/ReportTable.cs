using System.Text;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Pipeline.Cli.Console;

/// <summary>
/// A table of text cells drawn either as a Spectre table (a terminal) or as plain aligned columns (output
/// redirected): two spaces between columns, numbers right-aligned, no trailing spaces, so it stays easy to
/// read and to cut with awk.
/// </summary>
internal sealed class ReportTable
{
    private readonly string[] _headers;
    private readonly bool[] _rightAligned;
    private readonly List<string[]> _rows = [];

    /// <summary>A table with these columns; a header ending in <c>&gt;</c> is right-aligned (the mark is not shown).</summary>
    public ReportTable(params string[] headers)
    {
        _rightAligned = [.. headers.Select(h => h.EndsWith('>'))];
        _headers = [.. headers.Select(h => h.TrimEnd('>'))];
    }

    /// <summary>Rows added so far.</summary>
    public int Count => _rows.Count;

    /// <summary>Adds a row: one cell per column.</summary>
    public ReportTable Add(params string[] cells)
    {
        if (cells.Length != _headers.Length)
        {
            throw new ArgumentException($"expected {_headers.Length} cells, got {cells.Length}", nameof(cells));
        }

        _rows.Add(cells);
        return this;
    }

    /// <summary>A Spectre table of the same cells (text, not markup).</summary>
    public Table ToSpectre()
    {
        var table = new Table().Border(TableBorder.Rounded);
        for (var c = 0; c < _headers.Length; c++)
        {
            var column = new TableColumn(new Text(_headers[c], new Style(decoration: Decoration.Bold)));
            table.AddColumn(_rightAligned[c] ? column.RightAligned() : column);
        }

        foreach (var row in _rows)
        {
            table.AddRow(row.Select(cell => (IRenderable)new Text(cell)));
        }

        return table;
    }

    /// <summary>The plain text form, every line ending in <c>\n</c>.</summary>
    public string ToPlainText()
    {
        var widths = new int[_headers.Length];
        foreach (var row in _rows.Prepend(_headers))
        {
            for (var c = 0; c < row.Length; c++)
            {
                widths[c] = Math.Max(widths[c], row[c].Length);
            }
        }

        var text = new StringBuilder();
        foreach (var row in _rows.Prepend(_headers))
        {
            var line = new StringBuilder();
            for (var c = 0; c < row.Length; c++)
            {
                if (c > 0)
                {
                    line.Append("  ");
                }

                var last = c == row.Length - 1;
                line.Append(_rightAligned[c] ? row[c].PadLeft(widths[c]) : last ? row[c] : row[c].PadRight(widths[c]));
            }

            text.Append(line.ToString().TrimEnd()).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>Draws the table on the context's terminal, or writes the plain text to its output.</summary>
    public void WriteTo(CliContext context)
    {
        if (context.Ansi is { } ansi)
        {
            ansi.Write(ToSpectre());
        }
        else
        {
            context.Out.Write(ToPlainText());
        }
    }
}
