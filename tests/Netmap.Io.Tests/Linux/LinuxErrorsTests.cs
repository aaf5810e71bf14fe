using Netmap.Io.Linux;
using Netmap.Io.Linux.Interop;

namespace Netmap.Io.Tests.Linux;

/// <summary>How a failed Linux call becomes a NetmapException (no root needed).</summary>
public sealed class LinuxErrorsTests
{
    [Theory]
    [InlineData(LibC.EPERM, NetmapError.EPERM)]
    [InlineData(LibC.EACCES, NetmapError.EPERM)]
    [InlineData(LibC.ENODEV, NetmapError.ENXIO)]
    [InlineData(LibC.ENXIO, NetmapError.ENXIO)]
    [InlineData(LibC.EBUSY, NetmapError.EBUSY)]
    [InlineData(LibC.EINVAL, NetmapError.EINVAL)]
    [InlineData(LibC.ENOMEM, NetmapError.ENOMEM)]
    [InlineData(LibC.ENOBUFS, NetmapError.ENOMEM)]
    [InlineData(LibC.EMSGSIZE, NetmapError.EMSGSIZE)]
    [InlineData(LibC.ENETDOWN, NetmapError.EIO)]
    public void An_errno_maps_to_its_netmap_code(int errno, NetmapError expected)
    {
        var error = LinuxErrors.Create(errno, "netmap:eth9", "bind to eth9", "CAP_NET_RAW", "eth9");
        Assert.Equal(expected, error.Code);
        Assert.StartsWith($"netmap:eth9: {expected}: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_permission_error_names_the_capability_and_both_ways_to_get_it()
    {
        var error = LinuxErrors.Create(LibC.EPERM, "tap:tap0", "creating TAP tap0 (TUNSETIFF)", "CAP_NET_ADMIN", "tap0");
        Assert.Equal(
            "tap:tap0: EPERM: creating TAP tap0 (TUNSETIFF) needs CAP_NET_ADMIN, which this process does not have (EPERM): "
            + "run as root, or grant the capabilities to the .NET host: sudo setcap cap_net_raw,cap_net_admin,cap_bpf+ep \"$(readlink -f \"$(which dotnet)\")\"",
            error.Message);
    }

    [Fact]
    public void A_missing_device_names_the_interface_and_other_errors_keep_the_errno_name()
    {
        Assert.Contains("no such interface 'eth9'", LinuxErrors.Create(LibC.ENODEV, "netmap:eth9", "bind", "CAP_NET_RAW", "eth9").Message, StringComparison.Ordinal);
        Assert.Contains("ENETDOWN", LinuxErrors.Create(LibC.ENETDOWN, "netmap:eth9", "sendto", "CAP_NET_RAW", "eth9").Message, StringComparison.Ordinal);
        Assert.Contains("errno 1234", LinuxErrors.Create(1234, "netmap:eth9", "sendto", "CAP_NET_RAW", "eth9").Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("sixteen-chars-xx")]
    [InlineData("a/b")]
    [InlineData("a:b")]
    [InlineData("a b")]
    public void A_name_Linux_cannot_carry_is_EINVAL_before_any_system_call(string name)
    {
        Assert.Equal(NetmapError.EINVAL, Assert.Throws<NetmapException>(() => AfPacketBackend.Open(name)).Code);
        Assert.Equal(NetmapError.EINVAL, Assert.Throws<NetmapException>(() => TapBackend.Open(name)).Code);
    }

    [Fact]
    public void Bad_queue_counts_are_EINVAL()
    {
        Assert.Equal(NetmapError.EINVAL, Assert.Throws<NetmapException>(() => AfPacketBackend.Open("lo", new AfPacketOptions { Queues = 0 })).Code);
        Assert.Equal(NetmapError.EINVAL, Assert.Throws<NetmapException>(() => TapBackend.Open("tap0", queues: 65)).Code);
    }
}
