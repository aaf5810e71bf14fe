using Netmap.Io.Rings;

namespace Netmap.Io.Packets;

/// <summary>
/// Walks the fragments of one packet from a slot: every slot with MOREFRAG and the first one without,
/// stopping at the ring's Tail. Use in <c>foreach</c>, or call <see cref="MoveNext"/> on a variable to read
/// <see cref="NextIndex"/> (the slot after the packet) and <see cref="Complete"/> (the chain ended before
/// Tail) afterwards: <c>foreach</c> walks a copy, so the variable itself does not move.
/// </summary>
public ref struct FragmentEnumerator
{
    private readonly Ring _ring;
    private uint _index;
    private uint _current;
    private bool _done;

    internal FragmentEnumerator(Ring ring, uint start)
    {
        _ring = ring;
        _index = start;
        _current = start;
    }

    /// <summary>The fragment under the enumerator.</summary>
    public readonly PacketView Current => _ring.Packet(_current);

    /// <summary>The slot index of <see cref="Current"/>.</summary>
    public readonly uint CurrentIndex => _current;

    /// <summary>The slot after the last fragment walked.</summary>
    public readonly uint NextIndex => _index;

    /// <summary>True once the last fragment (no MOREFRAG) was reached before Tail.</summary>
    public bool Complete { get; private set; }

    /// <summary>Fragments walked so far.</summary>
    public int Count { get; private set; }

    /// <summary>Returns the enumerator itself (for <c>foreach</c>).</summary>
    public readonly FragmentEnumerator GetEnumerator() => this;

    /// <summary>Moves to the next fragment.</summary>
    public bool MoveNext()
    {
        if (_done || _index == _ring.Tail)
        {
            return false;
        }

        _current = _index;
        _index = _ring.Next(_index);
        Count++;
        if ((_ring[_current].Flags & SlotFlags.MoreFrag) == 0)
        {
            Complete = true;
            _done = true;
        }

        return true;
    }
}
