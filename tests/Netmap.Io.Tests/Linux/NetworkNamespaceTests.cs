using Netmap.Io.Linux;

namespace Netmap.Io.Tests.Linux;

/// <summary>
/// <see cref="NetworkNamespace.Run{T}"/>: code runs inside the named namespace on a thread of its own, the caller's
/// thread stays where it was, and every way of naming a namespace wrongly is a clear error.
/// </summary>
[Collection(LinuxCollection.Name)]
public sealed class NetworkNamespaceTests
{
    [Theory]
    [InlineData("blue", true, "")]
    [InlineData("ns-with.dots_and-dashes", true, "")]
    [InlineData("/proc/1/ns/net", true, "")]
    [InlineData("/var/run/netns/blue", true, "")]
    [InlineData("", false, "a network namespace name is empty")]
    [InlineData(".", false, "'.' is not a network namespace name")]
    [InlineData("..", false, "'..' is not a network namespace name")]
    [InlineData("run/blue", false, "'run/blue' is neither a network namespace name (no '/' in one) nor an absolute path")]
    [InlineData("a\0b", false, "a network namespace name cannot contain a NUL character")]
    public void A_namespace_is_an_ip_netns_name_or_an_absolute_path(string name, bool valid, string reason)
    {
        Assert.Equal(valid, NetworkNamespace.IsValidName(name, out var why));
        Assert.Equal(reason, why);
    }

    [Fact]
    public void A_name_longer_than_a_file_name_is_refused()
    {
        Assert.False(NetworkNamespace.IsValidName(new string('n', 256), out var why));
        Assert.Equal("a network namespace name is at most 255 bytes", why);
        Assert.True(NetworkNamespace.IsValidName(new string('n', 255), out _));
    }

    [Theory]
    [InlineData("blue", "/var/run/netns/blue")]
    [InlineData("/proc/42/ns/net", "/proc/42/ns/net")]
    public void A_name_is_a_file_under_var_run_netns(string name, string path) =>
        Assert.Equal(path, NetworkNamespace.PathOf(name));

    [LinuxRootFact]
    public void Code_run_in_a_namespace_sees_its_interfaces_and_the_calling_thread_stays_outside()
    {
        using var lab = new NetworkLab();
        var (port, _, pns, wns) = AfPacketBackendTests.VethLab(lab);

        Assert.NotEqual(0, NetworkNamespace.Run(pns, () => NetInterface.IndexOf(port)));
        Assert.Equal(0, NetworkNamespace.Run(wns, () => NetInterface.IndexOf(port))); // the other end's namespace
        Assert.Equal(0, NetInterface.IndexOf(port)); // this thread never left its namespace
        Assert.NotEqual(0, NetworkNamespace.Run(NetworkNamespace.PathOf(pns), () => NetInterface.IndexOf(port)));
    }

    [LinuxRootFact]
    public void What_the_code_throws_reaches_the_caller_unchanged()
    {
        using var lab = new NetworkLab();
        var ns = lab.Namespace("p");

        var thrown = Assert.Throws<InvalidOperationException>(() => NetworkNamespace.Run<int>(ns, () => throw new InvalidOperationException("inside")));

        Assert.Equal("inside", thrown.Message);
    }

    [LinuxRootFact]
    public void A_namespace_that_does_not_exist_is_ENOENT_saying_how_to_create_it()
    {
        using var lab = new NetworkLab();
        var missing = lab.Prefix + "none";

        var error = Assert.Throws<NetmapException>(() => NetworkNamespace.Run(missing, () => 1, "netmap:eth0"));

        Assert.Equal(NetmapError.ENOENT, error.Code);
        Assert.Equal($"netmap:eth0: ENOENT: network namespace '{missing}' does not exist (no /var/run/netns/{missing}; 'ip netns add {missing}' creates it)", error.Message);
    }

    [LinuxRootFact]
    public void A_file_that_is_not_a_network_namespace_is_EINVAL()
    {
        var file = Path.GetTempFileName();
        try
        {
            var error = Assert.Throws<NetmapException>(() => NetworkNamespace.Run(file, () => 1, "tap:t0"));

            Assert.Equal(NetmapError.EINVAL, error.Code);
            Assert.Equal($"tap:t0: EINVAL: '{file}' is not a network namespace", error.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_bad_name_is_EINVAL_before_anything_is_opened()
    {
        var error = Assert.Throws<NetmapException>(() => NetworkNamespace.Run("a/b", () => 1, "netmap:eth0"));

        Assert.Equal(NetmapError.EINVAL, error.Code);
        Assert.Equal("netmap:eth0: EINVAL: 'a/b' is neither a network namespace name (no '/' in one) nor an absolute path", error.Message);
    }
}
