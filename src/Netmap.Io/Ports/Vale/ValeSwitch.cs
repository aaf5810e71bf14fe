using Netmap.Io.Rings;

namespace Netmap.Io.Ports.Vale;

/// <summary>
/// A VALE software switch (netmap's <c>nm_bridge</c>, notes §7): up to 254 port slots, a replaceable lookup
/// (the learning bridge by default) and the forwarding loop run by each source port's TxSync. Created by the
/// first open of <c>valeB:P</c>, gone (with its learning table) when its last port leaves.
/// </summary>
/// <remarks>
/// Forwarding (§7.3): the source slots [HwCur, Head) are collected into a preallocated batch table (1024
/// packets + 64 fragments), one lookup per packet, then delivered destination by destination (order of first
/// appearance, then the ports only broadcasts reach), copying each packet into the destination RX ring's free
/// slots at each slot's offset. A packet that does not fit is dropped with every later packet for that ring.
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
    private readonly uint[] _fragBuf = new uint[TableSize];
    private readonly int[] _fragOff = new int[TableSize];
    private readonly int[] _fragLen = new int[TableSize];
    private readonly SlotFlags[] _fragFlags = new SlotFlags[TableSize];
    private readonly int[] _pktFirst = new int[TableSize];
    private readonly int[] _pktFrags = new int[TableSize];
    private readonly int[] _pktRing = new int[TableSize];
    private readonly int[] _pktNext = new int[TableSize];
    private readonly int[] _listHead = new int[MaxPorts + 1]; // index MaxPorts = broadcast list
    private readonly int[] _listTail = new int[MaxPorts + 1];
    private readonly byte[] _order = new byte[MaxPorts];

    internal ValeSwitch(NetmapDomain domain, string name)
    {
        Domain = domain;
        Name = name;
        _lookup = _learning;
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

        lock (_lock)
        {
            var arena = ring.Arena;
            var bufSize = ring.BufferSize;
            var n = 0;
            var npkts = 0;
            var first = 0;
            while (k != head)
            {
                ref var slot = ref ring[k];
                slot.Flags &= ~SlotFlags.BufChanged;
                var off = ring.ReadOffset(in slot);
                var len = slot.Len;
                var valid = arena.IsValidIndex(slot.BufIdx);
                _fragBuf[n] = valid ? slot.BufIdx : 0;
                _fragOff[n] = off;
                _fragFlags[n] = slot.Flags;
                _fragLen[n] = !valid ? 0 : off + len > bufSize ? bufSize - off : len;
                n++;
                k = ring.Next(k);
                if ((slot.Flags & SlotFlags.MoreFrag) == 0 || n - first == Ring.MaxFragments)
                {
                    _pktFirst[npkts] = first;
                    _pktFrags[npkts] = n - first;
                    npkts++;
                    first = n;
                    if (npkts == BatchSize)
                    {
                        Flush(src, ring, npkts);
                        n = npkts = first = 0;
                    }
                }
            }

            // A trailing incomplete chain is truncated: its last collected fragment ends the packet.
            if (n > first)
            {
                _pktFirst[npkts] = first;
                _pktFrags[npkts] = n - first;
                npkts++;
            }

            if (npkts > 0)
            {
                Flush(src, ring, npkts);
            }
        }

        // Acquire: a link added by an attach is seen fully built. Each Pump is one read when nothing is pending.
        var links = Volatile.Read(ref _links);
        for (var i = 0; i < links.Length; i++)
        {
            links[i].Pump();
        }
    }

    private void Flush(ValePort src, Ring ring, int npkts)
    {
        var arena = ring.Arena;
        var srcIndex = src.Index;
        const int bcast = MaxPorts;
        Array.Fill(_listHead, -1);
        var norder = 0;
        long bytes = 0;
        long lookupDrops = 0, runts = 0, toSelf = 0, noPort = 0;
        for (var p = 0; p < npkts; p++)
        {
            var f = _pktFirst[p];
            for (var i = f; i < f + _pktFrags[p]; i++)
            {
                bytes += _fragLen[i];
            }

            var frame = _fragLen[f] == 0 ? ReadOnlySpan<byte>.Empty : (ReadOnlySpan<byte>)arena.GetBuffer(_fragBuf[f]).Slice(_fragOff[f], _fragLen[f]);
            var flags = _fragFlags[f];
            var dstRing = ring.RingId;
            int dst = _lookup.Lookup(frame, flags, ref dstRing, srcIndex);
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

            _pktRing[p] = dstRing < 0 ? 0 : dstRing;
            _pktNext[p] = -1;
            if (_listHead[dst] < 0)
            {
                _listHead[dst] = p;
                if (dst != bcast)
                {
                    _order[norder++] = (byte)dst;
                }
            }
            else
            {
                _pktNext[_listTail[dst]] = p;
            }

            _listTail[dst] = p;
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

        for (var i = 0; i < norder; i++)
        {
            Deliver(arena, _ports[_order[i]]!, _listHead[_order[i]], _listHead[bcast]);
        }

        if (_listHead[bcast] >= 0)
        {
            for (var d = 0; d < MaxPorts; d++)
            {
                if (d != srcIndex && _ports[d] is { } port && _listHead[d] < 0)
                {
                    Deliver(arena, port, -1, _listHead[bcast]);
                }
            }
        }
    }

    /// <summary>
    /// Copies the packets of two lists (unicast, broadcast) into <paramref name="dst"/>, merged in batch order:
    /// into its RX rings as their producer (from HwTail), or, for a wrapper, into the wrapped port's TX rings
    /// as their user (from Head), for the link to send on.
    /// </summary>
    private void Deliver(Memory.BufferArena srcArena, ValePort dst, int uni, int bc)
    {
        var wrapped = dst.Wrapped;
        var rings = wrapped is null ? dst.RxRingArray : wrapped.TxRingArray;
        var nrings = Math.Min(rings.Length, MaxRxRings);
        Span<uint> pos = stackalloc uint[MaxRxRings];
        Span<uint> free = stackalloc uint[MaxRxRings];
        var seen = 0;   // rings whose pos/free were read
        var full = 0;   // rings where a packet did not fit
        var touched = 0;
        long delivered = 0, deliveredBytes = 0, noRoom = 0, notBound = 0;
        while (uni >= 0 || bc >= 0)
        {
            int p;
            if (bc < 0 || (uni >= 0 && uni < bc))
            {
                p = uni;
                uni = _pktNext[uni];
            }
            else
            {
                p = bc;
                bc = _pktNext[bc];
            }

            if (nrings == 0)
            {
                notBound++;
                continue;
            }

            var r = _pktRing[p] % nrings;
            var ring = rings[r];
            var bit = 1 << r;
            if (!ring.IsBound)
            {
                notBound++;
                continue;
            }

            if ((full & bit) != 0)
            {
                noRoom++;
                continue;
            }

            var n = ring.NumSlots;
            if ((seen & bit) == 0)
            {
                seen |= bit;
                if (wrapped is null)
                {
                    pos[r] = ring.HwTail;
                    var hwcur = Volatile.Read(ref ring.HwCur);
                    free[r] = (hwcur + n - 1 - ring.HwTail) % n;
                }
                else
                {
                    pos[r] = ring.Head;
                    free[r] = ring.Space; // acquire read of Tail: the slots the last TxSync freed
                }
            }

            var frags = _pktFrags[p];
            if ((uint)frags > free[r])
            {
                full |= bit;
                noRoom++;
                continue;
            }

            var f = _pktFirst[p];
            var arena = ring.Arena;
            var k = pos[r];
            for (var i = 0; i < frags; i++)
            {
                ref var slot = ref ring[k];
                var len = 0;
                if (arena.IsValidIndex(slot.BufIdx))
                {
                    var off = ring.ReadOffset(in slot);
                    len = Math.Min(_fragLen[f + i], ring.BufferSize - off);
                    if (len > 0)
                    {
                        srcArena.GetBuffer(_fragBuf[f + i]).Slice(_fragOff[f + i], len).CopyTo(arena.GetBuffer(slot.BufIdx)[off..]);
                    }
                }

                slot.Len = (ushort)len;
                slot.Flags = (SlotFlags)(ushort)((frags << 8) | (i + 1 < frags ? (int)SlotFlags.MoreFrag : 0));
                deliveredBytes += len;
                k = k + 1 == n ? 0 : k + 1;
            }

            pos[r] = k;
            free[r] -= (uint)frags;
            touched |= bit;
            delivered++;
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
