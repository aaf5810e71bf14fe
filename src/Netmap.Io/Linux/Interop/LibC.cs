using System.Runtime.InteropServices;

namespace Netmap.Io.Linux.Interop;

/// <summary>
/// The Linux C library calls and kernel ABI constants the Linux backends use; the only place with C-ABI names.
/// Every call sets the thread's last P/Invoke error (<see cref="Marshal.GetLastPInvokeError"/>).
/// </summary>
/// <remarks>
/// Values are Linux's for x86_64 and arm64 (identical for everything here). Structs are blittable and laid out
/// as the kernel's headers declare them (<c>linux/if_packet.h</c>, <c>linux/if.h</c>, <c>linux/if_tun.h</c>,
/// <c>linux/filter.h</c>, <c>linux/capability.h</c>).
/// </remarks>
internal static unsafe partial class LibC
{
    private const string Lib = "libc";

    // errno
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EIO = 5;
    public const int ENXIO = 6;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int EACCES = 13;
    public const int EBUSY = 16;
    public const int EEXIST = 17;
    public const int ENODEV = 19;
    public const int EINVAL = 22;
    public const int EMSGSIZE = 90;
    public const int EAFNOSUPPORT = 97;
    public const int ENETDOWN = 100;
    public const int ENOBUFS = 105;
    public const int EBADFD = 77;

    // socket(2)
    public const int AF_UNIX = 1;
    public const int AF_INET = 2;
    public const int AF_PACKET = 17;
    public const int SOCK_DGRAM = 2;
    public const int SOCK_RAW = 3;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int MSG_DONTWAIT = 0x40;
    public const int SOL_SOCKET = 1;
    public const int SO_ATTACH_FILTER = 26;
    public const int SO_DETACH_FILTER = 27;
    public const int SO_MARK = 36;
    public const int SO_ERROR = 4;
    public const int ENOLINK = 67;

    // open(2), mmap(2), poll(2)
    public const int O_RDWR = 2;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;
    public const int PROT_READ = 1;
    public const int PROT_WRITE = 2;
    public const int MAP_SHARED = 1;
    public const short POLLIN = 1;
    public const short POLLOUT = 4;
    public const short POLLERR = 8;
    public const short POLLHUP = 16;
    public const short POLLNVAL = 32;

    // eventfd(2)
    public const int EFD_NONBLOCK = 0x800;
    public const int EFD_CLOEXEC = 0x80000;

    // bpf(2): commands, program and attach types, flags (linux/bpf.h)
    public const int BPF_PROG_LOAD = 5;
    public const int BPF_PROG_QUERY = 16;
    public const int BPF_LINK_CREATE = 28;
    public const int BPF_LINK_UPDATE = 29;
    public const uint BPF_PROG_TYPE_SCHED_CLS = 3;
    public const uint BPF_TCX_INGRESS = 46;
    public const uint BPF_TCX_EGRESS = 47;
    public const uint BPF_F_BEFORE = 1u << 3;
    public const int BPF_F_INGRESS = 1;
    public const int BPF_FUNC_redirect = 23;
    public const int TCX_NEXT = -1;
    public const int TCX_DROP = 2;

    /// <summary>Classic BPF: the offset of the skb ancillary data, and the mark in it (SKF_AD_OFF + SKF_AD_MARK).</summary>
    public const uint SKF_AD_MARK = 0xfffff000 + 20;

    // linux/if_ether.h, linux/if_packet.h
    public const ushort ETH_P_ALL = 0x0003;
    public const int SOL_PACKET = 263;
    public const int PACKET_ADD_MEMBERSHIP = 1;
    public const int PACKET_RX_RING = 5;
    public const int PACKET_STATISTICS = 6;
    public const int PACKET_VERSION = 10;
    public const int PACKET_RESERVE = 12;
    public const int PACKET_TX_RING = 13;
    public const int PACKET_LOSS = 14;
    public const int PACKET_FANOUT = 18;
    public const int PACKET_IGNORE_OUTGOING = 23;
    public const int PACKET_MR_PROMISC = 1;
    public const int PACKET_OUTGOING = 4;
    public const int TPACKET_V3 = 2;
    public const int PACKET_FANOUT_HASH = 0;
    public const int PACKET_FANOUT_FLAG_UNIQUEID = 0x2000;
    public const int PACKET_FANOUT_FLAG_IGNORE_OUTGOING = 0x4000;

    // tp_status values
    public const uint TP_STATUS_KERNEL = 0;
    public const uint TP_STATUS_USER = 1;
    public const uint TP_STATUS_AVAILABLE = 0;
    public const uint TP_STATUS_SEND_REQUEST = 1;
    public const uint TP_STATUS_SENDING = 2;
    public const uint TP_STATUS_WRONG_FORMAT = 4;
    public const uint TP_STATUS_CSUMNOTREADY = 0x8;
    public const uint TP_STATUS_VLAN_VALID = 0x10;
    public const uint TP_STATUS_VLAN_TPID_VALID = 0x40;

    /// <summary>TPACKET_ALIGN(sizeof(struct tpacket3_hdr)): where the sockaddr_ll follows the frame header.</summary>
    public const int Tpacket3HeaderLength = 48;

    /// <summary>TPACKET3_HDRLEN: the frame header plus its sockaddr_ll (the kernel's <c>tp_hdrlen</c>).</summary>
    public const int Tpacket3HdrLen = Tpacket3HeaderLength + 20;

    // tpacket_block_desc field offsets (version, offset_to_priv, then tpacket_hdr_v1)
    public const int BlockStatusOffset = 8;
    public const int BlockNumPacketsOffset = 12;
    public const int BlockFirstPacketOffset = 16;

    // tpacket3_hdr field offsets
    public const int FrameNextOffset = 0;
    public const int FrameSnapLenOffset = 12;
    public const int FrameLenOffset = 16;
    public const int FrameStatusOffset = 20;
    public const int FrameMacOffset = 24;
    public const int FrameVlanTciOffset = 32;
    public const int FrameVlanTpidOffset = 36;
    public const int FramePacketTypeOffset = Tpacket3HeaderLength + 10; // sockaddr_ll.sll_pkttype

    // ioctl(2) requests (linux/sockios.h, linux/if_tun.h)
    public const uint SIOCGIFNAME = 0x8910;
    public const uint SIOCGIFFLAGS = 0x8913;
    public const uint SIOCSIFFLAGS = 0x8914;
    public const uint SIOCGIFMTU = 0x8921;
    public const uint SIOCSIFMTU = 0x8922;
    public const uint TUNSETIFF = 0x400454ca;
    public const uint TUNGETIFF = 0x800454d2;
    public const short IFF_UP = 0x1;
    public const short IFF_TAP = 0x0002;
    public const short IFF_MULTI_QUEUE = 0x0100;
    public const short IFF_NO_PI = 0x1000;
    public const short IFF_NOARP = 0x80;
    public const int IFNAMSIZ = 16;
    public const uint SIOCGIFINDEX = 0x8933;

    // setns(2), capget(2)
    public const int CLONE_NEWNET = 0x40000000;
    public const uint LINUX_CAPABILITY_VERSION_3 = 0x20080522;
    public const int CAP_NET_ADMIN = 12;
    public const int CAP_NET_RAW = 13;
    public const int CAP_SYS_ADMIN = 21;
    public const int CAP_BPF = 39;

    /// <summary>struct tpacket_req3.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct TpacketReq3
    {
        public uint BlockSize;
        public uint BlockCount;
        public uint FrameSize;
        public uint FrameCount;
        public uint RetireBlockTimeoutMs;
        public uint SizeOfPriv;
        public uint FeatureReqWord;
    }

    /// <summary>struct tpacket_stats_v3.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct TpacketStatsV3
    {
        public uint Packets;
        public uint Drops;
        public uint FreezeQueueCount;
    }

    /// <summary>struct sockaddr_ll (20 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SockaddrLl
    {
        public ushort Family;
        public ushort Protocol; // network byte order
        public int IfIndex;
        public ushort HaType;
        public byte PacketType;
        public byte HaLength;
        public ulong Address;
    }

    /// <summary>struct packet_mreq.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PacketMreq
    {
        public int IfIndex;
        public ushort Type;
        public ushort AddressLength;
        public ulong Address;
    }

    /// <summary>struct sock_filter (one classic BPF instruction).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SockFilter
    {
        public ushort Code;
        public byte JumpTrue;
        public byte JumpFalse;
        public uint K;
    }

    /// <summary>struct sock_fprog.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SockFprog
    {
        public ushort Length;
        public SockFilter* Filter;
    }

    /// <summary>struct ifreq (40 bytes): the name, then a 24-byte union of which we use flags, mtu or an int.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 40)]
    public struct IfReq
    {
        public fixed byte Name[IFNAMSIZ];
        public int Value; // ifr_flags (short, low half on little endian), ifr_mtu, ifr_ifindex
        private fixed byte _rest[20];
    }

    /// <summary>struct pollfd.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <summary>struct __user_cap_header_struct.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct CapHeader
    {
        public uint Version;
        public int Pid;
    }

    /// <summary>struct __user_cap_data_struct (two of them for version 3).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct CapData
    {
        public uint Effective;
        public uint Permitted;
        public uint Inheritable;
    }

    [LibraryImport(Lib, EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport(Lib, EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int name, void* value, uint length);

    [LibraryImport(Lib, EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(int fd, int level, int name, void* value, uint* length);

    [LibraryImport(Lib, EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(int fd, void* address, uint length);

    [LibraryImport(Lib, EntryPoint = "sendto", SetLastError = true)]
    public static partial nint SendTo(int fd, void* buffer, nuint length, int flags, void* address, uint addressLength);

    [LibraryImport(Lib, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, void* buffer, nuint count);

    [LibraryImport(Lib, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport(Lib, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initialValue, int flags);

    // The generic system call entry (for bpf(2), which glibc does not wrap); its variadic arguments are all integers.
    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)]
    public static partial nint Syscall(nint number, nint argument1, nint argument2, nint argument3);

    [LibraryImport(Lib, EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport(Lib, EntryPoint = "mmap", SetLastError = true)]
    public static partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport(Lib, EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(void* address, nuint length);

    // ioctl is variadic in C; a pointer third argument is passed the same way on x86_64 and arm64.
    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, void* argument);

    [LibraryImport(Lib, EntryPoint = "if_nametoindex", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial uint IfNameToIndex(string name);

    [LibraryImport(Lib, EntryPoint = "geteuid")]
    public static partial uint GetEuid();

    [LibraryImport(Lib, EntryPoint = "setns", SetLastError = true)]
    public static partial int SetNs(int fd, int namespaceType);

    // pid 0: the calling thread.
    [LibraryImport(Lib, EntryPoint = "sched_setaffinity", SetLastError = true)]
    public static partial int SchedSetAffinity(int pid, nuint size, ulong* mask);

    [LibraryImport(Lib, EntryPoint = "sched_getaffinity", SetLastError = true)]
    public static partial int SchedGetAffinity(int pid, nuint size, ulong* mask);

    [LibraryImport(Lib, EntryPoint = "capget", SetLastError = true)]
    public static partial int CapGet(CapHeader* header, CapData* data);

    [LibraryImport(Lib, EntryPoint = "capset", SetLastError = true)]
    public static partial int CapSet(CapHeader* header, CapData* data);

    /// <summary>Host to network byte order for 16 bits.</summary>
    public static ushort Htons(ushort value) => BitConverter.IsLittleEndian ? (ushort)((value >> 8) | (value << 8)) : value;

    /// <summary>Writes <paramref name="name"/> into an ifreq (validated by the caller: ASCII, shorter than IFNAMSIZ).</summary>
    public static IfReq IfReqFor(string name)
    {
        var request = default(IfReq);
        for (var i = 0; i < name.Length; i++)
        {
            request.Name[i] = (byte)name[i];
        }

        return request;
    }
}
