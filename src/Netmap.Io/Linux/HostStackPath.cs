using System.Runtime.InteropServices;
using Netmap.Io.Linux.Interop;

namespace Netmap.Io.Linux;

/// <summary>
/// Takes interface IF from the host stack while an <see cref="AfPacketBackend"/> has it in netmap mode, and is the
/// host stack's end of the port's host rings (netmap-notes §8): a TAP device (<c>nmhN</c>, in IF's namespace) and
/// five small eBPF programs on tcx hooks (<see cref="Bpf"/>).
/// </summary>
/// <remarks>
/// <para>Paths, with the NIC rings of the direction bound ("diverted"):</para>
/// <list type="bullet">
/// <item>wire → IF: the packet sockets' taps copy the frame into the NIC RX ring first; then IF's tcx ingress
/// program drops it, so the host stack never sees it.</item>
/// <item>host stack → IF: IF's tcx egress program redirects every frame that is not a NIC TX frame (those carry
/// <see cref="Bpf.NicTxMark"/>, set with SO_MARK on the packet sockets) to the TAP's transmit path; the kernel
/// segments GSO frames and fills offloaded checksums for the TAP (it offers no offloads), and the host RX ring reads
/// the frames from the TAP's descriptor.</item>
/// <item>host TX ring → host stack: the frame is written to the TAP; the TAP's tcx ingress program marks it
/// (<see cref="Bpf.HostTxMark"/>) and redirects it to IF's receive path, where the packet sockets skip it (a socket
/// filter on the mark) and IF's ingress program clears the mark and lets it up the stack, as if from the wire.</item>
/// </list>
/// <para>A direction whose NIC rings are not bound is left to the host stack (the programs step aside), as netmap
/// does per ring; with several queues the switch is per direction, not per queue.</para>
/// <para>Restoring: closing the links' descriptors detaches the programs and closing the TAP's last descriptor
/// removes it, so <see cref="Dispose"/> and the kernel's clean-up of a killed process restore the interface
/// alike: nothing is pinned, persistent or left on IF, and there is no stale state for a later open to remove.</para>
/// Needs CAP_NET_ADMIN and CAP_BPF (Linux 6.6+ for tcx). Thread: <see cref="Open"/> on a thread in IF's namespace;
/// a host ring's sync uses one TAP queue at a time; <see cref="SetRxDiverted"/>/<see cref="SetTxDiverted"/> under
/// the domain lock.
/// </remarks>
internal sealed unsafe class HostStackPath : IDisposable
{
    /// <summary>The TAP's name: the kernel picks the first free number.</summary>
    public const string TapNamePattern = "nmh%d";

    private const string NoHostRingsRemedy =
        "or leave the interface shared with the host stack and its host rings fake: new AfPacketOptions { HostRings = false }";

    private readonly TapQueue[] _queues;
    private readonly FileDescriptor[] _programs; // ingress pass, ingress divert, egress pass, egress divert, inject
    private readonly FileDescriptor?[] _links = new FileDescriptor?[3]; // IF egress, IF ingress, TAP ingress
    private readonly string _spec;
    private bool _rxDiverted;
    private bool _txDiverted;
    private int _disposed;

    private HostStackPath(string spec, TapQueue[] queues, string tapName, int tapIndex, FileDescriptor[] programs)
    {
        _spec = spec;
        _queues = queues;
        TapName = tapName;
        TapIndex = tapIndex;
        _programs = programs;
    }

    /// <summary>The TAP that carries the host stack's frames (it vanishes with this object).</summary>
    public string TapName { get; }

    /// <summary>The TAP's interface index.</summary>
    public int TapIndex { get; }

    /// <summary>TAP queues: host RX ring q reads queue q.</summary>
    public int Queues => _queues.Length;

    /// <summary>The TAP queues' descriptors, for a poll thread.</summary>
    public int[] Descriptors
    {
        get
        {
            var fds = new int[_queues.Length];
            for (var i = 0; i < fds.Length; i++)
            {
                fds[i] = _queues[i].Fd;
            }

            return fds;
        }
    }

    /// <summary>Frames the host stack sent that the host RX rings read.</summary>
    public long ReceivedFrames
    {
        get
        {
            long n = 0;
            foreach (var q in _queues)
            {
                n += q.ReceivedFrames;
            }

            return n;
        }
    }

    /// <summary>Frames the host TX rings handed to the host stack.</summary>
    public long SentFrames
    {
        get
        {
            long n = 0;
            foreach (var q in _queues)
            {
                n += q.SentFrames;
            }

            return n;
        }
    }

    /// <summary>
    /// Creates the TAP (<paramref name="queues"/> queues, MTU <paramref name="mtu"/>, IPv6 off so it says nothing of its
    /// own) and attaches the programs to IF (<paramref name="interfaceIndex"/>) with both directions left to the host
    /// stack. Errors name <paramref name="spec"/>: no CAP_BPF or CAP_NET_ADMIN → EPERM with the remedies; no tcx in the
    /// kernel → EOPNOTSUPP.
    /// </summary>
    public static HostStackPath Open(string spec, string interfaceName, int interfaceIndex, int mtu, int queues)
    {
        if (!Bpf.IsAvailable)
        {
            ThrowHelper.Netmap(NetmapError.EOPNOTSUPP, spec, $"host rings on AF_PACKET need bpf(2) on x86_64 or arm64 Linux; {NoHostRingsRemedy}");
        }

        var opened = new List<TapQueue>(queues);
        var programs = new List<FileDescriptor>(5);
        HostStackPath? path = null;
        try
        {
            opened.Add(TapQueue.Open(spec, TapNamePattern, queues > 1, existed: false, out var tapName));
            for (var i = 1; i < queues; i++)
            {
                opened.Add(TapQueue.Open(spec, tapName, multiQueue: true, existed: true, out _));
            }

            DisableIpv6(spec, tapName);
            var tapIndex = SetUp(spec, tapName, mtu);
            programs.Add(Load(spec, interfaceName, Bpf.IngressProgram(divert: false), "nm_host_in"));
            programs.Add(Load(spec, interfaceName, Bpf.IngressProgram(divert: true), "nm_host_in_div"));
            programs.Add(Load(spec, interfaceName, Bpf.EgressProgram(0), "nm_host_out"));
            programs.Add(Load(spec, interfaceName, Bpf.EgressProgram(tapIndex), "nm_host_out_div"));
            programs.Add(Load(spec, interfaceName, Bpf.InjectProgram(interfaceIndex), "nm_host_inject"));
            path = new HostStackPath(spec, [.. opened], tapName, tapIndex, [.. programs]);
            path._links[2] = Attach(spec, interfaceName, programs[4], tapIndex, LibC.BPF_TCX_INGRESS, tapName);
            path._links[1] = Attach(spec, interfaceName, programs[0], interfaceIndex, LibC.BPF_TCX_INGRESS, interfaceName);
            path._links[0] = Attach(spec, interfaceName, programs[2], interfaceIndex, LibC.BPF_TCX_EGRESS, interfaceName);
            return path;
        }
        catch
        {
            if (path is not null)
            {
                path.Dispose();
            }
            else
            {
                foreach (var p in programs)
                {
                    p.Dispose();
                }

                foreach (var q in opened)
                {
                    q.Dispose();
                }
            }

            throw;
        }
    }

    /// <summary>Wire frames go to the NIC RX rings only (true) or on to the host stack as well (false).</summary>
    public void SetRxDiverted(bool diverted)
    {
        if (diverted != _rxDiverted)
        {
            Switch(_links[1]!, _programs[diverted ? 1 : 0], "IF ingress");
            _rxDiverted = diverted;
        }
    }

    /// <summary>The host stack's frames go to the host RX rings (true) or to the wire (false).</summary>
    public void SetTxDiverted(bool diverted)
    {
        if (diverted != _txDiverted)
        {
            Switch(_links[0]!, _programs[diverted ? 3 : 2], "IF egress");
            _txDiverted = diverted;
        }
    }

    /// <summary>The next frame the host stack sent on TAP queue <paramref name="queue"/>; false when there is none.</summary>
    public bool TryReceive(int queue, out ReadOnlySpan<byte> frame) => _queues[queue].TryRead(out frame);

    /// <summary>Gives back the frame <see cref="TryReceive"/> returned.</summary>
    public void Release(int queue) => _queues[queue].Release();

    /// <summary>Hands one frame to the host stack (through TAP queue <paramref name="queue"/> mod the queues); false when the TAP has no room.</summary>
    public bool TrySend(int queue, ReadOnlySpan<byte> frame) => _queues[queue % _queues.Length].TryWrite(frame);

    /// <summary>Detaches the programs (IF's egress first, so the host stack's frames reach the wire again), then removes the TAP.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var link in _links)
        {
            link?.Dispose();
        }

        foreach (var program in _programs)
        {
            program.Dispose();
        }

        foreach (var queue in _queues)
        {
            queue.Dispose();
        }
    }

    private void Switch(FileDescriptor link, FileDescriptor program, string hook)
    {
        if (!Bpf.Update(link, program))
        {
            var errno = LinuxErrors.LastErrno;
            if (errno == LibC.ENOLINK)
            {
                // The interface was deleted under us and took its hooks with it: there is nothing left to switch (a
                // close after the deletion must not fail, or the caller loses what it was about to report).
                return;
            }

            ThrowHelper.Netmap(NetmapError.EIO, _spec, $"switching the {hook} program (BPF_LINK_UPDATE) failed: {LinuxErrors.ErrnoName(errno)} ({Marshal.GetPInvokeErrorMessage(errno)})");
        }
    }

    private static FileDescriptor Load(string spec, string interfaceName, ulong[] program, string name)
    {
        var fd = Bpf.Load(program, name, out var log);
        if (fd is not null)
        {
            return fd;
        }

        var errno = LinuxErrors.LastErrno;
        if (errno is LibC.EPERM or LibC.EACCES && log.Length == 0)
        {
            throw Permission(spec, interfaceName, errno, "loading an eBPF program (bpf BPF_PROG_LOAD)", "CAP_BPF");
        }

        throw new NetmapException(
            NetmapError.EIO,
            spec,
            $"the kernel refused eBPF program {name}: {LinuxErrors.ErrnoName(errno)} ({Marshal.GetPInvokeErrorMessage(errno)}){(log.Length == 0 ? string.Empty : ": " + log.Trim())}");
    }

    private static FileDescriptor Attach(string spec, string interfaceName, FileDescriptor program, int index, uint hook, string device)
    {
        var link = Bpf.Attach(program, index, hook);
        if (link is not null)
        {
            return link;
        }

        var errno = LinuxErrors.LastErrno;
        var what = $"attaching a program to the tcx {(hook == LibC.BPF_TCX_INGRESS ? "ingress" : "egress")} of {device} (BPF_LINK_CREATE)";
        throw errno switch
        {
            LibC.EPERM or LibC.EACCES => Permission(spec, interfaceName, errno, what, "CAP_NET_ADMIN and CAP_BPF"),
            LibC.EINVAL => new NetmapException(
                NetmapError.EOPNOTSUPP,
                spec,
                $"{what} failed (EINVAL): host rings on AF_PACKET need tcx hooks (Linux 6.6 or later, CONFIG_NET_XGRESS); {NoHostRingsRemedy}"),
            _ => LinuxErrors.Create(errno, spec, what, "CAP_NET_ADMIN", interfaceName),
        };
    }

    private static NetmapException Permission(string spec, string interfaceName, int errno, string operation, string capability) =>
        new(
            NetmapError.EPERM,
            spec,
            $"{operation} needs {capability}, which this process does not have ({LinuxErrors.ErrnoName(errno)}); host rings take {interfaceName} from the host stack with eBPF programs: {LinuxErrors.GrantHint}, {NoHostRingsRemedy}");

    /// <summary>Turns IPv6 off on the TAP before it comes up, so it sends nothing of its own (router solicitations, DAD) into the host RX rings.</summary>
    private static void DisableIpv6(string spec, string tapName)
    {
        var path = $"/proc/sys/net/ipv6/conf/{tapName}/disable_ipv6";
        if (!File.Exists(path))
        {
            return; // no IPv6 in this namespace
        }

        try
        {
            File.WriteAllText(path, "1"); // opened on this thread: its network namespace's sysctl
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new NetmapException(NetmapError.EIO, spec, $"cannot turn IPv6 off on {tapName} ({path}): {ex.Message}");
        }
    }

    /// <summary>Gives the TAP IF's MTU, no ARP, and brings it up; returns its index.</summary>
    private static int SetUp(string spec, string tapName, int mtu)
    {
        var control = LibC.Socket(LibC.AF_INET, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0);
        if (control < 0)
        {
            throw LinuxErrors.Create(LinuxErrors.LastErrno, spec, "socket(AF_INET, SOCK_DGRAM)", "CAP_NET_ADMIN", tapName);
        }

        using var fd = new FileDescriptor(control);
        var request = LibC.IfReqFor(tapName);
        request.Value = mtu;
        if (LibC.Ioctl(control, LibC.SIOCSIFMTU, &request) != 0)
        {
            throw LinuxErrors.Create(LinuxErrors.LastErrno, spec, $"setting the MTU of {tapName} to {mtu} (SIOCSIFMTU)", "CAP_NET_ADMIN", tapName);
        }

        request = LibC.IfReqFor(tapName);
        if (LibC.Ioctl(control, LibC.SIOCGIFFLAGS, &request) != 0)
        {
            throw LinuxErrors.Create(LinuxErrors.LastErrno, spec, $"reading the flags of {tapName} (SIOCGIFFLAGS)", "CAP_NET_ADMIN", tapName);
        }

        request.Value |= LibC.IFF_UP | LibC.IFF_NOARP;
        if (LibC.Ioctl(control, LibC.SIOCSIFFLAGS, &request) != 0)
        {
            throw LinuxErrors.Create(LinuxErrors.LastErrno, spec, $"bringing {tapName} up (SIOCSIFFLAGS)", "CAP_NET_ADMIN", tapName);
        }

        var index = NetInterface.IndexOf(tapName);
        if (index == 0)
        {
            ThrowHelper.Netmap(NetmapError.EIO, spec, $"the TAP {tapName} vanished while it was set up");
        }

        return index;
    }
}
