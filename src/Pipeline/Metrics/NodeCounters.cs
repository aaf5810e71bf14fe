using Pipeline.Stages;

namespace Pipeline.Metrics;

/// <summary>What kind of node a set of counters belongs to.</summary>
public enum NodeRole
{
    /// <summary>A port: "in" is what it received (RX), "out" what it transmitted (TX).</summary>
    Port,
    /// <summary>A stage: "in" is what it was given, "out" what it passed on through its gates.</summary>
    Stage,
}

/// <summary>
/// Live counters of one port or stage: packets and bytes in and out, drops by reason. Written by the node's
/// actor once per batch, readable from any thread while the pipeline runs.
/// </summary>
public sealed class NodeCounters
{
    private readonly long[] _drops = new long[DropReasons.Count];
    private long _inPackets;
    private long _inBytes;
    private long _outPackets;
    private long _outBytes;
    private long _faults;
    private readonly Func<long>?[] _external = new Func<long>?[DropReasons.Count];
    private Func<long>? _refused;

    /// <summary>Counters for node <paramref name="name"/>.</summary>
    public NodeCounters(string name, NodeRole role)
    {
        Name = name;
        Role = role;
    }

    /// <summary>The node's name in the pipeline.</summary>
    public string Name { get; }

    /// <summary>Port or stage.</summary>
    public NodeRole Role { get; }

    /// <summary>Packets in.</summary>
    public long InPackets => Volatile.Read(ref _inPackets);

    /// <summary>Bytes in.</summary>
    public long InBytes => Volatile.Read(ref _inBytes);

    /// <summary>Packets out (for a device port, without those it or its device refused: they count as tx-error drops).</summary>
    public long OutPackets => Volatile.Read(ref _outPackets) - Refused();

    /// <summary>Bytes out.</summary>
    public long OutBytes => Volatile.Read(ref _outBytes);

    /// <summary>Times the stage threw and was restarted.</summary>
    public long Faults => Volatile.Read(ref _faults);

    /// <summary>Packets dropped for <paramref name="reason"/>.</summary>
    public long Drops(DropReason reason) => Read((int)reason);

    /// <summary>All drops.</summary>
    public long TotalDrops
    {
        get
        {
            long total = 0;
            for (var i = 0; i < _drops.Length; i++)
            {
                total += Read(i);
            }

            return total;
        }
    }

    /// <summary>A consistent-enough copy for printing.</summary>
    public NodeCountersSnapshot Snapshot()
    {
        var drops = new Dictionary<DropReason, long>();
        var refused = Refused();
        for (var i = 0; i < _drops.Length; i++)
        {
            var n = Read(i);
            if (n != 0)
            {
                drops[(DropReason)i] = n;
            }
        }

        return new NodeCountersSnapshot(Name, Role, InPackets, InBytes, Volatile.Read(ref _outPackets) - refused, OutBytes, drops, Faults);
    }

    internal void AddIn(long packets, long bytes)
    {
        Interlocked.Add(ref _inPackets, packets);
        Interlocked.Add(ref _inBytes, bytes);
    }

    internal void AddOut(long packets, long bytes)
    {
        Interlocked.Add(ref _outPackets, packets);
        Interlocked.Add(ref _outBytes, bytes);
    }

    internal void AddDrops(DropReason reason, long packets)
    {
        if (packets != 0)
        {
            Interlocked.Add(ref _drops[(int)reason], packets);
        }
    }

    internal void AddFault() => Interlocked.Increment(ref _faults);

    /// <summary>
    /// Counts what <paramref name="missed"/> returns as <paramref name="reason"/> drops of this port, read whenever the
    /// counters are: what the port's device or file dropped before the pipeline saw it (a device's RX-missed total,
    /// frames its ring had no room for, as <see cref="DropReason.Overflow"/>; a capture's frames too big for any ring,
    /// as <see cref="DropReason.TooBig"/>).
    /// </summary>
    internal void CountDropsFrom(Func<long> missed, DropReason reason = DropReason.Overflow)
    {
        var previous = _external[(int)reason];
        _external[(int)reason] = previous is null ? missed : () => previous() + missed();
    }

    /// <summary>
    /// Counts what <paramref name="refused"/> returns (the frames a device port or its device refused on TX: longer
    /// than the MTU allows, shorter than a header) as <see cref="DropReason.TxError"/> drops of this port, taken out of
    /// its packets out (the pump counted them when it handed them to the port). Read whenever the counters are.
    /// </summary>
    internal void CountDeviceRefused(Func<long> refused)
    {
        _refused = refused;
        CountDropsFrom(refused, DropReason.TxError);
    }

    private long Refused() => _refused?.Invoke() ?? 0;

    private long Read(int reason) => Volatile.Read(ref _drops[reason]) + (_external[reason]?.Invoke() ?? 0);
}

/// <summary>A copy of a node's counters.</summary>
public sealed record NodeCountersSnapshot(
    string Name,
    NodeRole Role,
    long InPackets,
    long InBytes,
    long OutPackets,
    long OutBytes,
    IReadOnlyDictionary<DropReason, long> Drops,
    long Faults)
{
    /// <summary>All drops.</summary>
    public long TotalDrops
    {
        get
        {
            long total = 0;
            foreach (var n in Drops.Values)
            {
                total += n;
            }

            return total;
        }
    }
}
