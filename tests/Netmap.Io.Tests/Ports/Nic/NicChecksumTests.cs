using System.Buffers.Binary;
using Netmap.Io.Ports;
using Netmap.Io.Ports.Nic;

namespace Netmap.Io.Tests.Ports.Nic;

// Checksum offload off (netmap-notes §9, DESIGN "Checksums"): a NIC port fills IPv4, TCP and UDP checksums in
// software on TX and, when asked, checks them on RX. Every expected value is recomputed here from scratch.
public sealed class NicChecksumTests : NetmapTestBase
{
    public static TheoryData<string, bool, byte, int, int> Frames => new()
    {
        { "IPv4 UDP", false, NicFrames.Udp, 100, 0 },
        { "IPv4 TCP", false, NicFrames.Tcp, 333, 0 },
        { "IPv6 UDP", true, NicFrames.Udp, 57, 0 },
        { "IPv6 TCP", true, NicFrames.Tcp, 1000, 0 },
        { "802.1Q IPv4 UDP", false, NicFrames.Udp, 18, 1 },
        { "802.1Q IPv6 TCP", true, NicFrames.Tcp, 0, 1 },
        { "QinQ IPv4 TCP, odd length", false, NicFrames.Tcp, 11, 2 },
    };

    [Theory]
    [MemberData(nameof(Frames))]
    public void With_checksum_offload_off_zeroed_checksums_leave_right(string kind, bool ipv6, byte protocol, int payload, int vlanTags)
    {
        var nic = Domain.CreateSoftInterface("nic0");
        using var handle = Domain.Open("netmap:nic0@csum=sw");
        var frame = NicFrames.Ip(ipv6, protocol, payload, vlanTags);
        Assert.True(handle.Port is NicPort { SoftwareTxChecksums: true }, kind);

        PacketFill.Send(handle.TxRing, frame);
        handle.TxSync();

        var sent = nic.ReadWire()!;
        NicFrames.AssertChecksumsRight(sent);
        Assert.Equal(frame.Length, sent.Length);
        Assert.Equal(WithoutChecksums(frame), WithoutChecksums(sent)); // nothing else changed
        Assert.Equal(frame, handle.TxRing.Packet(0).Data.ToArray()); // the fix is made on a copy: the slot's buffer is untouched
    }

    [Theory]
    [MemberData(nameof(Frames))]
    public void With_offload_on_frames_leave_exactly_as_written(string kind, bool ipv6, byte protocol, int payload, int vlanTags)
    {
        var nic = Domain.CreateSoftInterface("nic0");
        using var handle = Domain.Open("netmap:nic0");
        var frame = NicFrames.Ip(ipv6, protocol, payload, vlanTags);

        PacketFill.Send(handle.TxRing, frame);
        handle.TxSync();

        Assert.True(frame.AsSpan().SequenceEqual(nic.ReadWire()), kind);
    }

    [Fact]
    public void Register_options_turn_software_checksums_on_for_a_multi_slot_frame_too()
    {
        var nic = Domain.CreateSoftInterface("jumbo0", maxFrameSize: 9018);
        using var handle = Domain.Open("netmap:jumbo0", new RegisterOptions { SoftwareTxChecksums = true });
        var frame = NicFrames.Ip(ipv6: false, NicFrames.Udp, payload: 8000);

        handle.Inject(frame);
        handle.TxSync();

        NicFrames.AssertChecksumsRight(nic.ReadWire()!);
    }

    [Fact]
    public void Wrong_checksums_are_overwritten_and_non_IP_frames_and_fragments_keep_their_L4_bytes()
    {
        var nic = Domain.CreateSoftInterface("nic0");
        using var handle = Domain.Open("netmap:nic0@csum=sw");
        var wrong = NicFrames.Ip(ipv6: false, NicFrames.Tcp, payload: 40);
        BinaryPrimitives.WriteUInt16BigEndian(wrong.AsSpan(NicFrames.Ipv4ChecksumAt(wrong)), 0xBEEF);
        BinaryPrimitives.WriteUInt16BigEndian(wrong.AsSpan(NicFrames.L4ChecksumAt(wrong)), 0xDEAD);
        var plain = NicFrames.Plain(80, 3);
        var fragment = NicFrames.Ip(ipv6: false, NicFrames.Udp, payload: 40);
        fragment[NicFrames.Ipv4ChecksumAt(fragment) - 4] |= 0x20; // MF: the UDP checksum covers the whole datagram
        foreach (var frame in new[] { wrong, plain, fragment })
        {
            PacketFill.Send(handle.TxRing, frame);
        }

        handle.TxSync();

        NicFrames.AssertChecksumsRight(nic.ReadWire()!);
        Assert.Equal(plain, nic.ReadWire());
        var sentFragment = nic.ReadWire()!;
        Assert.Equal(NicFrames.ExpectedChecksums(fragment).Ipv4, BinaryPrimitives.ReadUInt16BigEndian(sentFragment.AsSpan(NicFrames.Ipv4ChecksumAt(fragment))));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(sentFragment.AsSpan(NicFrames.L4ChecksumAt(fragment))));
    }

    [Fact]
    public void RX_verification_counts_bad_checksums_and_still_delivers_the_frames()
    {
        var nic = Domain.CreateSoftInterface("nic0");
        using var handle = Domain.Open("netmap:nic0@csum:rx=verify");
        var good = NicFrames.Ip(ipv6: true, NicFrames.Tcp, payload: 100, withChecksums: true);
        var badL4 = NicFrames.Ip(ipv6: false, NicFrames.Udp, payload: 100, withChecksums: true);
        badL4[^1] ^= 0x01; // payload changed after the checksum
        var badHeader = NicFrames.Ip(ipv6: false, NicFrames.Tcp, payload: 10, withChecksums: true);
        badHeader[NicFrames.Ipv4ChecksumAt(badHeader)] ^= 0x80;
        var noUdpChecksum = NicFrames.Ip(ipv6: false, NicFrames.Udp, payload: 30, withChecksums: true);
        BinaryPrimitives.WriteUInt16BigEndian(noUdpChecksum.AsSpan(NicFrames.L4ChecksumAt(noUdpChecksum)), 0); // "not computed": fine over IPv4
        var frames = new[] { good, badL4, badHeader, noUdpChecksum, NicFrames.Plain(64, 1) };
        foreach (var frame in frames)
        {
            nic.InjectFromWire(frame);
        }

        handle.RxSync();

        foreach (var frame in frames)
        {
            Assert.Equal(frame, PacketFill.Receive(handle.RxRing));
        }

        var counters = Assert.IsType<NicPort>(handle.Port).ReadCounters();
        Assert.Equal(2, counters.RxBadChecksums);
        Assert.Equal(5, counters.RxFrames);
        handle.RxSync();
    }

    [Fact]
    public void Without_RX_verification_nothing_is_checked()
    {
        var nic = Domain.CreateSoftInterface("nic0");
        using var handle = Domain.Open("netmap:nic0");
        nic.InjectFromWire(NicFrames.Ip(ipv6: false, NicFrames.Udp, payload: 10)); // zero checksums: wrong for the header

        handle.RxSync();
        PacketFill.Receive(handle.RxRing);
        handle.RxSync();

        Assert.Equal(0, Assert.IsType<NicPort>(handle.Port).ReadCounters().RxBadChecksums);
    }

    [Fact]
    public void A_later_open_can_turn_software_checksums_on_but_never_off()
    {
        Domain.CreateSoftInterface("nic0");
        using var first = Domain.Open("netmap:nic0-0/T");
        var port = Assert.IsType<NicPort>(first.Port);
        Assert.False(port.SoftwareTxChecksums);

        using (Domain.Open("netmap:nic0/R@csum:tx=sw,rx=verify"))
        {
            Assert.True(port.SoftwareTxChecksums);
            Assert.True(port.VerifyRxChecksums);
        }

        using var third = Domain.Open("netmap:nic0/R@csum=hw");
        Assert.True(port.SoftwareTxChecksums);
    }

    [Theory]
    [InlineData("netmap:nic0@csum=sw", true, null)]
    [InlineData("netmap:nic0@csum:tx=hw,rx=verify", false, true)]
    [InlineData("netmap:nic0@csum:rx=none", null, false)]
    [InlineData("netmap:nic0@csum:tx=sw@csum:tx=hw", false, null)]
    [InlineData("netmap:nic0-1/T@csum:rx=verify@conf:slots=64", null, true)]
    public void The_csum_option_parses(string spec, bool? softwareTx, bool? verifyRx)
    {
        var parsed = PortSpecParser.Parse(spec);

        Assert.Equal(softwareTx, parsed.Options.Checksum!.SoftwareTx);
        Assert.Equal(verifyRx, parsed.Options.Checksum.VerifyRx);
    }

    [Theory]
    [InlineData("netmap:nic0@csum=yes")]
    [InlineData("netmap:nic0@csum:rx=check")]
    [InlineData("netmap:nic0@csum:bad=1")]
    [InlineData("netmap:nic0@csum")]
    [InlineData("netmap:nic0@csum:tx=sw,tx=hw")]
    public void A_bad_csum_option_fails_EINVAL(string spec)
    {
        var error = Assert.Throws<PortSpecException>(() => PortSpecParser.Parse(spec));

        Assert.Equal(NetmapError.EINVAL, error.Code);
    }

    [Theory]
    [InlineData("netmap:pipe{1@csum=sw")]
    [InlineData("null@csum:rx=verify")]
    public void Ports_that_are_not_NICs_refuse_the_csum_option_EOPNOTSUPP_and_keep_nothing(string spec)
    {
        var error = Assert.Throws<NetmapException>(() => Domain.Open(spec));

        Assert.Equal(NetmapError.EOPNOTSUPP, error.Code);
        Assert.Equal(0, Arena.InUse);
        using var pipe = Domain.Open("netmap:pipe{1"); // the failed open left no half-made pipe behind
        Assert.Equal(1, pipe.Port.Bindings);
    }

    [Fact]
    public void RegisterOptions_checksums_on_a_pipe_fail_EOPNOTSUPP()
    {
        var error = Assert.Throws<NetmapException>(() => Domain.Open("netmap:pipe{2", new RegisterOptions { VerifyRxChecksums = true }));

        Assert.Equal(NetmapError.EOPNOTSUPP, error.Code);
    }

    private static byte[] WithoutChecksums(byte[] frame)
    {
        var copy = (byte[])frame.Clone();
        copy[NicFrames.L4ChecksumAt(frame)] = 0;
        copy[NicFrames.L4ChecksumAt(frame) + 1] = 0;
        if (NicFrames.Ipv4ChecksumAt(frame) is var ip and >= 0)
        {
            copy[ip] = 0;
            copy[ip + 1] = 0;
        }

        return copy;
    }
}
