using Netmap.Io.Ports;
using Netmap.Io.Ports.Vale;
using Netmap.Io.Rings;
using static Netmap.Io.Tests.Ports.Vale.ValeFrames;

namespace Netmap.Io.Tests.Ports.Vale;

/// <summary>
/// The learning bridge remembers each port's last source MAC and the last destination MAC with their buckets
/// (the hash, not the table): what it answers must still follow the table packet by packet.
/// </summary>
public sealed class LearningLookupTests : NetmapTestBase
{
    private static byte[] Frame(ReadOnlySpan<byte> dmac, ReadOnlySpan<byte> smac, int length = 60)
    {
        var frame = new byte[length];
        dmac.CopyTo(frame);
        smac.CopyTo(frame.AsSpan(6));
        return frame;
    }

    /// <summary>A unicast MAC other than <paramref name="mac"/> in the same bucket.</summary>
    private static byte[] CollidingWith(byte[] mac)
    {
        var bucket = LearningLookup.Hash(mac);
        for (var n = 1; n < 1 << 16; n++)
        {
            var other = Mac(n);
            if (LearningLookup.Hash(other) == bucket && !other.AsSpan().SequenceEqual(mac))
            {
                return other;
            }
        }

        throw new InvalidOperationException("no colliding MAC found");
    }

    private static byte Lookup(LearningLookup lookup, byte[] frame, int source, SlotFlags flags = SlotFlags.None)
    {
        var ring = 0;
        return lookup.Lookup(frame, flags, ref ring, source);
    }

    [Fact]
    public void The_hash_is_netmaps_for_known_macs()
    {
        // Computed with netmap's nm_bridge_rthash (the macro-based Jenkins mix over bytes 0-5, & 1023).
        Assert.Equal(Reference(Mac(1)), LearningLookup.Hash(Mac(1)));
        Assert.Equal(Reference(BroadcastMac), LearningLookup.Hash(BroadcastMac));
        byte[] odd = [0x02, 0x5a, 0x13, 0x77, 0x21, 0x9c];
        Assert.Equal(Reference(odd), LearningLookup.Hash(odd));

        static int Reference(byte[] m)
        {
            uint a = 0x9e3779b9, b = 0x9e3779b9, c = 0;
            b += (uint)(m[5] << 8 | m[4]);
            a += (uint)(m[3] << 24 | m[2] << 16 | m[1] << 8 | m[0]);
            a -= b; a -= c; a ^= c >> 13;
            b -= c; b -= a; b ^= a << 8;
            c -= a; c -= b; c ^= b >> 13;
            a -= b; a -= c; a ^= c >> 12;
            b -= c; b -= a; b ^= a << 16;
            c -= a; c -= b; c ^= b >> 5;
            a -= b; a -= c; a ^= c >> 3;
            b -= c; b -= a; b ^= a << 10;
            c -= a; c -= b; c ^= b >> 15;
            return (int)(c & 1023);
        }
    }

    [Fact]
    public void A_mac_that_moves_to_another_port_is_relearned_at_once()
    {
        var lookup = new LearningLookup();
        var x = Mac(7);
        Lookup(lookup, Frame(BroadcastMac, x), 1);
        Assert.Equal(1, lookup.Find(x));
        Assert.Equal(1, Lookup(lookup, Frame(x, Mac(9)), 3));

        Lookup(lookup, Frame(BroadcastMac, x), 2); // x now speaks on port 2
        Assert.Equal(2, lookup.Find(x));
        Assert.Equal(2, Lookup(lookup, Frame(x, Mac(9)), 3)); // the same destination as the packet before

        Lookup(lookup, Frame(BroadcastMac, x), 1); // and back: port 1's remembered MAC is x again
        Assert.Equal(1, lookup.Find(x));
        Assert.Equal(1, Lookup(lookup, Frame(x, Mac(9)), 3));
    }

    [Fact]
    public void A_colliding_overwrite_is_repaired_by_the_next_packet_from_the_original_mac()
    {
        // netmap skips learning when the source MAC equals the port's last learned one, so x would stay unknown
        // here until port 1 sent from another MAC; this bridge relearns x on its next packet.
        var lookup = new LearningLookup();
        var x = Mac(7);
        var y = CollidingWith(x);
        Lookup(lookup, Frame(BroadcastMac, x), 1);
        Lookup(lookup, Frame(BroadcastMac, y), 2);
        Assert.Equal(-1, lookup.Find(x));
        Assert.Equal(2, lookup.Find(y));
        Assert.Equal(ValeSwitch.Broadcast, Lookup(lookup, Frame(x, Mac(9)), 3)); // x is unknown now

        Lookup(lookup, Frame(BroadcastMac, x), 1);
        Assert.Equal(1, lookup.Find(x));
        Assert.Equal(-1, lookup.Find(y));
        Assert.Equal(1, Lookup(lookup, Frame(x, Mac(9)), 3));
    }

    [Fact]
    public void The_remembered_destination_follows_the_table()
    {
        // The same destination MAC packet after packet, while the table changes under it.
        var lookup = new LearningLookup();
        var x = Mac(7);
        var y = CollidingWith(x);
        var toX = Frame(x, Mac(9));
        Assert.Equal(ValeSwitch.Broadcast, Lookup(lookup, toX, 3)); // unknown
        Lookup(lookup, Frame(BroadcastMac, x), 1);
        Assert.Equal(1, Lookup(lookup, toX, 3));                     // learned
        Lookup(lookup, Frame(BroadcastMac, y), 2);
        Assert.Equal(ValeSwitch.Broadcast, Lookup(lookup, toX, 3)); // its bucket taken by y
        Assert.Equal(2, Lookup(lookup, Frame(y, Mac(9)), 3));
        Lookup(lookup, Frame(BroadcastMac, x), 4);
        Assert.Equal(4, Lookup(lookup, toX, 3));                     // back, on another port
        lookup.Clear();
        Assert.Equal(ValeSwitch.Broadcast, Lookup(lookup, toX, 3)); // forgotten
        Lookup(lookup, Frame(BroadcastMac, x), 4);
        Assert.Equal(4, Lookup(lookup, toX, 3));                     // the port's remembered MAC still teaches after a clear
    }

    [Fact]
    public void No_learn_and_multicast_sources_neither_teach_nor_disturb_what_a_port_taught()
    {
        var lookup = new LearningLookup();
        var x = Mac(7);
        Lookup(lookup, Frame(BroadcastMac, x), 1);
        Lookup(lookup, Frame(BroadcastMac, x), 2, SlotFlags.NoLearn);
        Assert.Equal(1, lookup.Find(x));
        byte[] multicast = [0x03, 0, 0, 0, 0, 7];
        Lookup(lookup, Frame(BroadcastMac, multicast), 1);
        Assert.Equal(-1, lookup.Find(multicast));
        Lookup(lookup, Frame(BroadcastMac, x), 2);
        Assert.Equal(2, lookup.Find(x));
    }

    [Fact]
    public void Runts_are_dropped_without_touching_the_table()
    {
        var lookup = new LearningLookup();
        var frame = Frame(Mac(1), Mac(7), 13);
        Assert.Equal(ValeSwitch.Drop, Lookup(lookup, frame, 1));
        Assert.Equal(-1, lookup.Find(Mac(7)));
    }

    [Fact]
    public void Through_the_switch_a_moved_mac_and_a_colliding_overwrite_are_followed_packet_by_packet()
    {
        using var v0 = Domain.Open("vale0:v0");
        using var v1 = Domain.Open("vale0:v1");
        using var v2 = Domain.Open("vale0:v2");
        var x = Mac(7);
        var y = CollidingWith(x);

        // x on v0; v2 sends to x: v0 alone.
        Send(v0, Frame(BroadcastMac, x));
        Drain(v1, v2);
        Send(v2, Frame(x, Mac(9)));
        Assert.Equal((1, 0), Count(v0, v1));

        // x moves to v1 (one sync with two packets from v1: the second finds its bucket already right).
        Send(v1, Frame(BroadcastMac, x), Frame(BroadcastMac, x));
        Drain(v0, v2);
        Send(v2, Frame(x, Mac(9)));
        Assert.Equal((0, 1), Count(v0, v1));

        // y, in x's bucket, speaks from v0: x is unknown and floods.
        Send(v0, Frame(BroadcastMac, y));
        Drain(v1, v2);
        Send(v2, Frame(x, Mac(9)));
        Assert.Equal((1, 1), Count(v0, v1));

        // v1 sends from x again (its remembered MAC): relearned at once.
        Send(v1, Frame(BroadcastMac, x));
        Drain(v0, v2);
        Send(v2, Frame(x, Mac(9)));
        Assert.Equal((0, 1), Count(v0, v1));
    }

    private static void Send(PortHandle h, params byte[][] frames)
    {
        foreach (var f in frames)
        {
            PacketFill.Send(h.TxRing, f);
        }

        Assert.Equal(SyncStatus.Ok, h.TxSync());
    }

    private static int Received(PortHandle h)
    {
        h.RxSync();
        var n = (int)h.RxRing.Space;
        h.RxRing.Head = h.RxRing.Cur = h.RxRing.Tail;
        h.RxSync();
        return n;
    }

    private static void Drain(params PortHandle[] handles)
    {
        foreach (var h in handles)
        {
            Received(h);
        }
    }

    private static (int, int) Count(PortHandle a, PortHandle b) => (Received(a), Received(b));
}
