using Netmap.Io.Linux;

namespace Netmap.Io.Tests.Linux;

/// <summary>A lab leaves nothing behind: no namespace, no interface, also when the test body fails.</summary>
[Collection(LinuxCollection.Name)]
public sealed class LinuxCleanupTests
{
    [LinuxRootFact]
    public void After_a_lab_with_veths_taps_and_sockets_no_namespace_or_link_of_ours_is_left()
    {
        string prefix;
        string[] namespaces;
        using (var lab = new NetworkLab())
        {
            prefix = lab.Prefix;
            var (port, wire, pns, wns) = AfPacketBackendTests.VethLab(lab);
            var tapName = lab.LinkName('t');
            using (var nic = NetworkLab.RunIn(pns, () => AfPacketBackend.Open(port, new AfPacketOptions { Queues = 2 })))
            using (var tap = NetworkLab.RunIn(wns, () => TapBackend.Open(tapName)))
            {
                Assert.Contains(tapName, Tools.Run("ip", "-n", wns, "-o", "link"), StringComparison.Ordinal);
                Assert.Contains(wire, Tools.Run("ip", "-n", wns, "-o", "link"), StringComparison.Ordinal);
            }

            namespaces = [.. lab.Namespaces];
            Assert.All(namespaces, ns => Assert.Contains(ns, Tools.Run("ip", "netns", "list"), StringComparison.Ordinal));
        }

        AssertNothingLeft(prefix, namespaces);
    }

    [LinuxRootFact]
    public void A_lab_whose_test_throws_is_removed_all_the_same()
    {
        string prefix = string.Empty;
        string[] namespaces = [];
        void FailingTest()
        {
            using var lab = new NetworkLab();
            prefix = lab.Prefix;
            AfPacketBackendTests.VethLab(lab);
            namespaces = [.. lab.Namespaces];
            throw new InvalidOperationException("the test failed");
        }

        var thrown = Assert.Throws<InvalidOperationException>(FailingTest);

        Assert.Equal("the test failed", thrown.Message);
        Assert.Equal(2, namespaces.Length);
        AssertNothingLeft(prefix, namespaces);
    }

    private static void AssertNothingLeft(string prefix, string[] namespaces)
    {
        var listed = Tools.Run("ip", "netns", "list");
        foreach (var ns in namespaces)
        {
            Assert.DoesNotContain(ns, listed, StringComparison.Ordinal);
            Assert.False(File.Exists("/var/run/netns/" + ns), $"/var/run/netns/{ns} is left");
        }

        Assert.DoesNotContain(prefix, listed, StringComparison.Ordinal);
        // Nothing of ours ever lives in the root namespace; check it stayed so.
        Assert.DoesNotContain(NetworkLab.NamePrefix + Environment.ProcessId % 100000 + "x", Tools.Run("ip", "-o", "link"), StringComparison.Ordinal);
    }
}
