using System.Runtime.InteropServices;
using Netmap.Io.Linux.Interop;

namespace Netmap.Io.Linux;

/// <summary>
/// The few eBPF programs that take an interface from the host stack in netmap mode (<see cref="HostStackPath"/>),
/// assembled here instruction by instruction, and the bpf(2) calls that load them and attach them to an
/// interface's tcx hooks (Linux 6.6+) through links: a link lives as long as its file descriptor, so whatever
/// ends the process (a crash, SIGKILL) detaches the programs with it and leaves the interface as it was.
/// </summary>
/// <remarks>Needs CAP_BPF and CAP_NET_ADMIN (or root). Nothing is pinned in a BPF file system.</remarks>
internal static unsafe class Bpf
{
    /// <summary>skb mark of the frames a NIC TX ring sends (SO_MARK on the packet sockets): egress lets them through.</summary>
    public const uint NicTxMark = 0x4e4d0001;

    /// <summary>skb mark of the frames a host TX ring hands to the host stack, while they cross the interface's RX path.</summary>
    public const uint HostTxMark = 0x4e4d0002;

    private const int AttrSize = 128;
    private const int MarkOffset = 8; // offsetof(struct __sk_buff, mark)
    private const int TcxDrop = LibC.TCX_DROP;
    private const int TcxNext = LibC.TCX_NEXT;

    // Register numbers and opcodes (linux/bpf_common.h, linux/bpf.h).
    private const byte R0 = 0, R1 = 1, R2 = 2;
    private const byte LdxMemW = 0x61;  // BPF_LDX | BPF_MEM | BPF_W
    private const byte StxMemW = 0x63;  // BPF_STX | BPF_MEM | BPF_W
    private const byte MovImm = 0xb7;   // BPF_ALU64 | BPF_MOV | BPF_K
    private const byte JeqImm = 0x15;   // BPF_JMP | BPF_JEQ | BPF_K
    private const byte JneImm = 0x55;   // BPF_JMP | BPF_JNE | BPF_K
    private const byte Call = 0x85;     // BPF_JMP | BPF_CALL
    private const byte Exit = 0x95;     // BPF_JMP | BPF_EXIT

    /// <summary>True when this process can make bpf(2) calls on this architecture (x86_64 or arm64 Linux).</summary>
    public static bool IsAvailable => OperatingSystem.IsLinux() && SyscallNumber > 0;

    private static nint SyscallNumber => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 321,
        Architecture.Arm64 => 280,
        _ => -1,
    };

    /// <summary>
    /// IF's tcx ingress (after the packet sockets' taps saw the frame): a frame a host TX ring injected (HostTxMark)
    /// loses the mark and goes on to the host stack; any other frame is dropped when <paramref name="divert"/>, else
    /// goes on as usual.
    /// </summary>
    public static ulong[] IngressProgram(bool divert) =>
    [
        Insn(LdxMemW, R2, R1, MarkOffset, 0),
        Insn(JneImm, R2, 0, 4, (int)HostTxMark),
        Insn(MovImm, R2, 0, 0, 0),
        Insn(StxMemW, R1, R2, MarkOffset, 0),
        Insn(MovImm, R0, 0, 0, TcxNext),
        Insn(Exit, 0, 0, 0, 0),
        Insn(MovImm, R0, 0, 0, divert ? TcxDrop : TcxNext),
        Insn(Exit, 0, 0, 0, 0),
    ];

    /// <summary>
    /// IF's tcx egress: a NIC TX frame (NicTxMark) goes to the wire; when <paramref name="divertTo"/> is a device
    /// index, every other frame (the host stack's) is redirected to that device's transmit path (the TAP whose file
    /// descriptor the host RX rings read), else it goes to the wire too.
    /// </summary>
    public static ulong[] EgressProgram(int divertTo) => divertTo <= 0
        ? [Insn(MovImm, R0, 0, 0, TcxNext), Insn(Exit, 0, 0, 0, 0)]
        :
        [
            Insn(LdxMemW, R2, R1, MarkOffset, 0),
            Insn(JeqImm, R2, 0, 4, (int)NicTxMark),
            Insn(MovImm, R1, 0, 0, divertTo),
            Insn(MovImm, R2, 0, 0, 0),
            Insn(Call, 0, 0, 0, LibC.BPF_FUNC_redirect),
            Insn(Exit, 0, 0, 0, 0),
            Insn(MovImm, R0, 0, 0, TcxNext),
            Insn(Exit, 0, 0, 0, 0),
        ];

    /// <summary>
    /// The TAP's tcx ingress: every frame written to the TAP (a host TX ring's) gets HostTxMark and is redirected to
    /// the receive path of device <paramref name="interfaceIndex"/> (IF), so the host stack gets it as if from the wire.
    /// </summary>
    public static ulong[] InjectProgram(int interfaceIndex) =>
    [
        Insn(MovImm, R2, 0, 0, (int)HostTxMark),
        Insn(StxMemW, R1, R2, MarkOffset, 0),
        Insn(MovImm, R1, 0, 0, interfaceIndex),
        Insn(MovImm, R2, 0, 0, LibC.BPF_F_INGRESS),
        Insn(Call, 0, 0, 0, LibC.BPF_FUNC_redirect),
        Insn(Exit, 0, 0, 0, 0),
    ];

    /// <summary>
    /// Loads a SCHED_CLS program; null with errno set (and the verifier's log in <paramref name="log"/> when it
    /// rejected the program) on failure.
    /// </summary>
    public static FileDescriptor? Load(ReadOnlySpan<ulong> instructions, string name, out string log)
    {
        log = string.Empty;
        var fd = LoadOnce(instructions, name, null, 0);
        if (fd >= 0)
        {
            return new FileDescriptor(fd);
        }

        var errno = LinuxErrors.LastErrno;
        if (errno == LibC.EINVAL || errno == LibC.EACCES)
        {
            // Ask again with a log, only to say why.
            const int LogSize = 16 * 1024;
            var buffer = (byte*)NativeMemory.AllocZeroed(LogSize);
            try
            {
                _ = LoadOnce(instructions, name, buffer, LogSize);
                log = Marshal.PtrToStringUTF8((nint)buffer) ?? string.Empty;
            }
            finally
            {
                NativeMemory.Free(buffer);
            }
        }

        Marshal.SetLastPInvokeError(errno);
        return null;
    }

    /// <summary>
    /// Attaches program <paramref name="program"/> to tcx hook <paramref name="attachType"/> (BPF_TCX_INGRESS or
    /// BPF_TCX_EGRESS) of device <paramref name="interfaceIndex"/>, in front of any program already there, through a
    /// link; null with errno set on failure. The device is looked up in the calling thread's network namespace.
    /// </summary>
    public static FileDescriptor? Attach(FileDescriptor program, int interfaceIndex, uint attachType)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)attr = (uint)program.Fd;
        *(uint*)(attr + 4) = (uint)interfaceIndex;
        *(uint*)(attr + 8) = attachType;
        *(uint*)(attr + 12) = LibC.BPF_F_BEFORE; // relative_fd 0: before every program
        var fd = Command(LibC.BPF_LINK_CREATE, attr);
        return fd >= 0 ? new FileDescriptor(fd) : null;
    }

    /// <summary>Replaces the program of <paramref name="link"/> atomically; false with errno set on failure.</summary>
    public static bool Update(FileDescriptor link, FileDescriptor program)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)attr = (uint)link.Fd;
        *(uint*)(attr + 4) = (uint)program.Fd;
        return Command(LibC.BPF_LINK_UPDATE, attr) >= 0;
    }

    /// <summary>Programs attached to tcx hook <paramref name="attachType"/> of device <paramref name="interfaceIndex"/> (calling thread's namespace); -1 with errno set on failure.</summary>
    public static int CountAttached(int interfaceIndex, uint attachType)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        *(uint*)attr = (uint)interfaceIndex;
        *(uint*)(attr + 4) = attachType;
        return Command(LibC.BPF_PROG_QUERY, attr) >= 0 ? (int)*(uint*)(attr + 24) : -1;
    }

    private static int LoadOnce(ReadOnlySpan<ulong> instructions, string name, byte* log, int logSize)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        var license = "Dual MIT/GPL\0"u8;
        fixed (ulong* insns = instructions)
        fixed (byte* lic = license)
        {
            *(uint*)attr = LibC.BPF_PROG_TYPE_SCHED_CLS;
            *(uint*)(attr + 4) = (uint)instructions.Length;
            *(ulong*)(attr + 8) = (ulong)insns;
            *(ulong*)(attr + 16) = (ulong)lic;
            if (log != null)
            {
                *(uint*)(attr + 24) = 1; // log_level
                *(uint*)(attr + 28) = (uint)logSize;
                *(ulong*)(attr + 32) = (ulong)log;
            }

            // prog_name: at most 15 characters of [A-Za-z0-9_.]
            for (var i = 0; i < name.Length && i < 15; i++)
            {
                attr[48 + i] = (byte)name[i];
            }

            return Command(LibC.BPF_PROG_LOAD, attr);
        }
    }

    private static int Command(int command, byte* attr) =>
        (int)LibC.Syscall(SyscallNumber, command, (nint)attr, AttrSize);

    /// <summary>One eBPF instruction (struct bpf_insn: code, dst_reg:4 | src_reg:4, off, imm), little endian.</summary>
    private static ulong Insn(byte code, byte dst, byte src, short offset, int imm) =>
        code | ((ulong)(byte)(dst | (src << 4)) << 8) | ((ulong)(ushort)offset << 16) | ((ulong)(uint)imm << 32);
}
