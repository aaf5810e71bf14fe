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
/// to the port's last learned MAC, an optimization that only differs after a colliding overwrite).
/// Thread: called with the switch lock held.
/// </remarks>
public sealed class LearningLookup : IValeLookup
{
    /// <summary>Buckets in the table.</summary>
    public const int Buckets = 1024;

    private const ulong ValidBit = 1UL << 63;
    private readonly ulong[] _macs = new ulong[Buckets]; // 48-bit MAC | ValidBit, 0 = empty
    private readonly byte[] _ports = new byte[Buckets];

    /// <summary>netmap's bucket of <paramref name="mac"/> (6 bytes): Bob Jenkins' 96-bit mix, c &amp; 1023.</summary>
    public static int Hash(ReadOnlySpan<byte> mac)
    {
        uint a = 0x9e3779b9, b = 0x9e3779b9, c = 0;
        b += (uint)(mac[5] << 8 | mac[4]);
        a += (uint)(mac[3] << 24 | mac[2] << 16 | mac[1] << 8 | mac[0]);
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

    /// <summary>The port learned for <paramref name="mac"/>, or -1.</summary>
    public int Find(ReadOnlySpan<byte> mac)
    {
        var h = Hash(mac);
        return _macs[h] == (Key(mac) | ValidBit) ? _ports[h] : -1;
    }

    /// <summary>Forgets everything learned.</summary>
    public void Clear()
    {
        Array.Clear(_macs);
        Array.Clear(_ports);
    }

    /// <summary>Learns the source MAC (unless NS_NO_LEARN or multicast), then forwards by destination MAC; runts are dropped.</summary>
    public byte Lookup(ReadOnlySpan<byte> frame, SlotFlags flags, ref int ring, int sourcePort)
    {
        if (frame.Length < 14)
        {
            return ValeSwitch.Drop;
        }

        var smac = frame.Slice(6, 6);
        if ((smac[0] & 1) == 0 && (flags & SlotFlags.NoLearn) == 0)
        {
            var h = Hash(smac);
            _macs[h] = Key(smac) | ValidBit;
            _ports[h] = (byte)sourcePort;
        }

        var dmac = frame[..6];
        if ((dmac[0] & 1) != 0)
        {
            return ValeSwitch.Broadcast;
        }

        var port = Find(dmac);
        return port < 0 ? ValeSwitch.Broadcast : (byte)port;
    }

    private static ulong Key(ReadOnlySpan<byte> mac) =>
        (ulong)BinaryPrimitives.ReadUInt32LittleEndian(mac) | (ulong)BinaryPrimitives.ReadUInt16LittleEndian(mac[4..]) << 32;
}
