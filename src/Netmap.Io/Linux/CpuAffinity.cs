using Netmap.Io.Linux.Interop;

namespace Netmap.Io.Linux;

/// <summary>
/// Pins the calling thread to one CPU and restores it, as pkt-gen's <c>-a CPU</c> and testpmd's lcores place a
/// thread: on a machine with few cores, where a busy thread lands decides whose core the others share.
/// </summary>
/// <remarks>Linux only (<c>sched_setaffinity</c> on the calling thread); elsewhere the calls do nothing and say so.</remarks>
public static class CpuAffinity
{
    private const int Words = 16; // 1024 CPUs, glibc's cpu_set_t

    /// <summary>
    /// Pins the calling thread to <paramref name="cpu"/>. Returns the mask it had (for <see cref="Restore"/>), or null
    /// when it could not pin: not Linux, or the CPU is not one the thread may use.
    /// </summary>
    public static unsafe ulong[]? PinCurrentThread(int cpu)
    {
        if (!OperatingSystem.IsLinux() || cpu < 0 || cpu >= Words * 64)
        {
            return null;
        }

        var saved = new ulong[Words];
        fixed (ulong* old = saved)
        {
            if (LibC.SchedGetAffinity(0, Words * sizeof(ulong), old) != 0 || (old[cpu / 64] & (1UL << (cpu % 64))) == 0)
            {
                return null;
            }
        }

        var mask = stackalloc ulong[Words];
        mask[cpu / 64] = 1UL << (cpu % 64);
        return LibC.SchedSetAffinity(0, Words * sizeof(ulong), mask) == 0 ? saved : null;
    }

    /// <summary>Gives the calling thread back the mask <see cref="PinCurrentThread"/> returned.</summary>
    public static unsafe void Restore(ulong[] saved)
    {
        ArgumentNullException.ThrowIfNull(saved);
        if (!OperatingSystem.IsLinux() || saved.Length != Words)
        {
            return;
        }

        fixed (ulong* mask = saved)
        {
            _ = LibC.SchedSetAffinity(0, Words * sizeof(ulong), mask);
        }
    }
}
