using Netmap.Io.Ports;
using Netmap.Io.Ports.Vale;
using Netmap.Io.Rings;
using static Netmap.Io.Tests.Ports.Vale.ValeFrames;

namespace Netmap.Io.Tests.Ports.Vale;

/// <summary>Every packet a VALE switch does not deliver is counted, with its reason, on a port (netmap-notes §7.3).</summary>
public sealed class ValeDropTests : NetmapTestBase
{
    private static byte[] Frame(ReadOnlySpan<byte> dmac, ReadOnlySpan<byte> smac, int length)
    {
        var frame = PacketFill.Pattern(length, length);
        dmac.CopyTo(frame);
        smac.CopyTo(frame.AsSpan(6));
        return frame;
    }

    private static byte[] Mac(int n) => [0x02, 0, 0, 0, 0, (byte)n];

    private static void Send(PortHandle h, params byte[][] frames)
    {
        foreach (var frame in frames)
        {
            PacketFill.Send(h.TxRing, frame);
        }

        h.TxSync();
    }

    private static int Drain(PortHandle h)
    {
        h.RxSync();
        var n = (int)h.RxRing.Space;
        h.RxRing.Head = h.RxRing.Cur = h.RxRing.Tail;
        h.RxSync();
        return n;
    }

    private ValePortInfo Info(string name) => Assert.Single(Assert.Single(Domain.ListVale()).Ports, p => p.Name == name);

    private sealed class FixedLookup(byte result) : IValeLookup
    {
        public byte Lookup(ReadOnlySpan<byte> frame, SlotFlags flags, ref int ring, int sourcePort) => result;
    }

    [Fact]
    public void Frames_shorter_than_an_ethernet_header_are_counted_as_runts_on_the_source()
    {
        using var v0 = Domain.Open("vale0:v0");
        using var v1 = Domain.Open("vale0:v1");
        Send(v0, PacketFill.Pattern(13, 1), PacketFill.Pattern(0, 1), Frame(BroadcastMac, Mac(1), 14));
        Assert.Equal(1, Drain(v1)); // only the 14-byte one
        var info = Info("vale0:v0");
        Assert.Equal(3, info.ForwardedPackets);
        Assert.Equal(new ValeDrops(0, 0, 0, 2, 0, 0), info.Drops);
        Assert.Equal(0, info.DroppedPackets); // DroppedPackets is about packets for the port
        Assert.Equal(2, info.Drops[ValeDropReason.Runt]);
        Assert.Equal(2, Domain.FindVale("vale0")!.Ports[0].Drops(ValeDropReason.Runt));
    }

    [Fact]
    public void A_drop_verdict_of_the_lookup_is_counted_on_the_source()
    {
        using var v0 = Domain.Open("vale0:v0");
        using var v1 = Domain.Open("vale0:v1");
        Domain.FindVale("vale0")!.Register(new FixedLookup(ValeSwitch.Drop));
        Send(v0, Frame(BroadcastMac, Mac(1), 60), Frame(Mac(2), Mac(1), 61), PacketFill.Pattern(5, 5));
        Assert.Equal(0, Drain(v1));
        var drops = Info("vale0:v0").Drops;
        Assert.Equal(2, drops.Lookup);
        Assert.Equal(1, drops.Runt);
        Assert.Equal(3, drops.Total);
    }

    [Fact]
    public void Unicast_to_the_source_and_to_an_empty_port_index_are_counted_apart()
    {
        using var v0 = Domain.Open("vale0:v0");
        using var v1 = Domain.Open("vale0:v1");
        var sw = Domain.FindVale("vale0")!;
        Send(v0, Frame(BroadcastMac, Mac(1), 60)); // learns Mac(1) on port 0
        Drain(v1);
        Send(v0, Frame(Mac(1), Mac(9), 60), Frame(Mac(1), Mac(9), 61)); // back to itself
        sw.Register(new FixedLookup(7)); // no port 7
        Send(v1, Frame(Mac(3), Mac(2), 60));
        Assert.Equal(0, Drain(v0));
        Assert.Equal(0, Drain(v1));
        Assert.Equal(new ValeDrops(0, 0, 0, 0, 2, 0), Info("vale0:v0").Drops);
        Assert.Equal(new ValeDrops(0, 0, 0, 0, 0, 1), Info("vale0:v1").Drops);
    }

    [Fact]
    public void Destination_drops_say_whether_the_ring_was_full_or_not_bound()
    {
        using var v0 = Domain.Open("vale0:v0");
        using var full = Domain.Open("vale0:full", new RegisterOptions { RxSlots = 4 }); // 3 free slots
        using var txOnly = Domain.Open("vale0:txonly/T");
        Send(v0, Frame(BroadcastMac, Mac(1), 60), Frame(BroadcastMac, Mac(1), 60), Frame(BroadcastMac, Mac(1), 60),
            Frame(BroadcastMac, Mac(1), 60), Frame(BroadcastMac, Mac(1), 60));
        Assert.Equal(3, Drain(full));
        Assert.Equal(new ValeDrops(2, 0, 0, 0, 0, 0), Info("vale0:full").Drops);
        Assert.Equal(new ValeDrops(0, 5, 0, 0, 0, 0), Info("vale0:txonly").Drops);
        Assert.Equal(5, Info("vale0:txonly").DroppedPackets);
        Assert.Equal(0, Info("vale0:v0").Drops.Total);
    }

    [Fact]
    public void Every_unicast_packet_is_delivered_or_counted_once()
    {
        var rng = new Random(77);
        var ports = new PortHandle[4];
        for (var i = 0; i < ports.Length; i++)
        {
            ports[i] = Domain.Open($"vale1:p{i}", new RegisterOptions { RxSlots = 16 });
        }

        try
        {
            for (var i = 0; i < ports.Length; i++)
            {
                Send(ports[i], Frame(BroadcastMac, Mac(i), 60)); // learn every MAC
            }

            foreach (var p in ports)
            {
                Drain(p);
            }

            // The premise: the five MACs fall into five buckets, so learning never overwrites one of them.
            Assert.Equal(5, Enumerable.Range(0, 5).Select(i => LearningLookup.Hash(Mac(i))).Distinct().Count());
            var sw = Domain.FindVale("vale1")!;
            var baseline = Ends(sw.Snapshot());
            long sent = 0, expectedEnds = 0;
            for (var round = 0; round < 200; round++)
            {
                var src = rng.Next(ports.Length);
                var count = rng.Next(1, 24);
                for (var j = 0; j < count; j++)
                {
                    var dst = rng.Next(ports.Length + 1); // ports.Length = an unknown MAC: flooded
                    var runt = rng.Next(10) == 0;
                    var frame = runt ? PacketFill.Pattern(rng.Next(0, 14), j) : Frame(Mac(dst), Mac(src), rng.Next(14, 200));
                    PacketFill.Send(ports[src].TxRing, frame);
                    sent++;
                    // A runt, a unicast to itself or to another port ends once; a flood once per other port.
                    expectedEnds += !runt && dst == ports.Length ? ports.Length - 1 : 1;
                }

                ports[src].TxSync();
                if (rng.Next(3) == 0)
                {
                    Drain(ports[rng.Next(ports.Length)]);
                }
            }

            var after = sw.Snapshot();
            Assert.Equal(sent + ports.Length, after.Ports.Sum(p => p.ForwardedPackets));
            Assert.Equal(expectedEnds, Ends(after) - baseline); // delivered or dropped with a reason, exactly once
            var info = after.Ports;
            Assert.True(info.Sum(p => p.Drops.NoRoom) > 0); // 16-slot rings overflowed: the test saw drops
            Assert.True(info.Sum(p => p.Drops.ToSelf) > 0);
            Assert.True(info.Sum(p => p.Drops.Runt) > 0);
        }
        finally
        {
            foreach (var p in ports)
            {
                p.Dispose();
            }
        }

        static long Ends(ValeSwitchInfo info) => info.Ports.Sum(p => p.DeliveredPackets + p.Drops.Total);
    }
}
