using System.Globalization;
using System.Text;

namespace Pipeline.Testing;

/// <summary>Hex dump lines in Click's Print style: an offset, then 16 bytes as eight 2-byte words.</summary>
public static class HexDump
{
    /// <summary>The dump of <paramref name="data"/>, one line per 16 bytes, each line indented by <paramref name="indent"/>.</summary>
    public static string Format(ReadOnlySpan<byte> data, string indent = "  ")
    {
        var text = new StringBuilder();
        for (var line = 0; line < data.Length; line += 16)
        {
            text.Append(indent).Append(line.ToString("x4", CultureInfo.InvariantCulture)).Append(' ');
            var end = Math.Min(line + 16, data.Length);
            for (var i = line; i < end; i++)
            {
                if ((i - line) % 2 == 0)
                {
                    text.Append(' ');
                }

                text.Append(data[i].ToString("x2", CultureInfo.InvariantCulture));
            }

            text.Append('\n');
        }

        return text.ToString();
    }
}
