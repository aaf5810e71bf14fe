using System.Buffers.Binary;
using Netmap.Io.Linux.Interop;
using Netmap.Io.Ports.Nic;

namespace Netmap.Io.Linux;

/// <summary>
/// One queue of an <see cref="AfPacketBackend"/>: a packet socket with a TPACKET_V3 RX ring (block based, the
/// kernel fills whole blocks and hands them over) and a TPACKET_V3 TX ring (frame based: block transmit is not
/// implemented by the kernel), both in one shared mapping.
/// </summary>
/// <remarks>
/// Ownership: an RX block belongs to the kernel until its status has TP_STATUS_USER, then to this queue until
/// every frame in it was released, when the status goes back to TP_STATUS_KERNEL. A TX frame belongs to this
/// queue while TP_STATUS_AVAILABLE, to the kernel from TP_STATUS_SEND_REQUEST until it is transmitted.
/// Thread: one thread at a time per queue (the one syncing the port's ring of this queue).
/// </remarks>
internal sealed unsafe class AfPacketQueue : IDisposable
{
    private const int VlanTagLength = 4;

    private readonly FileDescriptor _fd;
    private readonly MappedMemory _map;
    private readonly int _socket;
    private long _kernelDrops; // added to by any thread that collects the kernel's count

    private readonly byte* _rx;
    private readonly int _rxBlockSize;
    private readonly int _rxBlockCount;
    private int _rxBlock;
    private byte* _rxDesc;
    private uint _rxLeft;
    private byte* _rxFrame;
    private bool _held;
    private byte* _heldData;
    private int _heldLength;

    private readonly byte* _tx;
    private readonly int _txFrameSize;
    private readonly int _txFrameCount;
    private readonly int _maxUntagged;
    private readonly int _maxTagged;
    private int _txCur;
    private bool _kick;
    private int _ifIndex;

    private AfPacketQueue(FileDescriptor fd, MappedMemory map, in LibC.TpacketReq3 rx, in LibC.TpacketReq3 tx, int mtu)
    {
        _fd = fd;
        _map = map;
        _socket = fd.Fd;
        _rx = map.Pointer;
        _rxBlockSize = (int)rx.BlockSize;
        _rxBlockCount = (int)rx.BlockCount;
        _tx = map.Pointer + ((long)rx.BlockSize * rx.BlockCount);
        _txFrameSize = (int)tx.FrameSize;
        _txFrameCount = (int)tx.FrameCount;
        _maxUntagged = mtu + 14;
        _maxTagged = mtu + 14 + VlanTagLength;
    }

    /// <summary>The socket, for fanout and statistics.</summary>
    public int Socket => _socket;

    /// <summary>Frames handed to the caller.</summary>
    public long ReceivedFrames { get; private set; }

    /// <summary>Bytes of the frames handed to the caller.</summary>
    public long ReceivedBytes { get; private set; }

    /// <summary>Frames the ring held that the interface sent (the host stack's or another socket's): not wire RX, skipped.</summary>
    public long SkippedOutgoing { get; private set; }

    /// <summary>Frames the kernel cut short (longer than an RX block): dropped.</summary>
    public long Truncated { get; private set; }

    /// <summary>Received frames whose checksum the sender had left to an offload (TP_STATUS_CSUMNOTREADY), completed in software.</summary>
    public long ChecksumsCompleted { get; private set; }

    /// <summary>Frames queued for the wire.</summary>
    public long SentFrames { get; private set; }

    /// <summary>Bytes of the frames queued for the wire.</summary>
    public long SentBytes { get; private set; }

    /// <summary>Frames refused because they are shorter than an Ethernet header or longer than the MTU allows: dropped.</summary>
    public long TxBadLength { get; private set; }

    /// <summary>Kicks (sendto) that failed with something other than "no room now".</summary>
    public long TxKickErrors { get; private set; }

    /// <summary>Frames still requested (never sent) when the queue closed: the device was down or its queue full for good.</summary>
    public long TxUnsent { get; private set; }

    /// <summary>True when frames wait for a kick that found no room (EAGAIN, ENOBUFS) or failed: a later sync kicks again.</summary>
    public bool KickPending => _kick;

    /// <summary>Frames the kernel dropped because the RX ring was full (PACKET_STATISTICS, accumulated).</summary>
    public long KernelDrops => Volatile.Read(ref _kernelDrops);

    /// <summary>
    /// Opens the socket, sets both rings up, maps them and binds to <paramref name="ifIndex"/>. With
    /// <paramref name="quiet"/> a drop-all filter keeps the ring empty until <see cref="Unmute"/> (so sockets of a
    /// fanout group never each see a frame that arrives before the group is formed).
    /// </summary>
    public static AfPacketQueue Open(string subject, string ifName, int ifIndex, AfPacketOptions options, bool quiet)
    {
        var raw = LibC.Socket(LibC.AF_PACKET, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC | LibC.SOCK_NONBLOCK, 0);
        if (raw < 0)
        {
            throw LinuxErrors.Create(LinuxErrors.LastErrno, subject, "socket(AF_PACKET, SOCK_RAW)", "CAP_NET_RAW", ifName);
        }

        var fd = new FileDescriptor(raw);
        try
        {
            var mtu = NetInterface.GetMtu(raw, ifName);
            if (mtu < 0)
            {
                throw LinuxErrors.Create(LinuxErrors.LastErrno, subject, $"SIOCGIFMTU on {ifName}", "CAP_NET_RAW", ifName);
            }

            SetInt(subject, ifName, raw, LibC.PACKET_VERSION, LibC.TPACKET_V3, "PACKET_VERSION TPACKET_V3");
            // Room in front of each RX frame to put back a VLAN tag the kernel took out (see TryReceive).
            SetInt(subject, ifName, raw, LibC.PACKET_RESERVE, VlanTagLength, "PACKET_RESERVE");
            // A TX frame the kernel rejects is dropped and its slot freed, instead of stopping the ring.
            SetInt(subject, ifName, raw, LibC.PACKET_LOSS, 1, "PACKET_LOSS");
            // Best effort (Linux 4.20+): TryReceive skips outgoing frames anyway.
            var one = 1;
            _ = LibC.SetSockOpt(raw, LibC.SOL_PACKET, LibC.PACKET_IGNORE_OUTGOING, &one, sizeof(int));
            if (quiet)
            {
                var dropAll = new LibC.SockFilter { Code = 0x06 /* BPF_RET | BPF_K */, K = 0 };
                var program = new LibC.SockFprog { Length = 1, Filter = &dropAll };
                Check(subject, ifName, LibC.SetSockOpt(raw, LibC.SOL_SOCKET, LibC.SO_ATTACH_FILTER, &program, (uint)sizeof(LibC.SockFprog)), "SO_ATTACH_FILTER");
            }

            var rx = RxLayout(options, mtu);
            var tx = TxLayout(options, mtu);
            Check(subject, ifName, LibC.SetSockOpt(raw, LibC.SOL_PACKET, LibC.PACKET_RX_RING, &rx, (uint)sizeof(LibC.TpacketReq3)), "PACKET_RX_RING");
            Check(subject, ifName, LibC.SetSockOpt(raw, LibC.SOL_PACKET, LibC.PACKET_TX_RING, &tx, (uint)sizeof(LibC.TpacketReq3)), "PACKET_TX_RING (TPACKET_V3, Linux 4.11+)");

            var size = ((nuint)rx.BlockSize * rx.BlockCount) + ((nuint)tx.BlockSize * tx.BlockCount);
            var map = MappedMemory.Map(raw, size)
                ?? throw LinuxErrors.Create(LinuxErrors.LastErrno, subject, $"mmap of {size} bytes of packet rings", "CAP_NET_RAW", ifName);
            var queue = new AfPacketQueue(fd, map, rx, tx, mtu) { _ifIndex = ifIndex };
            try
            {
                var address = new LibC.SockaddrLl { Family = LibC.AF_PACKET, Protocol = LibC.Htons(LibC.ETH_P_ALL), IfIndex = ifIndex };
                Check(subject, ifName, LibC.Bind(raw, &address, (uint)sizeof(LibC.SockaddrLl)), $"bind to {ifName}");
                if (options.Promiscuous)
                {
                    // Tied to the socket: the kernel drops it when the socket closes, whatever happens to us.
                    var membership = new LibC.PacketMreq { IfIndex = ifIndex, Type = LibC.PACKET_MR_PROMISC };
                    Check(subject, ifName, LibC.SetSockOpt(raw, LibC.SOL_PACKET, LibC.PACKET_ADD_MEMBERSHIP, &membership, (uint)sizeof(LibC.PacketMreq)), "PACKET_MR_PROMISC");
                }

                return queue;
            }
            catch
            {
                queue.Dispose();
                throw;
            }
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>
    /// True once the interface the socket is bound to no longer exists in the socket's namespace (deleted, or moved to
    /// another namespace): SIOCGIFNAME on its index says ENODEV. One ioctl; ask now and then, not per packet.
    /// </summary>
    public bool DeviceGone()
    {
        var request = default(LibC.IfReq);
        request.Value = _ifIndex;
        return LibC.Ioctl(_socket, LibC.SIOCGIFNAME, &request) != 0 && LinuxErrors.LastErrno == LibC.ENODEV;
    }

    /// <summary>The MTU the rings were sized for, as the largest frame: MTU + Ethernet header + one VLAN tag.</summary>
    public int MaxFrameSize => _maxTagged;

    /// <summary>
    /// Joins hash fanout group <paramref name="group"/> with <paramref name="flags"/> (PACKET_FANOUT_FLAG_*; with
    /// UNIQUEID the group must be 0 and the kernel picks one). Returns the group id, or -1 with errno set.
    /// </summary>
    public int TryJoinFanout(int group, int flags)
    {
        var value = group | ((LibC.PACKET_FANOUT_HASH | flags) << 16);
        if (LibC.SetSockOpt(_socket, LibC.SOL_PACKET, LibC.PACKET_FANOUT, &value, sizeof(int)) != 0)
        {
            return -1;
        }

        var result = 0;
        var length = (uint)sizeof(int);
        return LibC.GetSockOpt(_socket, LibC.SOL_PACKET, LibC.PACKET_FANOUT, &result, &length) == 0 ? result & 0xffff : -1;
    }

    /// <summary>Removes the drop-all filter <see cref="Open"/> set with <c>quiet</c>.</summary>
    public void Unmute(string subject, string ifName)
    {
        var unused = 0;
        Check(subject, ifName, LibC.SetSockOpt(_socket, LibC.SOL_SOCKET, LibC.SO_DETACH_FILTER, &unused, sizeof(int)), "SO_DETACH_FILTER");
    }

    /// <summary>
    /// Netmap mode with host rings (<see cref="HostStackPath"/>) on or off: on, what this socket sends carries
    /// <see cref="Bpf.NicTxMark"/> (SO_MARK, CAP_NET_ADMIN), so IF's egress program lets it reach the wire, and a
    /// socket filter skips the frames a host TX ring injects into IF's receive path (<see cref="Bpf.HostTxMark"/>),
    /// which are the host stack's, not the wire's. Off: no mark, no filter.
    /// </summary>
    public void SetHostPath(string subject, string ifName, bool on)
    {
        var mark = on ? Bpf.NicTxMark : 0u;
        if (LibC.SetSockOpt(_socket, LibC.SOL_SOCKET, LibC.SO_MARK, &mark, sizeof(uint)) != 0)
        {
            throw LinuxErrors.Create(LinuxErrors.LastErrno, subject, "marking the NIC TX frames (SO_MARK)", "CAP_NET_ADMIN", ifName);
        }

        if (!on)
        {
            var unused = 0;
            _ = LibC.SetSockOpt(_socket, LibC.SOL_SOCKET, LibC.SO_DETACH_FILTER, &unused, sizeof(int)); // ENOENT when none
            return;
        }

        // ld mark; jeq HostTxMark ? drop : accept
        var program = stackalloc LibC.SockFilter[4];
        program[0] = new LibC.SockFilter { Code = 0x20 /* BPF_LD | BPF_W | BPF_ABS */, K = LibC.SKF_AD_MARK };
        program[1] = new LibC.SockFilter { Code = 0x15 /* BPF_JMP | BPF_JEQ | BPF_K */, JumpTrue = 0, JumpFalse = 1, K = Bpf.HostTxMark };
        program[2] = new LibC.SockFilter { Code = 0x06 /* BPF_RET | BPF_K */, K = 0 };
        program[3] = new LibC.SockFilter { Code = 0x06, K = uint.MaxValue };
        var fprog = new LibC.SockFprog { Length = 4, Filter = program };
        Check(subject, ifName, LibC.SetSockOpt(_socket, LibC.SOL_SOCKET, LibC.SO_ATTACH_FILTER, &fprog, (uint)sizeof(LibC.SockFprog)), "SO_ATTACH_FILTER (skip host TX frames)");
    }

    /// <summary>See <c>INicBackend.TryReceive</c>. Skips outgoing and truncated frames; puts a VLAN tag the kernel took out back in place.</summary>
    public bool TryReceive(out ReadOnlySpan<byte> frame)
    {
        if (_held)
        {
            frame = new ReadOnlySpan<byte>(_heldData, _heldLength);
            return true;
        }

        while (true)
        {
            if (_rxLeft == 0 && !TryOpenBlock())
            {
                frame = default;
                return false;
            }

            var header = _rxFrame;
            if (_rxLeft == 0)
            {
                continue; // an empty block was given back; look at the next one
            }

            if (header[LibC.FramePacketTypeOffset] == LibC.PACKET_OUTGOING)
            {
                SkippedOutgoing++;
                Advance();
                continue;
            }

            var snapLength = *(uint*)(header + LibC.FrameSnapLenOffset);
            var length = *(uint*)(header + LibC.FrameLenOffset);
            if (snapLength < length)
            {
                Truncated++;
                Advance();
                continue;
            }

            var data = header + *(ushort*)(header + LibC.FrameMacOffset);
            var status = *(uint*)(header + LibC.FrameStatusOffset);
            if ((status & LibC.TP_STATUS_VLAN_VALID) != 0 && length >= 12)
            {
                // The kernel moved the tag into metadata before the taps saw the frame: put it back, in place,
                // in the PACKET_RESERVE room in front of the frame (the block is ours until released).
                var tpid = (status & LibC.TP_STATUS_VLAN_TPID_VALID) != 0 ? *(ushort*)(header + LibC.FrameVlanTpidOffset) : (ushort)0x8100;
                var tci = (ushort)*(uint*)(header + LibC.FrameVlanTciOffset);
                Buffer.MemoryCopy(data, data - VlanTagLength, 12, 12);
                data -= VlanTagLength;
                BinaryPrimitives.WriteUInt16BigEndian(new Span<byte>(data + 12, 2), tpid);
                BinaryPrimitives.WriteUInt16BigEndian(new Span<byte>(data + 14, 2), tci);
                length += VlanTagLength;
            }

            if ((status & LibC.TP_STATUS_CSUMNOTREADY) != 0)
            {
                // Sent by this machine's own stack (over a veth, say) with its checksum left to an offload that never
                // ran: complete it, so the frame is what a wire would carry (and a host stack it is handed to accepts it).
                SoftwareChecksum.Fill(new Span<byte>(data, (int)length));
                ChecksumsCompleted++;
            }

            _held = true;
            _heldData = data;
            _heldLength = (int)length;
            ReceivedFrames++;
            ReceivedBytes += length;
            frame = new ReadOnlySpan<byte>(data, (int)length);
            return true;
        }
    }

    /// <summary>See <c>INicBackend.ReleaseReceived</c>: gives the block back once its last frame is released.</summary>
    public void ReleaseReceived()
    {
        if (!_held)
        {
            return;
        }

        _held = false;
        Advance();
    }

    /// <summary>See <c>INicBackend.TrySend</c>: false when the next TX frame is still the kernel's.</summary>
    public bool TrySend(ReadOnlySpan<byte> frame)
    {
        if ((uint)frame.Length > (uint)_maxUntagged || frame.Length < 14)
        {
            if (!FitsTagged(frame))
            {
                // The kernel would reject it (EMSGSIZE / EINVAL); refusing it here would block the ring for good.
                TxBadLength++;
                return true;
            }
        }

        var header = _tx + ((long)_txCur * _txFrameSize);
        // Acquire: the kernel's last writes to this frame (it was sent) happen before we reuse it.
        var status = Volatile.Read(ref *(uint*)(header + LibC.FrameStatusOffset));
        if ((status & (LibC.TP_STATUS_SEND_REQUEST | LibC.TP_STATUS_SENDING)) != 0)
        {
            return false;
        }

        frame.CopyTo(new Span<byte>(header + LibC.Tpacket3HeaderLength, _txFrameSize - LibC.Tpacket3HeaderLength));
        *(uint*)(header + LibC.FrameNextOffset) = 0;
        *(uint*)(header + LibC.FrameLenOffset) = (uint)frame.Length;
        *(uint*)(header + LibC.FrameSnapLenOffset) = (uint)frame.Length;
        // Release: the frame bytes and length are visible to the kernel before it sees SEND_REQUEST.
        Volatile.Write(ref *(uint*)(header + LibC.FrameStatusOffset), LibC.TP_STATUS_SEND_REQUEST);
        _txCur = _txCur + 1 == _txFrameCount ? 0 : _txCur + 1;
        _kick = true;
        SentFrames++;
        SentBytes += frame.Length;
        return true;
    }

    /// <summary>See <c>INicBackend.FlushSend</c>: one sendto that makes the kernel transmit every requested frame.</summary>
    public void FlushSend()
    {
        if (!_kick)
        {
            return;
        }

        if (LibC.SendTo(_socket, null, 0, LibC.MSG_DONTWAIT, null, 0) >= 0)
        {
            _kick = false;
            return;
        }

        // No room in the device queue now (EAGAIN, ENOBUFS), or the device is down (ENETDOWN): the frames stay
        // requested and _kick stays set, so the next sync kicks again (KickPending), new frames or not.
        var errno = LinuxErrors.LastErrno;
        if (errno is not (LibC.EAGAIN or LibC.ENOBUFS or LibC.EINTR))
        {
            TxKickErrors++;
        }
    }

    /// <summary>
    /// Adds the kernel's drop count since the last call (PACKET_STATISTICS resets on read) to <see cref="KernelDrops"/>.
    /// After <see cref="Dispose"/> it does nothing: the count was collected on the way out, and the descriptor's
    /// number may already name another socket, whose count a read would steal.
    /// </summary>
    public void CollectKernelStatistics()
    {
        var added = false;
        try
        {
            _fd.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        try
        {
            var stats = default(LibC.TpacketStatsV3);
            var length = (uint)sizeof(LibC.TpacketStatsV3);
            if (LibC.GetSockOpt(_socket, LibC.SOL_PACKET, LibC.PACKET_STATISTICS, &stats, &length) == 0)
            {
                Interlocked.Add(ref _kernelDrops, stats.Drops); // readers of several threads may collect at once
            }
        }
        finally
        {
            if (added)
            {
                _fd.DangerousRelease();
            }
        }
    }

    /// <summary>Collects the kernel's last drop count (it would go with the socket), then closes the socket and unmaps the rings.</summary>
    public void Dispose()
    {
        CollectKernelStatistics();
        FlushSend(); // one last kick for what waits; what the kernel still has not taken is counted, not lost silently
        TxUnsent = CountRequested();
        _map.Dispose();
        _fd.Dispose();
    }

    // TX frames the kernel has not transmitted yet (status SEND_REQUEST or SENDING).
    private long CountRequested()
    {
        long requested = 0;
        for (var i = 0; i < _txFrameCount; i++)
        {
            var status = Volatile.Read(ref *(uint*)(_tx + ((long)i * _txFrameSize) + LibC.FrameStatusOffset));
            if ((status & (LibC.TP_STATUS_SEND_REQUEST | LibC.TP_STATUS_SENDING)) != 0)
            {
                requested++;
            }
        }

        return requested;
    }

    private static LibC.TpacketReq3 RxLayout(AfPacketOptions options, int mtu)
    {
        // A block must hold the largest frame with its headers; the frame size only has to divide the block.
        var blockSize = Math.Max(RoundUpPow2(options.RxBlockSize), RoundUpPow2(mtu + 14 + VlanTagLength + 256));
        const int frameSize = 2048;
        return new LibC.TpacketReq3
        {
            BlockSize = (uint)blockSize,
            BlockCount = (uint)options.RxBlockCount,
            FrameSize = frameSize,
            FrameCount = (uint)(blockSize / frameSize * options.RxBlockCount),
            RetireBlockTimeoutMs = (uint)options.RxBlockTimeoutMs,
        };
    }

    private static LibC.TpacketReq3 TxLayout(AfPacketOptions options, int mtu)
    {
        var frameSize = Math.Max(2048, RoundUpPow2(mtu + 14 + VlanTagLength + LibC.Tpacket3HeaderLength));
        var blockSize = Math.Max(frameSize, 64 * 1024);
        var perBlock = blockSize / frameSize;
        var blocks = (options.TxFrames + perBlock - 1) / perBlock;
        return new LibC.TpacketReq3
        {
            BlockSize = (uint)blockSize,
            BlockCount = (uint)blocks,
            FrameSize = (uint)frameSize,
            FrameCount = (uint)(blocks * perBlock),
        };
    }

    private static int RoundUpPow2(int value) => (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(value, 4096));

    private static void SetInt(string subject, string ifName, int fd, int option, int value, string what) =>
        Check(subject, ifName, LibC.SetSockOpt(fd, LibC.SOL_PACKET, option, &value, sizeof(int)), what);

    private static void Check(string subject, string ifName, int result, string operation)
    {
        if (result != 0)
        {
            throw LinuxErrors.Create(LinuxErrors.LastErrno, subject, operation, "CAP_NET_RAW", ifName);
        }
    }

    private bool FitsTagged(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 14 || frame.Length > _maxTagged)
        {
            return false;
        }

        var type = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        return type is 0x8100 or 0x88a8;
    }

    private bool TryOpenBlock()
    {
        var desc = _rx + ((long)_rxBlock * _rxBlockSize);
        // Acquire: the kernel's frame writes happen before its TP_STATUS_USER store.
        if ((Volatile.Read(ref *(uint*)(desc + LibC.BlockStatusOffset)) & LibC.TP_STATUS_USER) == 0)
        {
            return false;
        }

        _rxDesc = desc;
        _rxLeft = *(uint*)(desc + LibC.BlockNumPacketsOffset);
        _rxFrame = desc + *(uint*)(desc + LibC.BlockFirstPacketOffset);
        if (_rxLeft == 0)
        {
            ReleaseBlock();
        }

        return true;
    }

    private void Advance()
    {
        if (--_rxLeft == 0)
        {
            ReleaseBlock();
        }
        else
        {
            _rxFrame += *(uint*)(_rxFrame + LibC.FrameNextOffset);
        }
    }

    private void ReleaseBlock()
    {
        // Release: our reads of (and VLAN writes into) the block happen before the kernel may refill it.
        Volatile.Write(ref *(uint*)(_rxDesc + LibC.BlockStatusOffset), LibC.TP_STATUS_KERNEL);
        _rxDesc = null;
        _rxBlock = _rxBlock + 1 == _rxBlockCount ? 0 : _rxBlock + 1;
    }
}
