using Netmap.Io.Ports;

namespace Netmap.Io.Tests.Linux;

/// <summary><c>tap:NAME</c> names: netmap's grammar after the prefix (no root needed).</summary>
public sealed class TapSpecTests : NetmapTestBase
{
    [Theory]
    [InlineData("tap:tap0", "tap:tap0", RegisterMode.AllNic, 0u)]
    [InlineData("tap:tap0-1", "tap:tap0", RegisterMode.OneNic, 1u)]
    [InlineData("tap:t.x_1*", "tap:t.x_1", RegisterMode.NicSw, 0u)]
    public void A_tap_name_keeps_its_prefix_and_takes_netmap_ring_modes(string text, string name, RegisterMode mode, uint ringId)
    {
        var spec = PortSpecParser.Parse(text);
        Assert.Equal(PortPrefix.Tap, spec.Prefix);
        Assert.Equal(name, spec.Name);
        Assert.Equal(mode, spec.Mode);
        Assert.Equal(ringId, spec.RingId);
    }

    [Theory]
    [InlineData("tap:")]
    [InlineData("tap:t{1")]
    [InlineData("tap:a:b")]
    public void A_bad_tap_name_is_rejected(string text) =>
        Assert.Equal(NetmapError.EINVAL, Assert.Throws<PortSpecException>(() => PortSpecParser.Parse(text)).Code);

    [Fact]
    public void Without_the_Linux_backends_a_tap_port_is_ENXIO()
    {
        var error = Assert.Throws<NetmapException>(() => Domain.Open("tap:tap0"));
        Assert.Equal(NetmapError.ENXIO, error.Code);
        Assert.Contains("tap:tap0", error.Message, StringComparison.Ordinal);
    }
}
