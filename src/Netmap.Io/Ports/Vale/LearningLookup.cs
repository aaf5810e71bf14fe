using System.Buffers.Binary;
using Netmap.Io.Rings;

namespace Netmap.Io.Ports.Vale;

/// <summary>
/// The default VALE lookup, a learning bridge (netmap's <c>netmap_bdg_learning</c>, notes §7.4): 1024 buckets
/// indexed by netmap's Jenkins-mix hash of the MAC, one entry each, overwritten on collision, no aging.
/// </summary>
/// <remarks>
/// Differences from netmap, on purpose: a slot flagged NS_NO_LEARN does not teach the table (netmap declares
/// the flag but ignores it); an empty bucket is unknown (netmap's holds mac 0 / port 0, so an unknown unicast
/// to 00:00:00:00:00:00 went to port 0); the source MAC is learned on every packet (netmap skips it when equal
/// to the port's last learned MAC, which leaves a bucket another MAC overwrote wrong until the port sends from a
/// different MAC).
/// Cost: the hash is a pure function of the MAC, so it is remembered rather than recomputed: per source port
/// the last source MAC and its bucket, and the last destination MAC and its bucket. Nothing is cached about the
/// table itself: each packet still compares the bucket's entry (its MAC and port) and rewrites the bucket when
/// it differs, so a MAC that moved to another port, or a bucket a colliding MAC overwrote, is relearned at the
/// next packet from it, and a destination is found (or not) by what the bucket holds now. A bucket that already
/// holds the entry is not written (its cache line stays clean).
/// Thread: called with the switch lock held.
/// </remarks>
public sealed class LearningLookup : IValeLookup
{
    /// <summary>Buckets in the table.</summary>
    public const int Buckets = 1024;

    private const ulong ValidBit = 1UL << 63;
    private const ulong MacMask = (1UL << 48) - 1;
    private readonly ulong[] _macs = new ulong[Buckets]; // 48-bit MAC | ValidBit, 0 = empty
    private readonly byte[] _ports = new byte[Buckets];

    // The hash memo (see the remarks): by source port (as stored, a byte), its last source key and bucket;
    // and the last destination key and bucket. A key is MAC | ValidBit, so 0 never matches.
    private readonly ulong[] _sourceKeys = new ulong[256];
    private readonly int[] _sourceBuckets = new int[256];
    private ulong _destinationKey;
    private int _destinationBucket;

    /// <summary>netmap's bucket of <paramref name="mac"/> (6 bytes): Bob Jenkins' 96-bit mix, c &amp; 1023.</summary>
    public static int Hash(ReadOnlySpan<byte> mac) => HashKey(Key(mac));

    /// <summary>The port learned for <paramref name="mac"/>, or -1.</summary>
    public int Find(ReadOnlySpan<byte> mac)
    {
        var key = Key(mac) | ValidBit;
        var h = HashKey(key);
        return _macs[h] == key ? _ports[h] : -1;
    }

    /// <summary>Forgets everything learned.</summary>
    public void Clear()
    {
        Array.Clear(_macs);
        Array.Clear(_ports);
        Array.Clear(_sourceKeys);
        _destinationKey = 0;
    }

    /// <summary>Learns the source MAC (unless NS_NO_LEARN or multicast), then forwards by destination MAC; runts are dropped.</summary>
    public byte Lookup(ReadOnlySpan<byte> frame, SlotFlags flags, ref int ring, int sourcePort)
    {
        if (frame.Length < 14)
        {
            return ValeSwitch.Drop;
        }

        // Bytes 0-7 and 6-13 (the frame has 14): the low 48 bits are the MACs, as Key reads them.
        var dkey = BinaryPrimitives.ReadUInt64LittleEndian(frame) & MacMask;
        var skey = BinaryPrimitives.ReadUInt64LittleEndian(frame[6..]) & MacMask;
        if ((skey & 1) == 0 && (flags & SlotFlags.NoLearn) == 0)
        {
            skey |= ValidBit;
            var port = (byte)sourcePort;
            int h;
            if (_sourceKeys[port] == skey)
            {
                h = _sourceBuckets[port];
            }
            else
            {
                h = HashKey(skey);
                _sourceKeys[port] = skey;
                _sourceBuckets[port] = h;
            }

            if (_macs[h] != skey || _ports[h] != port)
            {
                _macs[h] = skey;
                _ports[h] = port;
            }
        }

        if ((dkey & 1) != 0)
        {
            return ValeSwitch.Broadcast;
        }

        dkey |= ValidBit;
        int d;
        if (_destinationKey == dkey)
        {
            d = _destinationBucket;
        }
        else
        {
            d = HashKey(dkey);
            _destinationKey = dkey;
            _destinationBucket = d;
        }

        return _macs[d] == dkey ? _ports[d] : ValeSwitch.Broadcast;
    }

    /// <summary>The hash of a key (its low 48 bits: byte 0 of the MAC lowest).</summary>
    private static int HashKey(ulong key)
    {
        uint a = 0x9e3779b9, b = 0x9e3779b9, c = 0;
        b += (uint)(key >> 32) & 0xffff;
        a += (uint)key;
        a -= b; a -= c; a ^= c >> 13;
        b -= c; b -= a; b ^= a << 8;
        c -= a; c -= b; c ^= b >> 13;
        a -= b; a -= c; a ^= c >> 12;
        b -= c; b -= a; b ^= a << 16;
        c -= a; c -= b; c ^= b >> 5;
        a -= b; a -= c; a ^= c >> 3;
        b -= c; b -= a; b ^= a << 10;
        c -= a; c -= b; c ^= b >> 15;
        return (int)(c & (Buckets - 1));
    }

    private static ulong Key(ReadOnlySpan<byte> mac) =>
        (ulong)BinaryPrimitives.ReadUInt32LittleEndian(mac) | (ulong)BinaryPrimitives.ReadUInt16LittleEndian(mac[4..]) << 32;
}
