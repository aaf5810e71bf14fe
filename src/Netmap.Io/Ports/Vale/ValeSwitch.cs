using System.Runtime.CompilerServices;
using Netmap.Io.Memory;
using Netmap.Io.Rings;

namespace Netmap.Io.Ports.Vale;

/// <summary>
/// A VALE software switch (netmap's <c>nm_bridge</c>, notes §7): up to 254 port slots, a replaceable lookup
/// (the learning bridge by default) and the forwarding loop run by each source port's TxSync. Created by the
/// first open of <c>valeB:P</c>, gone (with its learning table) when its last port leaves.
/// </summary>
/// <remarks>
/// Forwarding (§7.3): the source slots [HwCur, Head) are collected into a preallocated batch table (1024 + 64
/// fragments; flushed, as in netmap, when 1024 fragments are collected at a packet boundary), one lookup per
/// packet, then delivered destination by destination (order of first appearance, then the ports only broadcasts
/// reach), copying each packet into the destination RX ring's free slots at each slot's offset. A packet that does
/// not fit is dropped with every later packet for that ring.
/// Every packet that goes nowhere is counted with its <see cref="ValeDropReason"/>: on the source port when the
/// lookup finds no destination (a drop verdict, a runt, unicast to itself or to an empty port index), on the
/// destination port when it has no room or the ring is not bound.
/// A persistent port wrapped onto a second switch (<see cref="ValeLink"/>) is delivered to like any port; its
/// wrapper on the second switch gets its packets written into the wrapped port's TX rings. Either way the
/// link is pumped after the switch lock is released.
/// Thread: one lock per switch, taken once per TxSync batch (not per packet); the batch tables belong to the
/// switch and are only used under it. Destination tails are published with release writes. No thread holds
/// two switch locks: links are pumped outside them.
/// </remarks>
public sealed class ValeSwitch
{
    /// <summary>Port slots per switch (netmap's NM_BDG_MAXPORTS).</summary>
    public const int MaxPorts = 254;

    /// <summary>Lookup result: every active port but the source.</summary>
    public const byte Broadcast = 254;

    /// <summary>Lookup result: drop the packet.</summary>
    public const byte Drop = 255;

    /// <summary>Packets per flush (netmap's bridge_batch default).</summary>
    public const int BatchSize = 1024;

    private const int TableSize = BatchSize + Ring.MaxFragments;
    private const int MaxRxRings = 16;

    private readonly Lock _lock = new();
    private readonly ValePort?[] _ports = new ValePort?[MaxPorts];
    private readonly LearningLookup _learning = new();
    private IValeLookup _lookup;
    private int _active;
    private ValeLink[] _links = [];

    // Batch table (per fragment) and packet table; used only under _lock.
    private readonly Fragment[] _frags = new Fragment[TableSize];
    private readonly Packet[] _pkts = new Packet[TableSize];
    private readonly int[] _listHead = new int[MaxPorts + 1]; // index MaxPorts = broadcast list; -1 = empty
    private readonly int[] _listTail = new int[MaxPorts + 1];
    private readonly byte[] _order = new byte[MaxPorts];      // the unicast destinations of the last flush
    private int _norder;
    private readonly uint[] _ringPos = new uint[MaxRxRings];  // Deliver's per-ring position and free slots
    private readonly uint[] _ringFree = new uint[MaxRxRings];

    internal ValeSwitch(NetmapDomain domain, string name)
    {
        Domain = domain;
        Name = name;
        _lookup = _learning;
        Array.Fill(_listHead, -1);
    }

    /// <summary>The domain the switch lives in.</summary>
    public NetmapDomain Domain { get; }

    /// <summary>The switch name, <c>vale</c> prefix included (e.g. <c>vale0</c>).</summary>
    public string Name { get; }

    /// <summary>Ports attached now.</summary>
    public int ActivePorts
    {
        get
        {
            lock (_lock)
            {
                return _active;
            }
        }
    }

    /// <summary>The default learning lookup (its table survives <see cref="Register"/>, and is cleared by <see cref="Reset"/>).</summary>
    public LearningLookup Learning => _learning;

    /// <summary>The lookup in use.</summary>
    public IValeLookup CurrentLookup
    {
        get
        {
            lock (_lock)
            {
                return _lookup;
            }
        }
    }

    /// <summary>The attached ports, by index order.</summary>
    public IReadOnlyList<ValePort> Ports
    {
        get
        {
            lock (_lock)
            {
                var list = new List<ValePort>(_active);
                foreach (var p in _ports)
                {
                    if (p is not null)
                    {
                        list.Add(p);
                    }
                }

                return list;
            }
        }
    }

    /// <summary>Replaces the lookup (netmap's <c>regops</c>); takes effect from the next batch.</summary>
    public void Register(IValeLookup lookup)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        lock (_lock)
        {
            _lookup = lookup;
        }
    }

    /// <summary>Restores the default learning lookup and clears its table (netmap's <c>regops(bridge, NULL)</c>).</summary>
    public void Reset()
    {
        lock (_lock)
        {
            _lookup = _learning;
            _learning.Clear();
        }
    }

    /// <summary>A snapshot of the switch and its ports' counters.</summary>
    public ValeSwitchInfo Snapshot()
    {
        lock (_lock)
        {
            var ports = new List<ValePortInfo>(_active);
            foreach (var p in _ports)
            {
                if (p is not null)
                {
                    var drops = new ValeDrops(
                        p.Drops(ValeDropReason.NoRoom),
                        p.Drops(ValeDropReason.RingNotBound),
                        p.Drops(ValeDropReason.Lookup),
                        p.Drops(ValeDropReason.Runt),
                        p.Drops(ValeDropReason.ToSelf),
                        p.Drops(ValeDropReason.NoSuchPort));
                    ports.Add(new ValePortInfo(p.Index, p.Name, p.ForwardedPackets, p.ForwardedBytes, p.DeliveredPackets, p.DeliveredBytes, p.DroppedPackets, drops, p.LinkedSwitch?.Name));
                }
            }

            return new ValeSwitchInfo(Name, ports);
        }
    }

    /// <summary>The port named <paramref name="name"/>, or null.</summary>
    internal ValePort? Find(string name)
    {
        lock (_lock)
        {
            foreach (var p in _ports)
            {
                if (p is not null && p.Name == name)
                {
                    return p;
                }
            }

            return null;
        }
    }

    /// <summary>True when one more port fits (netmap refuses when active + 2 ≥ 254).</summary>
    internal bool HasRoom
    {
        get
        {
            lock (_lock)
            {
                return _active + 2 < MaxPorts;
            }
        }
    }

    internal void Attach(ValePort port)
    {
        lock (_lock)
        {
            for (var i = 0; i < MaxPorts; i++)
            {
                if (_ports[i] is null)
                {
                    port.Index = i;
                    _ports[i] = port;
                    _active++;
                    return;
                }
            }
        }

        ThrowHelper.Netmap(NetmapError.ENOMEM, port.Name, "the switch has no free port slot");
    }

    internal void Detach(ValePort port)
    {
        lock (_lock)
        {
            if (port.Index >= 0 && ReferenceEquals(_ports[port.Index], port))
            {
                _ports[port.Index] = null;
                _active--;
            }

            port.Index = -1;
        }
    }

    /// <summary>Adds a link whose ports are on this switch (the wrapped port or its wrapper). Domain lock held.</summary>
    internal void AddLink(ValeLink link)
    {
        var old = _links;
        var next = new ValeLink[old.Length + 1];
        old.CopyTo(next, 0);
        next[^1] = link;
        Volatile.Write(ref _links, next); // release: a forwarding thread sees the link fully built
    }

    /// <summary>Removes a link added by <see cref="AddLink"/>. Domain lock held.</summary>
    internal void RemoveLink(ValeLink link)
    {
        var old = _links;
        var at = Array.IndexOf(old, link);
        if (at < 0)
        {
            return;
        }

        var next = new ValeLink[old.Length - 1];
        Array.Copy(old, 0, next, 0, at);
        Array.Copy(old, at + 1, next, at, old.Length - at - 1);
        Volatile.Write(ref _links, next);
    }

    /// <summary>
    /// Forwards the slots [<paramref name="from"/>, <paramref name="to"/>) of <paramref name="ring"/> with
    /// <paramref name="src"/> as the source port: a TX ring of <paramref name="src"/> ([HwCur, RHead)), or the RX
    /// ring of a wrapped port whose packets enter this switch through its wrapper <paramref name="src"/>.
    /// Then pumps the links this forward delivered to, with the lock released.
    /// </summary>
    internal void Forward(ValePort src, Ring ring, uint from, uint to)
    {
        var k = from;
        var head = to;
        if (k == head)
        {
            return;
        }

        var numSlots = ring.NumSlots;
        if (k >= numSlots || head >= numSlots)
        {
            ThrowOutsideRing(ring, from, to);
        }

        lock (_lock)
        {
            // Read once: the slot writes below would otherwise make the JIT reload them per slot.
            var frags = _frags;
            var pkts = _pkts;
            var arena = ring.Arena;
            var bufSize = ring.BufferSize;
            var mask = ring.OffsetMask;
            var maxOffset = ring.MaxOffset;
            var n = 0;
            var npkts = 0;
            var first = 0;
            long bytes = 0;
            while (k != head)
            {
                // SAFETY: k < NumSlots, the slot array's length: from is (checked above), and k wraps at NumSlots.
                ref var slot = ref ring.SlotUnchecked(k);
                var flags = slot.Flags;
                if ((flags & SlotFlags.BufChanged) != 0)
                {
                    // Cleared only when set, as netmap does: no store per packet in the common case.
                    flags &= ~SlotFlags.BufChanged;
                    slot.Flags = flags;
                }

                var raw = slot.Offset & mask;
                var off = (int)(raw > maxOffset ? maxOffset : raw); // MaxOffset <= BufferSize (validated at bind)
                var buf = slot.BufIdx;
                int len = slot.Len;
                if (!arena.IsValidIndex(buf) || off + len > bufSize)
                {
                    // netmap's nm_vale_preflush: a slot with no buffer, or longer than its buffer past its offset, is
                    // forwarded as length 0 (and so dropped by the learning lookup as a runt), not cut.
                    buf = 0;
                    len = 0;
                }

                ref var frag = ref frags[n];
                frag.Buf = buf;
                frag.Offset = off;
                frag.Len = len;
                frag.Flags = flags;
                bytes += len;
                n++;
                k = k + 1 == numSlots ? 0 : k + 1;
                if ((flags & SlotFlags.MoreFrag) == 0 || n - first == Ring.MaxFragments)
                {
                    ref var pkt = ref pkts[npkts];
                    pkt.First = first;
                    pkt.Frags = n - first;
                    npkts++;
                    first = n;

                    // As netmap: flush when the fragments reach the batch size, at a packet boundary (so the table
                    // never holds more than BatchSize - 1 + MaxFragments fragments).
                    if (n >= BatchSize)
                    {
                        Flush(src, ring, npkts, bytes);
                        n = npkts = first = 0;
                        bytes = 0;
                    }
                }
            }

            // A trailing incomplete chain is truncated: its last collected fragment ends the packet.
            if (n > first)
            {
                ref var pkt = ref pkts[npkts];
                pkt.First = first;
                pkt.Frags = n - first;
                npkts++;
            }

            if (npkts > 0)
            {
                Flush(src, ring, npkts, bytes);
            }
        }

        // Acquire: a link added by an attach is seen fully built. Each Pump is one read when nothing is pending.
        var links = Volatile.Read(ref _links);
        for (var i = 0; i < links.Length; i++)
        {
            links[i].Pump();
        }
    }

    /// <summary>Looks up the <paramref name="npkts"/> packets of the batch table, then delivers them destination by destination.</summary>
    private unsafe void Flush(ValePort src, Ring ring, int npkts, long bytes)
    {
        var arena = ring.Arena;
        var srcIndex = src.Index;
        const int bcast = MaxPorts;
        var frags = _frags;
        var pkts = _pkts;
        var listHead = _listHead;
        var listTail = _listTail;
        var order = _order;

        // Every list head is -1 between flushes but those the last flush used: forget these.
        for (var i = 0; i < _norder; i++)
        {
            listHead[order[i]] = -1;
        }

        _norder = 0;
        listHead[bcast] = -1;

        var lookup = _lookup;
        var learning = lookup as LearningLookup; // the default: called directly, not through the interface
        var ringId = ring.RingId;
        var srcBase = arena.BasePointer;
        var srcStride = (nint)arena.Stride;
        var norder = 0;
        long lookupDrops = 0, runts = 0, toSelf = 0, noPort = 0;
        for (var p = 0; p < npkts; p++)
        {
            ref var pkt = ref pkts[p];
            ref var f0 = ref frags[pkt.First];

            // SAFETY: a fragment with Len > 0 names a valid buffer of the source arena, and Forward cut
            // [Offset, Offset + Len) to the buffer (Offset <= MaxOffset <= BufferSize).
            var frame = f0.Len == 0 ? ReadOnlySpan<byte>.Empty : new ReadOnlySpan<byte>(srcBase + (nint)f0.Buf * srcStride + f0.Offset, f0.Len);
            var dstRing = ringId;
            int dst = learning is not null
                ? learning.Lookup(frame, f0.Flags, ref dstRing, srcIndex)
                : lookup.Lookup(frame, f0.Flags, ref dstRing, srcIndex);
            if (dst == Broadcast)
            {
                dst = bcast;
                dstRing = 0;
            }
            else if (dst >= MaxPorts)
            {
                // The lookup's drop verdict; the learning bridge gives it to frames without an Ethernet header.
                if (frame.Length < 14)
                {
                    runts++;
                }
                else
                {
                    lookupDrops++;
                }

                continue;
            }
            else if (dst == srcIndex)
            {
                toSelf++;
                continue;
            }
            else if (_ports[dst] is null)
            {
                noPort++;
                continue;
            }

            pkt.Ring = dstRing < 0 ? 0 : dstRing;
            pkt.Next = -1;
            if (listHead[dst] < 0)
            {
                listHead[dst] = p;
                if (dst != bcast)
                {
                    order[norder++] = (byte)dst;
                    _norder = norder; // at once: a lookup that throws must not leave a head set and unlisted
                }
            }
            else
            {
                pkts[listTail[dst]].Next = p;
            }

            listTail[dst] = p;
        }

        src.ForwardedPacketsCount += npkts;
        src.ForwardedBytesCount += bytes;
        if ((lookupDrops | runts | toSelf | noPort) != 0)
        {
            var drops = src.DropCounts;
            drops[(int)ValeDropReason.Lookup] += lookupDrops;
            drops[(int)ValeDropReason.Runt] += runts;
            drops[(int)ValeDropReason.ToSelf] += toSelf;
            drops[(int)ValeDropReason.NoSuchPort] += noPort;
        }

        var bc = listHead[bcast];
        for (var i = 0; i < norder; i++)
        {
            Deliver(arena, _ports[order[i]]!, listHead[order[i]], bc);
        }

        if (bc >= 0)
        {
            for (var d = 0; d < MaxPorts; d++)
            {
                if (d != srcIndex && _ports[d] is { } port && listHead[d] < 0)
                {
                    Deliver(arena, port, -1, bc);
                }
            }
        }
    }

    /// <summary>
    /// Copies the packets of two lists (unicast, broadcast) into <paramref name="dst"/>, merged in batch order:
    /// into its RX rings as their producer (from HwTail), or, for a wrapper, into the wrapped port's TX rings
    /// as their user (from Head), for the link to send on.
    /// </summary>
    /// <remarks>
    /// Each ring's state (position, free slots) is read the first time a packet goes to it; the ring being
    /// written is kept in locals until a packet goes to another. Frames of up to 64 bytes are copied as one
    /// 64-byte block when both buffers have 64 bytes from the offsets on (netmap's <c>pkt_copy</c> rounds every
    /// copy up to 64 bytes likewise): the bytes after the frame in the destination buffer are not part of it.
    /// </remarks>
    private unsafe void Deliver(BufferArena srcArena, ValePort dst, int uni, int bc)
    {
        const int block = 64;
        var wrapped = dst.Wrapped;
        var rings = wrapped is null ? dst.RxRingArray : wrapped.TxRingArray;
        var nrings = Math.Min(rings.Length, MaxRxRings);
        var pos = _ringPos;   // per ring, valid once seen (no stackalloc: it would keep the method from tiering up with PGO)
        var free = _ringFree;
        var seen = 0;    // rings whose binding (and pos/free, when bound) were read
        var unbound = 0; // rings no handle bound when first seen
        var full = 0;    // rings where a packet did not fit
        var touched = 0;
        long delivered = 0, deliveredBytes = 0, noRoom = 0, notBound = 0;
        var pkts = _pkts;
        var frags = _frags;
        var srcBase = srcArena.BasePointer;
        var srcStride = (nint)srcArena.Stride;
        var srcTail = srcArena.BufferSize - block; // a source offset up to here has a whole block after it

        // The ring being written (cur) and its fields.
        var cur = -1;
        Ring ring = null!;
        uint k = 0, room = 0, numSlots = 0;
        byte* dstBase = null;
        nint dstStride = 0;
        var dstBufSize = 0;
        uint dstValid = 0;
        ulong mask = 0, maxOffset = 0;
        while (uni >= 0 || bc >= 0)
        {
            int p;
            if (bc < 0 || (uni >= 0 && uni < bc))
            {
                p = uni;
                uni = pkts[uni].Next;
            }
            else
            {
                p = bc;
                bc = pkts[bc].Next;
            }

            if (nrings == 0)
            {
                notBound++;
                continue;
            }

            ref var pkt = ref pkts[p];
            var r = pkt.Ring; // >= 0 (Flush)
            if ((uint)r >= (uint)nrings)
            {
                r %= nrings; // rarely: most lookups keep the source ring index, most ports have as many rings
            }

            var bit = 1 << r;
            if (r != cur)
            {
                if (cur >= 0)
                {
                    pos[cur] = k;
                    free[cur] = room;
                }

                cur = r;
                ring = rings[r];
                if ((seen & bit) == 0)
                {
                    seen |= bit;
                    if (!ring.IsBound)
                    {
                        unbound |= bit;
                    }
                    else if (wrapped is null)
                    {
                        pos[r] = ring.HwTail;
                        var hwcur = Volatile.Read(ref ring.HwCur);
                        free[r] = (hwcur + ring.NumSlots - 1 - ring.HwTail) % ring.NumSlots;
                    }
                    else
                    {
                        pos[r] = ring.Head;
                        free[r] = ring.Space; // acquire read of Tail: the slots the last TxSync freed
                    }
                }

                k = pos[r];
                room = free[r];
                numSlots = ring.NumSlots;
                var arena = ring.Arena;
                dstBase = arena.BasePointer;
                dstStride = arena.Stride;
                dstBufSize = arena.BufferSize;
                dstValid = (uint)(arena.BufferCount - BufferArena.FirstValidIndex);
                mask = ring.OffsetMask;
                maxOffset = ring.MaxOffset;
            }

            if ((unbound & bit) != 0)
            {
                notBound++;
                continue;
            }

            if ((full & bit) != 0)
            {
                noRoom++;
                continue;
            }

            var nf = pkt.Frags;
            if ((uint)nf > room)
            {
                full |= bit;
                noRoom++;
                continue;
            }

            var f = pkt.First;
            for (var i = 0; i < nf; i++)
            {
                ref var frag = ref frags[f + i];

                // SAFETY: k < NumSlots: it starts at HwTail or Head (below NumSlots) and wraps at NumSlots.
                ref var slot = ref ring.SlotUnchecked(k);
                var len = 0;
                var bi = slot.BufIdx;
                if (bi - BufferArena.FirstValidIndex < dstValid) // the arena's IsValidIndex
                {
                    var raw = slot.Offset & mask;
                    var off = (int)(raw > maxOffset ? maxOffset : raw); // <= MaxOffset <= BufferSize
                    len = Math.Min(frag.Len, dstBufSize - off);
                    if (len > 0)
                    {
                        // SAFETY: bi is a valid index of the destination arena and [off, off + len) lies in its buffer
                        // (len <= BufferSize - off); frag names a valid source buffer (Len > 0) whose [Offset, Offset
                        // + Len) Forward cut to the buffer. The block copy runs only when both buffers hold 64 bytes
                        // from the offsets on. Buffers are disjoint (stride >= size), so the copies never overlap.
                        var s = srcBase + (nint)frag.Buf * srcStride + frag.Offset;
                        var d = dstBase + (nint)bi * dstStride + off;
                        if (len <= block && off <= dstBufSize - block && frag.Offset <= srcTail)
                        {
                            Unsafe.CopyBlockUnaligned(d, s, block);
                        }
                        else
                        {
                            Buffer.MemoryCopy(s, d, len, len);
                        }
                    }
                }

                slot.Len = (ushort)len;
                slot.Flags = (SlotFlags)(ushort)((nf << 8) | (i + 1 < nf ? (int)SlotFlags.MoreFrag : 0));
                deliveredBytes += len;
                k = k + 1 == numSlots ? 0 : k + 1;
            }

            room -= (uint)nf;
            touched |= bit;
            delivered++;
        }

        if (cur >= 0)
        {
            pos[cur] = k;
            free[cur] = room;
        }

        for (var r = 0; r < nrings; r++)
        {
            if ((touched & (1 << r)) != 0)
            {
                if (wrapped is null)
                {
                    // Release: the reader reads HwTail, then the slots before it; they must be written first.
                    Volatile.Write(ref rings[r].HwTail, pos[r]);
                }
                else
                {
                    // As a user hands slots to TxSync: Cur, then Head (release: the slots first).
                    rings[r].Cur = pos[r];
                    rings[r].Head = pos[r];
                }
            }
        }

        dst.DeliveredPacketsCount += delivered;
        dst.DeliveredBytesCount += deliveredBytes;
        if ((noRoom | notBound) != 0)
        {
            dst.DropCounts[(int)ValeDropReason.NoRoom] += noRoom;
            dst.DropCounts[(int)ValeDropReason.RingNotBound] += notBound;
        }

        // Even with nothing delivered (a full ring): the pump also releases what the link has sent on.
        dst.Link?.MarkPending();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowOutsideRing(Ring ring, uint from, uint to) =>
        throw new ArgumentOutOfRangeException(nameof(from), $"slots [{from}, {to}) are not inside a ring of {ring.NumSlots} slots");

    /// <summary>One fragment of the batch table: where its bytes are in the source arena, and its slot flags.</summary>
    private struct Fragment
    {
        public uint Buf;      // a valid buffer index, or 0 (then Len is 0)
        public int Offset;    // <= BufferSize
        public int Len;       // cut to the buffer: Offset + Len <= BufferSize
        public SlotFlags Flags;
    }

    /// <summary>One packet of the batch table: its fragments, destination ring and next packet of its destination list.</summary>
    private struct Packet
    {
        public int First;
        public int Frags;
        public int Ring;
        public int Next;
    }
}

/// <summary>A snapshot of one VALE switch: its name and its ports' counters.</summary>
/// <param name="Name">The switch name (e.g. <c>vale0</c>).</param>
/// <param name="Ports">The attached ports, by index.</param>
public sealed record ValeSwitchInfo(string Name, IReadOnlyList<ValePortInfo> Ports);

/// <summary>A snapshot of one VALE port's counters.</summary>
/// <param name="Index">The port index in the switch.</param>
/// <param name="Name">The port name (<c>valeB:P</c>, or P for a persistent port).</param>
/// <param name="ForwardedPackets">Packets the port sent into the switch.</param>
/// <param name="ForwardedBytes">Bytes the port sent into the switch.</param>
/// <param name="DeliveredPackets">Packets copied into the port's RX rings.</param>
/// <param name="DeliveredBytes">Bytes copied into the port's RX rings.</param>
/// <param name="DroppedPackets">Packets for the port dropped for lack of room or an unbound ring.</param>
/// <param name="Drops">Every drop by reason: for the port (no room, ring not bound) and from it (the lookup found no destination).</param>
/// <param name="LinkedSwitch">
/// For a port that links two switches (a persistent port wrapped onto a second switch, or its wrapper there):
/// the other switch's name; else null.
/// </param>
public sealed record ValePortInfo(
    int Index,
    string Name,
    long ForwardedPackets,
    long ForwardedBytes,
    long DeliveredPackets,
    long DeliveredBytes,
    long DroppedPackets,
    ValeDrops Drops,
    string? LinkedSwitch);

/// <summary>A VALE port's drop counters, one per <see cref="ValeDropReason"/>.</summary>
/// <param name="NoRoom">Packets for the port that found its RX ring full.</param>
/// <param name="RingNotBound">Packets for the port whose RX ring no handle binds.</param>
/// <param name="Lookup">Packets from the port the lookup dropped (14 bytes or more).</param>
/// <param name="Runt">Packets from the port shorter than an Ethernet header, dropped by the lookup.</param>
/// <param name="ToSelf">Packets from the port unicast back to it.</param>
/// <param name="NoSuchPort">Packets from the port unicast to an empty port index.</param>
public sealed record ValeDrops(long NoRoom, long RingNotBound, long Lookup, long Runt, long ToSelf, long NoSuchPort)
{
    /// <summary>The count for <paramref name="reason"/>.</summary>
    public long this[ValeDropReason reason] => reason switch
    {
        ValeDropReason.NoRoom => NoRoom,
        ValeDropReason.RingNotBound => RingNotBound,
        ValeDropReason.Lookup => Lookup,
        ValeDropReason.Runt => Runt,
        ValeDropReason.ToSelf => ToSelf,
        ValeDropReason.NoSuchPort => NoSuchPort,
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, "not a VALE drop reason"),
    };

    /// <summary>Every drop, all reasons together.</summary>
    public long Total => NoRoom + RingNotBound + Lookup + Runt + ToSelf + NoSuchPort;
}
