using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using Pipeline.Runtime;
using Pipeline.Stages;

namespace Stages.Ethernet;

/// <summary>
/// A learning bridge over named gates, as netmap's VALE switch and Click's <c>EtherSwitch</c>: it learns each
/// source MAC on the gate named after the port the packet came in on, sends a packet for a learned unicast MAC to
/// that gate, and floods broadcast, multicast and unknown unicast to every connected gate but the one it came from
/// (copies for all but one gate: <see cref="StageContext.TryCopyTo"/>). Learned addresses age out after
/// <c>age-seconds</c> without traffic (on the pipeline's clock); the table holds <c>max-entries</c> addresses and,
/// when full, forgets the least recently seen.
/// </summary>
/// <remarks>
/// Gates: one per name in <c>gates</c>, in that order; each is named after a pipeline port (a packet's
/// <see cref="PacketMeta.InputPort"/> names the gate it came from). Packets from a port that is not a gate are
/// forwarded but not learned. Outside a pipeline (no port names), <see cref="PacketMeta.InputPort"/> is the gate's
/// index. Drops: a packet shorter than an Ethernet header, or with a multicast or all-zero source MAC
/// (<c>malformed</c>); a packet whose destination was learned on the gate it came from (<c>filtered</c>: no
/// hairpin); a packet to flood with no other gate connected (<c>no-route</c>); a packet for a host learned on a gate
/// no pipe connects is dropped by the runtime (<c>unconnected</c>). A multi-slot (MOREFRAG) packet is
/// switched by its first slot and its copies are whole. A flood copy that cannot be made (no free buffer, or more
/// copies than a batch holds) is counted in <see cref="LostCopies"/>.
/// </remarks>
/// <example><code>
/// stages:
///   bridge: { type: l2-switch, gates: [a, b, c], age-seconds: 300 }
/// pipes:
///   - a -> bridge
///   - b -> bridge
///   - c -> bridge
///   - bridge.a -> a
///   - bridge.b -> b
///   - bridge.c -> c
/// </code></example>
/// <seealso cref="L2SwitchOptions"/>
/// <seealso cref="Ip.Router"/>
[Stage("l2-switch", Gates = ["<one per name in 'gates'>"], Summary = "A learning bridge: known unicast to its gate, the rest flooded to all gates but the input's")]
public sealed class L2Switch : IPacketStage
{
    private const short NotAGate = -1;
    private const short Unresolved = -2;
    private const ulong GroupBit = 1UL << 40; // the low bit of the first byte: multicast and broadcast

    private readonly string[] _gateNames;
    private readonly int _ageSeconds;

    // The table: MAC -> entry; entries in arrays, linked from the least to the most recently seen (aging pops the
    // oldest end); free entries are chained through _newer.
    private readonly Dictionary<ulong, int> _index;
    private readonly ulong[] _macs;
    private readonly byte[] _entryGates;
    private readonly long[] _seen;
    private readonly int[] _older;
    private readonly int[] _newer;
    private int _oldest = -1;
    private int _newest = -1;
    private int _free;
    private int _count;

    // Bound to the context the stage last ran with: gates by index, connected gates, port -> gate.
    private StageContext? _context;
    private GateId[] _gateIds = [];
    private ulong _connected;
    private long _ageTicks;
    private short[] _portGates = [];
    private long _lostCopies;

    /// <summary>A switch over the gates <paramref name="options"/> names, its table empty.</summary>
    public L2Switch(L2SwitchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _gateNames = [.. options.Gates];
        _ageSeconds = options.AgeSeconds;
        var capacity = options.MaxEntries;
        _index = new Dictionary<ulong, int>(capacity);
        _macs = new ulong[capacity];
        _entryGates = new byte[capacity];
        _seen = new long[capacity];
        _older = new int[capacity];
        _newer = new int[capacity];
        for (var e = 0; e < capacity; e++)
        {
            _newer[e] = e + 1 < capacity ? e + 1 : -1;
        }
    }

    /// <summary>Addresses in the table.</summary>
    public int Entries => Volatile.Read(ref _count);

    /// <summary>Flood copies that could not be made (no free buffer, or a batch's worth of copies already asked for).</summary>
    public long LostCopies => Volatile.Read(ref _lostCopies);

    /// <inheritdoc/>
    public void OnBatch(PacketBatch batch, StageContext context)
    {
        if (!ReferenceEquals(context, _context))
        {
            Bind(context);
        }

        var now = context.Time.GetTimestamp();
        Expire(now);
        var view = batch.Open();
        var slots = view.Slots;
        var meta = view.Meta;
        long lost = 0;
        for (var i = 0; i < slots.Length; i++)
        {
            if (BatchView.IsContinuation(slots, i))
            {
                continue; // a multi-slot packet's headers and verdict are in its first slot
            }

            var data = view[i].Data;
            if (data.Length < EthernetFields.HeaderLength)
            {
                context.Drop(i, DropReason.Malformed);
                continue;
            }

            var destination = ReadMac(data);
            var source = ReadMac(data.Slice(MacLength));
            if ((source & GroupBit) != 0 || source == 0)
            {
                context.Drop(i, DropReason.Malformed);
                continue;
            }

            var input = InputGate(meta[i].InputPort);
            if (input >= 0)
            {
                Learn(source, (byte)input, now);
            }

            if ((destination & GroupBit) == 0 && _index.TryGetValue(destination, out var entry))
            {
                var gate = _entryGates[entry];
                if (gate == input)
                {
                    context.Drop(i, DropReason.Filtered);
                }
                else
                {
                    context.Next(i, _gateIds[gate]);
                }

                continue;
            }

            // Broadcast, multicast, unknown unicast: every connected gate but the input's.
            var targets = input >= 0 ? _connected & ~(1UL << input) : _connected;
            if (targets == 0)
            {
                context.Drop(i, DropReason.NoRoute);
                continue;
            }

            var last = 63 - BitOperations.LeadingZeroCount(targets);
            targets &= ~(1UL << last);
            while (targets != 0)
            {
                var gate = BitOperations.TrailingZeroCount(targets);
                targets &= targets - 1;
                if (!context.TryCopyTo(i, _gateIds[gate]))
                {
                    lost++;
                }
            }

            context.Next(i, _gateIds[last]);
        }

        if (lost != 0)
        {
            // One write per batch; Volatile so a reader on another thread (a live view) sees whole values.
            Volatile.Write(ref _lostCopies, _lostCopies + lost);
        }
    }

    private const int MacLength = 6;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ReadMac(ReadOnlySpan<byte> data) =>
        ((ulong)BinaryPrimitives.ReadUInt16BigEndian(data) << 32) | BinaryPrimitives.ReadUInt32BigEndian(data.Slice(2));

    // The gate a packet from pipeline port `port` came from, or NotAGate.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private short InputGate(ushort port)
    {
        var map = _portGates;
        if (port < map.Length && map[port] != Unresolved)
        {
            return map[port];
        }

        return ResolvePort(port);
    }

    // Once per port and context: the gate named after the port (or, with no port names, the gate with its index).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private short ResolvePort(ushort port)
    {
        if (port >= _portGates.Length)
        {
            var grown = new short[Math.Max(port + 1, _portGates.Length * 2)];
            grown.AsSpan().Fill(Unresolved);
            _portGates.CopyTo(grown, 0);
            _portGates = grown;
        }

        var name = _context!.PortName(port);
        var gate = name is null
            ? (port < _gateNames.Length ? (short)port : NotAGate)
            : (short)Array.IndexOf(_gateNames, name);
        _portGates[port] = gate < 0 ? NotAGate : gate;
        return _portGates[port];
    }

    // The gates by name in this context (the runtime's follow the options), which are connected, the age in ticks.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Bind(StageContext context)
    {
        _gateIds = new GateId[_gateNames.Length];
        _connected = 0;
        for (var g = 0; g < _gateNames.Length; g++)
        {
            _gateIds[g] = context.Gate(_gateNames[g]);
            if (context.IsConnected(_gateIds[g]))
            {
                _connected |= 1UL << g;
            }
        }

        _portGates = new short[16];
        _portGates.AsSpan().Fill(Unresolved);
        _ageTicks = _ageSeconds * context.Time.TimestampFrequency;
        _context = context;
    }

    // Learns (or refreshes, or moves) `mac` on `gate`: it becomes the most recently seen.
    private void Learn(ulong mac, byte gate, long now)
    {
        if (_index.TryGetValue(mac, out var entry))
        {
            _entryGates[entry] = gate;
            _seen[entry] = now;
            if (entry != _newest)
            {
                Unlink(entry);
                Append(entry);
            }

            return;
        }

        if (_free < 0)
        {
            Forget(_oldest); // full: the least recently seen goes
        }

        entry = _free;
        _free = _newer[entry];
        _macs[entry] = mac;
        _entryGates[entry] = gate;
        _seen[entry] = now;
        _index.Add(mac, entry);
        Append(entry);
        _count++;
    }

    // Forgets the addresses not seen for age-seconds: they are the oldest end of the list.
    private void Expire(long now)
    {
        while (_oldest >= 0 && now - _seen[_oldest] >= _ageTicks)
        {
            Forget(_oldest);
        }
    }

    private void Forget(int entry)
    {
        Unlink(entry);
        _index.Remove(_macs[entry]);
        _newer[entry] = _free;
        _free = entry;
        _count--;
    }

    private void Unlink(int entry)
    {
        var older = _older[entry];
        var newer = _newer[entry];
        if (older >= 0)
        {
            _newer[older] = newer;
        }
        else
        {
            _oldest = newer;
        }

        if (newer >= 0)
        {
            _older[newer] = older;
        }
        else
        {
            _newest = older;
        }
    }

    private void Append(int entry)
    {
        _older[entry] = _newest;
        _newer[entry] = -1;
        if (_newest >= 0)
        {
            _newer[_newest] = entry;
        }
        else
        {
            _oldest = entry;
        }

        _newest = entry;
    }
}
