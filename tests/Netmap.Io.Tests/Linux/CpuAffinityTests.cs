using Netmap.Io.Linux;

namespace Netmap.Io.Tests.Linux;

/// <summary>Pinning the calling thread to a CPU and giving it its mask back (the afpacket bench's generator).</summary>
public sealed class CpuAffinityTests
{
    [Fact]
    public void A_pinned_thread_runs_only_on_its_cpu_and_restore_gives_it_back_every_cpu_it_had()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Null(CpuAffinity.PinCurrentThread(0)); // nothing to pin elsewhere, and it says so
            return;
        }

        string before = string.Empty, pinned = string.Empty, after = string.Empty;
        var cpus = new HashSet<int>();
        ulong[]? saved = null;
        var cpu = -1;
        var thread = new Thread(() =>
        {
            before = AllowedList();
            cpu = FirstAllowed(before); // CPU 0 may be outside this machine's cpuset
            saved = CpuAffinity.PinCurrentThread(cpu);
            pinned = AllowedList();
            for (var i = 0; i < 200; i++)
            {
                Thread.Yield();
                cpus.Add(Thread.GetCurrentProcessorId());
            }

            if (saved is not null)
            {
                CpuAffinity.Restore(saved);
            }

            after = AllowedList();
        });
        thread.Start();
        thread.Join();

        Assert.NotNull(saved);
        Assert.Equal(cpu.ToString(System.Globalization.CultureInfo.InvariantCulture), pinned);
        Assert.Equal([cpu], cpus);
        Assert.Equal(before, after);
    }

    [Fact]
    public void A_cpu_the_thread_may_not_use_is_refused_and_nothing_changes()
    {
        string before = string.Empty, after = string.Empty;
        ulong[]? saved = [];
        var thread = new Thread(() =>
        {
            before = OperatingSystem.IsLinux() ? AllowedList() : string.Empty;
            saved = CpuAffinity.PinCurrentThread(1023); // no machine here has 1024 CPUs
            after = OperatingSystem.IsLinux() ? AllowedList() : string.Empty;
        });
        thread.Start();
        thread.Join();

        Assert.Null(saved);
        Assert.Equal(before, after);
        Assert.Null(CpuAffinity.PinCurrentThread(-1));
    }

    // The first CPU of a list like "0-1", "2,5-7".
    private static int FirstAllowed(string list) =>
        int.Parse(list.Split(',')[0].Split('-')[0], System.Globalization.CultureInfo.InvariantCulture);

    // The calling thread's allowed CPUs as the kernel lists them ("0-1", "0").
    private static string AllowedList() =>
        File.ReadAllLines("/proc/thread-self/status").Single(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal)).Split(':')[1].Trim();
}
