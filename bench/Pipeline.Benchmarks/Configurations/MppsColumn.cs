using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Pipeline.Benchmarks.Configurations;

/// <summary>
/// Millions of operations per second, from the per-operation mean (as Akka.Benchmarks adds Req/sec).
/// Every benchmark here sets <c>OperationsPerInvoke</c> to its packet count, so the mean is per packet and
/// this column reads Mpps: 1000 / mean in ns.
/// </summary>
public sealed class MppsColumn : IColumn
{
    public static readonly MppsColumn Default = new();

    public string Id => nameof(MppsColumn);

    public string ColumnName => "Mpps";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Millions of operations (packets) per second: 1000 / Mean in ns";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        // ResultStatistics is already divided by OperationsPerInvoke: nanoseconds per packet.
        var meanNs = summary[benchmarkCase]?.ResultStatistics?.Mean;
        return meanNs is > 0 ? (1000.0 / meanNs.Value).ToString("F2", CultureInfo.InvariantCulture) : "NA";
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public override string ToString() => ColumnName;
}
