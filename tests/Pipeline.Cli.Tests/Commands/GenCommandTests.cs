using System.Diagnostics;
using Netmap.Io;
using Netmap.Io.Files;
using Netmap.Io.Memory;
using Pipeline.Cli.Bench;
using Pipeline.Cli.Commands;
using Pipeline.Runtime;

namespace Pipeline.Cli.Tests.Commands;

public sealed class GenCommandTests : IDisposable
{
    private readonly CliFixture _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Gen_into_a_pcap_file_writes_count_frames_of_the_size_asked()
    {
        var path = Path.Combine(_cli.Directory, "gen.pcap");

        var code = await PipelineCli.InvokeAsync(["gen", "pcap-out:" + path, "--count", "1000", "--size", "128", "--batch", "64", "--quiet"], _cli.Context());

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Empty(_cli.Error);
        Assert.Matches(@"^gen: sent 1000 packets of 128 bytes to pcap-out:.*gen\.pcap in [0-9.]+ s: [0-9.]+ Mpps, [0-9.]+ Gbit/s\n$", _cli.Out);
        var expected = FrameTemplate.Create(128).Bytes;
        using var reader = new PcapReader(File.OpenRead(path), path);
        var buffer = new byte[PcapFormat.MaxCapturedLength];
        var frames = 0;
        while (reader.TryReadPacket(buffer, out var packet))
        {
            Assert.Equal(expected, buffer[..packet.Length]);
            frames++;
        }

        Assert.Equal(1000, frames);
    }

    [Fact]
    public async Task Gen_feeds_a_pipe_of_a_shared_domain_byte_for_byte()
    {
        using var domain = new NetmapDomain(new ArenaOptions { Checked = true });
        using var rx = domain.Open("netmap:gen}0");
        var context = _cli.Context(runtime: new PipelineRuntimeOptions { Domain = domain });
        const int Count = 5000; // several rings' worth: gen waits for the reader

        var gen = Task.Run(() => GenCommand.Execute(new GenSettings("netmap:gen{0", Count, Size: 3000, Batch: 100, Quiet: true), context, CancellationToken.None));
        var expected = FrameTemplate.Create(3000).Bytes; // two slots per frame
        var scratch = new byte[4096];
        var received = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (received < Count && DateTime.UtcNow < deadline)
        {
            rx.RxSync();
            var ring = rx.RxRing;
            while (!ring.IsEmpty)
            {
                var length = ring.CopyPacket(ring.Head, scratch, out var next, out var fragments);
                Assert.Equal(2, fragments);
                Assert.Equal(expected, scratch[..length]);
                ring.Head = ring.Cur = next;
                received++;
            }
        }

        Assert.Equal(ExitCodes.Ok, await gen);
        Assert.Equal(Count, received);
        rx.Dispose();
        domain.AssertNoLeaks();
    }

    [Fact]
    public async Task A_rate_paces_the_packets()
    {
        var path = Path.Combine(_cli.Directory, "paced.pcap");
        var clock = Stopwatch.StartNew();

        var code = await PipelineCli.InvokeAsync(["gen", "pcap-out:" + path, "--count", "200", "--rate", "2000", "--batch", "8", "--quiet"], _cli.Context());

        Assert.Equal(ExitCodes.Ok, code);
        // Never ahead of 2000 per second (plus one packet): the 200th may not leave before 99.5 ms.
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(99), $"200 packets at 2000 pps took {clock.Elapsed.TotalMilliseconds} ms");
        Assert.StartsWith("gen: sent 200 packets of 60 bytes", _cli.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_duration_stops_an_endless_generator()
    {
        var path = Path.Combine(_cli.Directory, "timed.pcap");

        var code = await PipelineCli.InvokeAsync(["gen", "pcap-out:" + path, "--duration", "0.2", "--rate", "1000", "--quiet"], _cli.Context());

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Matches(@"^gen: sent \d+ packets of 60 bytes", _cli.Out);
    }

    [Fact]
    public async Task A_capture_source_has_no_TX_ring_to_generate_into()
    {
        var path = Path.Combine(_cli.Directory, "source.pcap");
        Assert.Equal(ExitCodes.Ok, await PipelineCli.InvokeAsync(["gen", "pcap-out:" + path, "--count", "1", "--quiet"], _cli.Context()));

        var code = await PipelineCli.InvokeAsync(["gen", "pcap:" + path, "--count", "1"], _cli.Context());

        Assert.Equal(ExitCodes.Failure, code);
        Assert.StartsWith("gen: pcap:", _cli.Error, StringComparison.Ordinal);
        Assert.Contains("no TX ring", _cli.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_capture_that_cannot_be_written_from_the_start_fails_with_one_line()
    {
        // /dev/full takes the open and refuses the header's write (ENOSPC).
        var code = await PipelineCli.InvokeAsync(["gen", "pcap-out:/dev/full", "--count", "1"], _cli.Context());

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Equal("gen: pcap-out:/dev/full: EIO: cannot write '/dev/full': No space left on device : '/dev/full'\n", _cli.Error);
    }

    [Theory]
    [InlineData("bogus:x", "unknown prefix")]
    [InlineData("netmap:nosuchport", "ENXIO")]
    public async Task A_port_gen_cannot_transmit_into_fails_with_the_reason(string spec, string reason)
    {
        var code = await PipelineCli.InvokeAsync(["gen", spec, "--count", "1"], _cli.Context());

        Assert.Equal(ExitCodes.Failure, code);
        Assert.StartsWith("gen: ", _cli.Error, StringComparison.Ordinal);
        Assert.Contains(reason, _cli.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--size", "41")]
    [InlineData("--size", "70000")]
    [InlineData("--count", "0")]
    [InlineData("--rate", "0")]
    [InlineData("--duration", "-2")]
    [InlineData("--batch", "0")]
    public async Task Bad_values_are_usage_errors(string option, string value)
    {
        var code = await PipelineCli.InvokeAsync(["gen", "null", option, value], _cli.Context());

        Assert.Equal(ExitCodes.Invalid, code);
        Assert.NotEmpty(_cli.Error);
    }
}
