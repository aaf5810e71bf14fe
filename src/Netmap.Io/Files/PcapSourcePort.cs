using Netmap.Io.Memory;
using Netmap.Io.Ports;
using Netmap.Io.Rings;

namespace Netmap.Io.Files;

/// <summary>
/// A <c>pcap:PATH</c> port: packets read from a pcap or pcapng file. It has one RX ring and no TX ring; each
/// RxSync copies the file's next packets into the free slots, at each slot's offset, a packet longer than
/// the room after the offset continuing in the next slots as a MOREFRAG chain. Only whole packets are
/// published. Each open is a fresh port that reads the file from its start.
/// </summary>
/// <remarks>
/// Pacing, loops and speed come from <see cref="RegisterOptions.Pcap"/>. When the file is done (every loop
/// played) <see cref="EndOfInput"/> turns true in the sync that published the last packet; a truncated or
/// corrupt record ends the input early: the packets before it are published, then <see cref="InputError"/>
/// says what and where (the byte offset), and <see cref="EndOfInput"/> turns true.
/// Ownership: the RX ring's buffers are the port's, one per slot, as a NIC's are; the user may swap buffers
/// into the slots it owns, and the port writes into whatever buffer a released slot carries. The file is
/// closed when the port is destroyed (its last handle closed).
/// Thread: RxSync runs on one thread at a time (the ring's busy flag); <see cref="EndOfInput"/>,
/// <see cref="InputError"/> and the counters may be read from any thread.
/// </remarks>
public sealed class PcapSourcePort : Port
{
    private const int TooManyFragments = -2;
    private const int NoRoom = -1;

    private readonly PcapReader _reader;
    private readonly TimeProvider _clock;
    private readonly byte[] _staging = new byte[PcapFormat.MaxCapturedLength];
    private PcapPacketInfo _pending;
    private bool _hasPending;
    private bool _exhausted;
    private int _passesDone;
    private long _readThisPass;
    private bool _passStarted;
    private long _passStartTicks;
    private long _passFirstNs;
    private long _published;
    private long _oversizeDrops;
    private NetmapException? _inputError;
    private volatile bool _ended;

    private PcapSourcePort(NetmapDomain domain, string name, BufferArena arena, ushort memId, string spec, string path, string fullPath,
        PcapReader reader, PcapOptions options, uint rxSlots)
        : base(domain, name, arena, memId)
    {
        Spec = spec;
        FilePath = path;
        FullPath = fullPath;
        Options = options;
        _reader = reader;
        _clock = options.Clock;
        CreateRings(0, 1, 0, 0, 1, rxSlots);
        try
        {
            AllocRingBuffers(RxRingArray[0]);
        }
        catch (NetmapException)
        {
            Destroy();
            throw;
        }
    }

    /// <summary>The spec the port was opened with (the subject of its errors).</summary>
    public string Spec { get; }

    /// <summary>The file's path, as given.</summary>
    public string FilePath { get; }

    /// <summary>The file's absolute path, through a link at its end (the key that makes a <c>pcap-out:</c> of the same file busy).</summary>
    public string FullPath { get; }

    /// <summary>The replay options.</summary>
    public PcapOptions Options { get; }

    /// <summary>Packets published into the RX ring so far (over every loop).</summary>
    public long PacketsPublished => Interlocked.Read(ref _published);

    /// <summary>
    /// Packets skipped because they can never fit: more than <see cref="Ring.MaxFragments"/> fragments, or more
    /// than the ring's N - 1 slots at the slots' offsets.
    /// </summary>
    public long OversizeDrops => Interlocked.Read(ref _oversizeDrops);

    /// <inheritdoc/>
    public override bool EndOfInput => _ended;

    /// <inheritdoc/>
    public override NetmapException? InputError => Volatile.Read(ref _inputError);

    /// <summary>Opens the file and reads its header, then creates the port; the file is the port's from then on.</summary>
    internal static PcapSourcePort Create(NetmapDomain domain, string name, BufferArena arena, ushort memId, string spec, string path,
        string fullPath, PcapOptions options, uint rxSlots)
    {
        var stream = PcapFormat.OpenFile(spec, path, write: false);
        PcapReader reader;
        try
        {
            reader = new PcapReader(stream, path);
        }
        catch (NetmapException ex)
        {
            stream.Dispose();
            // The reader names the file; the port's errors start with the spec (which holds the path).
            throw new NetmapException(ex.Code, spec, ex.Reason);
        }

        try
        {
            return new PcapSourcePort(domain, name, arena, memId, spec, path, fullPath, reader, options, rxSlots);
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    internal override void ValidateMode(RegisterMode mode, string spec)
    {
        if (mode is not (RegisterMode.AllNic or RegisterMode.OneNic))
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, spec, $"a pcap port takes only the ALL_NIC or ONE_NIC mode, not {mode}");
        }
    }

    /// <summary>Never called: the port has no TX ring.</summary>
    protected internal override void TxSync(Ring ring) =>
        ThrowHelper.Netmap(NetmapError.EOPNOTSUPP, Spec, "a pcap source cannot transmit");

    /// <summary>
    /// Takes back the released slots [HwCur, RHead), then fills the free slots [HwTail, Prev(HwCur)) with the
    /// next whole packets the pace allows, and publishes them by moving HwTail.
    /// </summary>
    protected internal override void RxSync(Ring ring)
    {
        var head = ring.RHead;
        ring.HwCur = head;
        if (_ended)
        {
            return;
        }

        var numSlots = ring.NumSlots;
        var tail = ring.HwTail;
        var free = Distance(tail, ring.Prev(head), numSlots);
        var recorded = Options.Pace == PcapPace.Recorded;
        var published = 0;
        while (true)
        {
            if (!_hasPending && !StageNext())
            {
                break;
            }

            if (recorded && !IsDue())
            {
                break;
            }

            var needed = FragmentsNeeded(ring, tail, _pending.Length, free);
            if (needed < 0)
            {
                // Waiting helps only if the user still holds slots and the chain is within netmap's limit.
                if (needed == NoRoom && free != numSlots - 1)
                {
                    break;
                }

                _oversizeDrops++;
                _hasPending = false;
                continue;
            }

            tail = Scatter(ring, tail, needed);
            free -= (uint)needed;
            _hasPending = false;
            published++;
        }

        Interlocked.Add(ref _published, published);
        // Release: the user reads HwTail (through Tail), then the slots before it; they must be written first.
        Volatile.Write(ref ring.HwTail, tail);
        if (_exhausted && !_hasPending)
        {
            // After HwTail: whoever sees the end sees every packet published before it.
            _ended = true;
        }
    }

    internal override void Destroy()
    {
        if (IsDestroyed)
        {
            return;
        }

        try
        {
            base.Destroy();
        }
        finally
        {
            Domain.RemovePcapSource(this);
            _reader.Dispose();
        }
    }

    /// <summary>Reads the next packet into the staging buffer, looping over the file as asked; false when the input is over.</summary>
    private bool StageNext()
    {
        if (_exhausted)
        {
            return false;
        }

        try
        {
            while (true)
            {
                if (_reader.TryReadPacket(_staging, out _pending))
                {
                    _hasPending = true;
                    _readThisPass++;
                    return true;
                }

                _passesDone++;
                // A file without packets ends even a loop forever: there is nothing to replay.
                if ((Options.Loop != 0 && _passesDone >= Options.Loop) || _readThisPass == 0)
                {
                    _exhausted = true;
                    return false;
                }

                _reader.Rewind();
                _readThisPass = 0;
                _passStarted = false;
            }
        }
        catch (NetmapException ex)
        {
            Volatile.Write(ref _inputError, new NetmapException(ex.Code, Spec, ex.Reason));
            _exhausted = true;
            return false;
        }
    }

    /// <summary>Recorded pace: is the staged packet's time (relative to the pass's first packet, over the speed) reached?</summary>
    private bool IsDue()
    {
        var now = _clock.GetTimestamp();
        if (!_passStarted)
        {
            _passStarted = true;
            _passStartTicks = now;
            _passFirstNs = _pending.TimestampNs;
            return true;
        }

        var dueNs = (_pending.TimestampNs - _passFirstNs) / Options.Speed;
        if (dueNs <= 0)
        {
            return true;
        }

        var elapsedNs = (now - _passStartTicks) * (1e9 / _clock.TimestampFrequency);
        return elapsedNs >= dueNs;
    }

    /// <summary>Slots a packet of <paramref name="length"/> bytes takes from <paramref name="from"/> on, at the slots' offsets; NoRoom or TooManyFragments.</summary>
    private static int FragmentsNeeded(Ring ring, uint from, int length, uint free)
    {
        var bufferSize = ring.BufferSize;
        var k = from;
        var left = length;
        var count = 0;
        while (true)
        {
            if (count == free)
            {
                return NoRoom;
            }

            if (count == Ring.MaxFragments)
            {
                return TooManyFragments;
            }

            count++;
            var room = bufferSize - ring.ReadOffset(in ring[k]);
            if (left <= room)
            {
                return count;
            }

            left -= room;
            k = ring.Next(k);
        }
    }

    /// <summary>Copies the staged packet into <paramref name="fragments"/> slots from <paramref name="from"/>; returns the slot after them.</summary>
    private uint Scatter(Ring ring, uint from, int fragments)
    {
        var data = _staging.AsSpan(0, _pending.Length);
        var arena = Arena;
        var bufferSize = ring.BufferSize;
        var k = from;
        for (var i = 0; i < fragments; i++)
        {
            ref var slot = ref ring[k];
            var offset = ring.ReadOffset(in slot);
            var n = Math.Min(bufferSize - offset, data.Length);
            data[..n].CopyTo(arena.GetBuffer(slot.BufIdx).Slice(offset, n));
            slot.Len = (ushort)n;
            slot.Flags = i == fragments - 1 ? SlotFlags.None : SlotFlags.MoreFrag;
            data = data[n..];
            k = ring.Next(k);
        }

        return k;
    }

    private static uint Distance(uint from, uint to, uint numSlots) => to >= from ? to - from : to + numSlots - from;
}
