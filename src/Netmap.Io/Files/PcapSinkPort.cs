using Netmap.Io.Memory;
using Netmap.Io.Ports;
using Netmap.Io.Rings;

namespace Netmap.Io.Files;

/// <summary>
/// A <c>pcap-out:PATH</c> port: packets written to a pcap file (classic, µs, Ethernet; see
/// <see cref="PcapWriter"/>). It has one TX ring and no RX ring; each TxSync writes the packets in
/// [HwCur, RHead) as records (a MOREFRAG chain as one record), flushes the file and completes them at once.
/// The file is created (or truncated) at open, its directories included; each open is a fresh port, and a
/// path open in another <c>pcap-out:</c> port of the domain is busy.
/// </summary>
/// <remarks>
/// Records are stamped with the clock's UTC time at the sync (<see cref="PcapOptions.Clock"/>). A trailing
/// chain whose last fragment has not been sent stays with the port until it has.
/// Ownership: the TX ring's buffers are the port's, one per slot; the slots come back to the user as soon as
/// their packets are written (HwTail = Prev(HwCur)). The file is closed when the port is destroyed.
/// Thread: TxSync runs on one thread at a time (the ring's busy flag).
/// </remarks>
public sealed class PcapSinkPort : Port
{
    private readonly PcapWriter _writer;
    private readonly TimeProvider _clock;
    private long _written;
    private NetmapException? _writeError;

    private PcapSinkPort(NetmapDomain domain, string name, BufferArena arena, ushort memId, string spec, string path, string fullPath,
        PcapWriter writer, TimeProvider clock, uint txSlots)
        : base(domain, name, arena, memId)
    {
        Spec = spec;
        FilePath = path;
        FullPath = fullPath;
        _writer = writer;
        _clock = clock;
        CreateRings(1, 0, 0, 0, txSlots, 1);
        try
        {
            AllocRingBuffers(TxRingArray[0]);
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

    /// <summary>The file's absolute path (the key that makes a second open of the same file busy).</summary>
    public string FullPath { get; }

    /// <summary>Packets written so far.</summary>
    public long PacketsWritten => Interlocked.Read(ref _written);

    /// <summary>Creates the file (and its directories) and writes its header, then creates the port.</summary>
    internal static PcapSinkPort Create(NetmapDomain domain, string name, BufferArena arena, ushort memId, string spec, string path,
        string fullPath, TimeProvider clock, uint txSlots)
    {
        var stream = PcapFormat.OpenFile(spec, path, write: true);
        PcapWriter writer;
        try
        {
            writer = new PcapWriter(stream);
            writer.Flush(); // a valid, empty capture from the start
        }
        catch (IOException ex)
        {
            try
            {
                stream.Dispose(); // tries to write the header once more, and fails as the flush did (/dev/full)
            }
            catch (IOException)
            {
            }

            return ThrowHelper.Netmap<PcapSinkPort>(NetmapError.EIO, spec, $"cannot write '{path}': {ex.Message}");
        }

        try
        {
            return new PcapSinkPort(domain, name, arena, memId, spec, path, fullPath, writer, clock, txSlots);
        }
        catch
        {
            writer.Dispose();
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

    /// <summary>Never called: the port has no RX ring.</summary>
    protected internal override void RxSync(Ring ring) =>
        ThrowHelper.Netmap(NetmapError.EOPNOTSUPP, Spec, "a pcap sink cannot receive");

    /// <summary>
    /// Writes the whole packets in [HwCur, RHead) to the file, each MOREFRAG chain gathered into one record
    /// (fragments at their offsets, lengths clamped to the buffer), flushes, and completes them:
    /// HwCur moves past them and HwTail to the slot before HwCur. A trailing incomplete chain waits.
    /// </summary>
    protected internal override void TxSync(Ring ring)
    {
        if (_writeError is not null)
        {
            throw _writeError;
        }

        var k = ring.HwCur;
        var head = ring.RHead;
        if (k == head)
        {
            return;
        }

        var timestampNs = (_clock.GetUtcNow().UtcTicks - DateTime.UnixEpoch.Ticks) * 100;
        var arena = Arena;
        try
        {
            while (k != head)
            {
                // Find the chain's end first: a record's header holds the whole length.
                var end = k;
                var total = 0;
                var complete = false;
                while (end != head)
                {
                    ref var slot = ref ring[end];
                    total += FragmentLength(ring, in slot);
                    end = ring.Next(end);
                    if ((slot.Flags & SlotFlags.MoreFrag) == 0)
                    {
                        complete = true;
                        break;
                    }
                }

                if (!complete)
                {
                    break;
                }

                _writer.BeginRecord(timestampNs, total, total);
                for (var s = k; s != end; s = ring.Next(s))
                {
                    ref var slot = ref ring[s];
                    slot.Flags &= ~SlotFlags.BufChanged;
                    _writer.WriteData(arena.GetBuffer(slot.BufIdx).Slice(ring.ReadOffset(in slot), FragmentLength(ring, in slot)));
                }

                _written++;
                k = end;
            }

            _writer.Flush();
        }
        catch (IOException ex)
        {
            // The file may hold half a record now: the sink stops here, and says so at every later sync.
            _writeError = new NetmapException(NetmapError.EIO, Spec, $"cannot write '{FilePath}' after {_written} packets: {ex.Message}");
            Complete(ring, k);
            throw _writeError;
        }

        Complete(ring, k);
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
            Domain.RemovePcapSink(this);
            try
            {
                _writer.Dispose();
            }
            catch (IOException)
            {
                // Every sync flushed: nothing is lost but what its own sync already reported.
            }
        }
    }

    private static int FragmentLength(Ring ring, in Slot slot)
    {
        var offset = ring.ReadOffset(in slot);
        var room = ring.BufferSize - offset;
        return slot.Len > room ? room : slot.Len;
    }

    private static void Complete(Ring ring, uint k)
    {
        ring.HwCur = k;
        // The port keeps nothing: every slot before HwCur is the user's again.
        Volatile.Write(ref ring.HwTail, ring.Prev(k));
    }
}
