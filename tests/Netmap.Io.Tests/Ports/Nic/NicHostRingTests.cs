using Netmap.Io.Ports;
using Netmap.Io.Ports.Nic;
using Netmap.Io.Rings;

namespace Netmap.Io.Tests.Ports.Nic;

// Host rings and ring selection on NIC ports (netmap-notes §0 "Ring selection", §8 "Host rings", "Fake rings",
// §10 name grammar), over soft interfaces.
public sealed class NicHostRingTests : NetmapTestBase
{
    public NicHostRingTests()
        : base(buffers: 16384)
    {
    }

    [Fact]
    public void Five_host_TX_and_four_host_RX_rings_asked_in_SW_mode_are_echoed_back()
    {
        // netmap utils/ctrl-api-test.c, host-ring registration (NR_REG_SW, nr_host_tx_rings 5, nr_host_rx_rings 4)
        // — objective: the counts asked on the first bind are the port's and are reported back; operations:
        // 1) register in SW mode asking 5/4 host rings 2) the reply says 5/4 and the binding holds exactly them.
        Domain.CreateSoftInterface("nic0");
        using var handle = Domain.Open("netmap:nic0^", new RegisterOptions { HostTxRings = 5, HostRxRings = 4, TxSlots = 64, RxSlots = 64 });
        var port = handle.Port;

        Assert.IsType<NicPort>(port);
        Assert.Equal((1, 1, 5, 4), (port.TxRingCount, port.RxRingCount, port.HostTxRingCount, port.HostRxRingCount));
        Assert.Equal([1, 2, 3, 4, 5], Ids(handle.TxRings));
        Assert.Equal([1, 2, 3, 4], Ids(handle.RxRings));
        Assert.All(handle.TxRings.ToArray(), r => Assert.True(r.IsHostRing));
        Assert.All(handle.RxRings.ToArray(), r => Assert.True(r.IsHostRing));
        Assert.False(port.TxRings[0].IsBound); // the NIC rings are not part of a SW binding
    }

    [Fact]
    public void Two_host_rings_each_way_with_ONE_SW_ring_1_bind_exactly_host_ring_1()
    {
        // netmap utils/ctrl-api-test.c, one host ring pair (NR_REG_ONE_SW, ringid 1, 2/2 host rings) —
        // objective: ONE_SW selects host ring 1 of each direction; operations: 1) register asking 2/2 host rings
        // in ONE_SW mode, ring 1 2) the reply says 2/2 and the binding holds host ring 1 only.
        Domain.CreateSoftInterface("nic0");
        using var handle = Domain.Open("netmap:nic0^1", new RegisterOptions { HostTxRings = 2, HostRxRings = 2, TxSlots = 64, RxSlots = 64 });

        Assert.Equal((2, 2), (handle.Port.HostTxRingCount, handle.Port.HostRxRingCount));
        Assert.Equal(RegisterMode.OneSw, handle.Mode);
        Assert.Equal([2], Ids(handle.TxRings)); // NIC ring 0, host rings 1 and 2: host ring 1 is ring 2
        Assert.Equal([2], Ids(handle.RxRings));
    }

    [Fact]
    public void Host_ring_counts_are_honoured_only_by_the_first_bind()
    {
        Domain.CreateSoftInterface("nic0");
        using var first = Domain.Open("netmap:nic0@conf:host-rings=3,slots=64");
        using var second = Domain.Open("netmap:nic0^", new RegisterOptions { HostTxRings = 5, HostRxRings = 5 });

        Assert.Same(first.Port, second.Port);
        Assert.Equal((3, 3), (second.Port.HostTxRingCount, second.Port.HostRxRingCount));
        Assert.Equal([1, 2, 3], Ids(second.TxRings));
        Assert.Equal([1, 2, 3], Ids(second.RxRings));
    }

    [Fact]
    public void Host_ring_counts_go_back_to_one_when_the_last_user_leaves()
    {
        Domain.CreateSoftInterface("nic0");
        using (var a = Domain.Open("netmap:nic0*", new RegisterOptions { HostTxRings = 4, HostRxRings = 2, TxSlots = 64, RxSlots = 64 }))
        using (var b = Domain.Open("netmap:nic0^"))
        {
            Assert.Equal((4, 2), (b.Port.HostTxRingCount, b.Port.HostRxRingCount));
        }

        using var again = Domain.Open("netmap:nic0^");

        Assert.Equal((1, 1), (again.Port.HostTxRingCount, again.Port.HostRxRingCount));
        Assert.Equal([1], Ids(again.TxRings));
        Assert.Equal([1], Ids(again.RxRings));

        using var asking = Domain.Open("netmap:nic0^", new RegisterOptions { HostTxRings = 6 });
        Assert.Equal(1, asking.Port.HostTxRingCount); // still not the first bind
    }

    [Fact]
    public void Host_ring_counts_come_from_conf_host_tx_and_host_rx_rings()
    {
        Domain.CreateSoftInterface("nic0");
        using var handle = Domain.Open("netmap:nic0*@conf:host-tx-rings=2,host-rx-rings=3,slots=32");

        Assert.Equal((2, 3), (handle.Port.HostTxRingCount, handle.Port.HostRxRingCount));
        Assert.Equal([0, 1, 2], Ids(handle.TxRings));
        Assert.Equal([0, 1, 2, 3], Ids(handle.RxRings));
        Assert.All(handle.TxRings.ToArray(), r => Assert.Equal(32u, r.NumSlots));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("300")]
    public void Host_ring_counts_out_of_range_fail_EINVAL(string count)
    {
        Domain.CreateSoftInterface("nic0");

        var error = Assert.Throws<NetmapException>(() => Domain.Open($"netmap:nic0^@conf:host-rings={count}"));

        Assert.Equal(NetmapError.EINVAL, error.Code);
        Assert.Equal(0, Arena.InUse);
    }

    [Theory]
    [InlineData("netmap:plain^")]
    [InlineData("netmap:plain*")]
    [InlineData("netmap:plain^0")]
    public void Fake_host_rings_cannot_be_bound(string spec)
    {
        // netmap-notes §8 "Fake rings": a port without host-ring support shows one host ring each way, with no
        // buffer behind it, and every SW mode fails EINVAL.
        Domain.CreateSoftInterface("plain", hostRings: false);

        var error = Assert.Throws<NetmapException>(() => Domain.Open(spec));

        Assert.Equal(NetmapError.EINVAL, error.Code);
        Assert.Contains("no host rings", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, Arena.InUse);
    }

    [Fact]
    public void A_port_without_host_rings_shows_one_fake_host_ring_each_way_without_buffers()
    {
        Domain.CreateSoftInterface("plain", hostRings: false);
        using var handle = Domain.Open("netmap:plain@conf:host-rings=4,slots=64");
        var port = handle.Port;

        Assert.False(port.HasHostRings);
        Assert.Equal((1, 1), (port.HostTxRingCount, port.HostRxRingCount));
        Assert.All(port.TxRings[1].Slots.ToArray(), s => Assert.Equal(0u, s.BufIdx));
        Assert.All(port.RxRings[1].Slots.ToArray(), s => Assert.Equal(0u, s.BufIdx));
        Assert.Equal(2 * 64, Arena.InUse); // NIC rings only
    }

    // 2 NIC TX rings, 3 NIC RX rings, 2 host rings each way: TX rings 0-1 NIC, 2-3 host; RX rings 0-2 NIC, 3-4 host.
    [Theory]
    [InlineData("netmap:q", new[] { 0, 1 }, new[] { 0, 1, 2 })]
    [InlineData("netmap:q^", new[] { 2, 3 }, new[] { 3, 4 })]
    [InlineData("netmap:q*", new[] { 0, 1, 2, 3 }, new[] { 0, 1, 2, 3, 4 })]
    [InlineData("netmap:q-1", new[] { 1 }, new[] { 1 })]
    [InlineData("netmap:q-2", new[] { 0 }, new[] { 2 })] // no TX ring 2: that direction takes ring 0, as netmap does
    [InlineData("netmap:q^0", new[] { 2 }, new[] { 3 })]
    [InlineData("netmap:q^1", new[] { 3 }, new[] { 4 })]
    [InlineData("netmap:q-1/T", new[] { 1 }, new int[0])]
    [InlineData("netmap:q*/R", new int[0], new[] { 0, 1, 2, 3, 4 })]
    public void A_NIC_name_selects_exactly_its_rings(string spec, int[] tx, int[] rx)
    {
        Domain.CreateSoftInterface("q", txQueues: 2, rxQueues: 3);
        using var handle = Domain.Open(spec + "@conf:host-rings=2,slots=32");

        Assert.Equal(tx, Ids(handle.TxRings));
        Assert.Equal(rx, Ids(handle.RxRings));
        Assert.Equal(tx, BoundIds(handle.Port.TxRings));
        Assert.Equal(rx, BoundIds(handle.Port.RxRings));
    }

    [Theory]
    [InlineData("netmap:q-3")]
    [InlineData("netmap:q^2")]
    public void A_ring_id_past_both_directions_fails_EINVAL(string spec)
    {
        Domain.CreateSoftInterface("q", txQueues: 2, rxQueues: 3);

        var error = Assert.Throws<NetmapException>(() => Domain.Open(spec + "@conf:host-rings=2,slots=32"));

        Assert.Equal(NetmapError.EINVAL, error.Code);
        Assert.Equal(0, Arena.InUse);
    }

    private static int[] Ids(ReadOnlySpan<Ring> rings)
    {
        var ids = new int[rings.Length];
        for (var i = 0; i < rings.Length; i++)
        {
            ids[i] = rings[i].RingId;
        }

        return ids;
    }

    private static int[] BoundIds(IReadOnlyList<Ring> rings)
    {
        var ids = new List<int>();
        foreach (var ring in rings)
        {
            if (ring.IsBound)
            {
                ids.Add(ring.RingId);
            }
        }

        return [.. ids];
    }
}
