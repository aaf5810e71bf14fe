using BenchmarkDotNet.Running;
using Pipeline.Benchmarks.Configurations;

namespace Pipeline.Benchmarks;

public static class Program
{
    public static void Main(string[] args) =>
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, new BenchConfig());
}
