extern alias ScottPlotLib;

using System.Globalization;
using ScottPlotLib::ScottPlot;

namespace Pipeline.Cli.Bench;

/// <summary>Draws a sweep as a PNG line plot (ScottPlot): one line per series, the knob on x.</summary>
internal static class SweepPlot
{
    private const int Width = 900;
    private const int Height = 520;

    /// <summary>
    /// Saves a plot of <paramref name="series"/> (name, then y per x value; NaN where a point did not run) to
    /// <paramref name="path"/>. With <paramref name="logX"/> the x values are placed on a log2 scale and
    /// labelled with their own values.
    /// </summary>
    public static void Save(string path, string title, string xLabel, string yLabel, IReadOnlyList<int> xValues, IReadOnlyList<(string Name, double[] Y)> series, bool logX)
    {
        var plot = new Plot();
        var xs = new double[xValues.Count];
        for (var i = 0; i < xs.Length; i++)
        {
            xs[i] = logX ? Math.Log2(xValues[i]) : xValues[i];
        }

        foreach (var (name, y) in series)
        {
            var line = plot.Add.Scatter(xs, y);
            line.LegendText = name;
            line.LineWidth = 2;
            line.MarkerSize = 7;
        }

        var ticks = new ScottPlotLib::ScottPlot.TickGenerators.NumericManual();
        for (var i = 0; i < xs.Length; i++)
        {
            ticks.AddMajor(xs[i], xValues[i].ToString(CultureInfo.InvariantCulture));
        }

        plot.Axes.Bottom.TickGenerator = ticks;
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.Axes.SetLimitsY(0, Math.Max(1, MaxOf(series) * 1.1));
        plot.ShowLegend(Edge.Right); // beside the data: no line runs under it
        plot.SavePng(path, Width, Height);
    }

    private static double MaxOf(IReadOnlyList<(string Name, double[] Y)> series)
    {
        var max = 0.0;
        foreach (var (_, y) in series)
        {
            foreach (var v in y)
            {
                if (!double.IsNaN(v))
                {
                    max = Math.Max(max, v);
                }
            }
        }

        return max;
    }
}
