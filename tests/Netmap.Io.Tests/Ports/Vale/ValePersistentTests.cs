namespace Netmap.Io.Tests.Ports.Vale;

/// <summary>Persistent VALE ports (vale-ctl -n/-a/-d/-r, netmap-notes §7.2).</summary>
public sealed class ValePersistentTests : NetmapTestBase
{
    private static void Fails(NetmapError code, Action action) => Assert.Equal(code, Assert.Throws<NetmapException>(action).Code);

    [Fact]
    public void Create_attach_detach_destroy_follows_test_009()
    {
        // netmap utils/tests/009_vale_persistent_create_destroy — objective: a persistent port can be destroyed
        // only when attached nowhere. Operations and exit codes: create v0 (0), destroy (0), create (0), attach
        // vale0A (0), destroy (1), attach vale0B (0: wrapped onto a second switch), destroy (1), detach vale0B (0),
        // destroy (1), detach vale0A (0), destroy (0).
        Domain.CreatePersistentPort("v0");                                  // -n v0: 0
        Domain.DestroyPersistentPort("v0");                                 // -r v0: 0
        Domain.CreatePersistentPort("v0");                                  // -n v0: 0
        Domain.ValeAttach("vale0A:v0");                                     // -a vale0A:v0: 0
        Fails(NetmapError.EBUSY, () => Domain.DestroyPersistentPort("v0")); // -r v0: 1
        Domain.ValeAttach("vale0B:v0");                                     // -a vale0B:v0: 0
        Fails(NetmapError.EBUSY, () => Domain.DestroyPersistentPort("v0")); // -r v0: 1
        Domain.ValeDetach("vale0B:v0");                                     // -d vale0B:v0: 0
        Fails(NetmapError.EBUSY, () => Domain.DestroyPersistentPort("v0")); // -r v0: 1
        Domain.ValeDetach("vale0A:v0");                                     // -d vale0A:v0: 0
        Domain.DestroyPersistentPort("v0");                                 // -r v0: 0
        Assert.Null(Domain.FindVale("vale0A"));
        Assert.Null(Domain.FindVale("vale0B"));
    }

    [Fact]
    public void Attaching_twice_to_one_switch_is_busy_test_010()
    {
        // netmap utils/tests/010_vale_persistent_attach_twice — objective: a port attaches once per switch.
        // Operations and exit codes: create (0), attach A (0), attach A again (1), attach B (0).
        Domain.CreatePersistentPort("v0");
        Domain.ValeAttach("vale0A:v0");
        Fails(NetmapError.EBUSY, () => Domain.ValeAttach("vale0A:v0"));
        Domain.ValeAttach("vale0B:v0");
        Fails(NetmapError.EBUSY, () => Domain.ValeAttach("vale0B:v0")); // and once on the second switch too
        Domain.ValeDetach("vale0B:v0");
        Domain.ValeDetach("vale0A:v0");
        Domain.DestroyPersistentPort("v0");
    }

    [Fact]
    public void Creating_an_existing_port_is_eexist_test_011()
    {
        // netmap utils/tests/011_vale_persistent_create_twice — objective: a name is created once. Operations and
        // exit codes: create (0), attach A (0), create again (1), attach B (0), create again (1).
        Domain.CreatePersistentPort("v0");
        Domain.ValeAttach("vale0A:v0");
        Fails(NetmapError.EEXIST, () => Domain.CreatePersistentPort("v0"));
        Domain.ValeAttach("vale0B:v0");
        Fails(NetmapError.EEXIST, () => Domain.CreatePersistentPort("v0"));
        Domain.ValeDetach("vale0B:v0");
        Domain.ValeDetach("vale0A:v0");
        Domain.DestroyPersistentPort("v0");
    }

    [Fact]
    public void Detaching_the_first_switch_while_wrapped_on_another_is_busy()
    {
        // netmap-notes §7.2: detaching the first attachment of a persistent port that is also wrapped onto
        // another switch fails EBUSY; the wrapper goes first.
        Domain.CreatePersistentPort("v0");
        Domain.ValeAttach("vale0A:v0");
        Domain.ValeAttach("vale0B:v0");
        Fails(NetmapError.EBUSY, () => Domain.ValeDetach("vale0A:v0"));
        Fails(NetmapError.EBUSY, () => Domain.ValeAttach("vale0C:v0")); // wrapped once at most (in kernel use)
        Assert.Null(Domain.FindVale("vale0C"));
        Domain.ValeDetach("vale0B:v0");
        Domain.ValeDetach("vale0A:v0");
        Domain.DestroyPersistentPort("v0");
        Assert.Empty(Domain.ListVale());
    }

    [Theory]
    [InlineData("vale1")]
    [InlineData("valefoo")]
    [InlineData("")]
    [InlineData("abcdefghijklmnop")]
    public void Bad_names_are_einval(string name) => Fails(NetmapError.EINVAL, () => Domain.CreatePersistentPort(name));

    [Fact]
    public void Lifecycle_errors()
    {
        Fails(NetmapError.ENXIO, () => Domain.DestroyPersistentPort("nope"));
        Fails(NetmapError.EINVAL, () => Domain.ValeAttach("vale0:nope"));
        Fails(NetmapError.ENXIO, () => Domain.ValeDetach("vale0:nope"));

        using (Domain.Open("vale0:eph"))
        {
            Fails(NetmapError.EBUSY, () => Domain.ValeDetach("vale0:eph"));
        }

        Domain.CreatePersistentPort("p0", txRings: 2, rxRings: 3, txSlots: 64, rxSlots: 128);
        Fails(NetmapError.EINVAL, () => Domain.Open("vale0:p0")); // not attached yet
        using (var h = Domain.Open("netmap:p0"))
        {
            Assert.Equal(64u, h.TxRing.NumSlots);
            Fails(NetmapError.EBUSY, () => Domain.DestroyPersistentPort("p0")); // open
        }

        // The port survives its last handle.
        Domain.ValeAttach("vale0:p0");
        Fails(NetmapError.EBUSY, () => Domain.Open("netmap:p0")); // attached: open it through the switch
        Fails(NetmapError.EINVAL, () => Domain.ValeDetach("vale0:p0x"));
        Domain.ValeDetach("vale0:p0");
        Domain.DestroyPersistentPort("p0");
    }

    [Fact]
    public void An_ephemeral_port_of_the_same_name_stays_reachable()
    {
        using var eph = Domain.Open("vale0:v5");
        Domain.CreatePersistentPort("v5");
        using (var again = Domain.Open("vale0:v5"))
        {
            Assert.Same(eph.Port, again.Port);
        }

        Fails(NetmapError.EBUSY, () => Domain.ValeAttach("vale0:v5")); // the name is taken on vale0
        Domain.DestroyPersistentPort("v5");
    }

    [Fact]
    public void An_attached_persistent_port_switches_packets()
    {
        var port = Domain.CreatePersistentPort("p1");
        Assert.True(port.Persistent);
        Assert.Null(port.Switch);
        Domain.ValeAttach("vale3:p1");
        Assert.Equal("vale3", port.Switch?.Name);
        var frame = PacketFill.Pattern(60, 3);
        frame.AsSpan(0, 6).Fill(0xff);
        using (var p = Domain.Open("vale3:p1"))
        using (var e = Domain.Open("vale3:e"))
        {
            PacketFill.Send(e.TxRing, frame);
            e.TxSync();
            p.RxSync();
            Assert.Equal(frame, PacketFill.Receive(p.RxRing));
            p.RxSync();

            PacketFill.Send(p.TxRing, frame);
            p.TxSync();
            e.RxSync();
            Assert.Equal(frame, PacketFill.Receive(e.RxRing));
            e.RxSync();
        }

        Domain.ValeDetach("vale3:p1");
        using (var n = Domain.Open("netmap:p1"))
        {
            // Detached: TX goes nowhere but the ring is handed back.
            PacketFill.Send(n.TxRing, frame);
            n.TxSync();
        }

        Domain.DestroyPersistentPort("p1");
        Assert.True(port.IsDestroyed);
    }
}
