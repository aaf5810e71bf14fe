using System.Text.RegularExpressions;
using Netmap.Io;
using Netmap.Io.Memory;
using Netmap.Io.Ports;
using Netmap.Io.Rings;
using Pipeline.Cli.Commands;
using Pipeline.Runtime;

namespace Pipeline.Cli.Tests.Commands;

public sealed class RunCommandTests : IDisposable
{
    // What a run of 50 60-byte frames from wan to lan prints and writes: all 50 through, none dropped, the whole pcap.
    private void AssertFiftyFramesCrossed(int code, string output)
    {
        Assert.Equal(0, code);
        Assert.Empty(_cli.Error);
        Assert.Contains("(end of input)", _cli.Out, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"^wan +port +50 +3000 +0 +0 +0$", RegexOptions.Multiline), _cli.Out);
        Assert.Matches(new Regex(@"^lan +port +0 +0 +50 +3000 +0$", RegexOptions.Multiline), _cli.Out);
        Assert.Equal(24 + (50 * (16 + 60)), new FileInfo(output).Length);
    }

    private readonly CliFixture _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task A_run_over_null_ports_ends_by_duration_and_prints_every_node()
    {
        var file = _cli.Write("idle.yaml", Pipelines.Null);

        var code = await RunCommand.ExecuteAsync(new RunSettings(file, Duration: TimeSpan.FromSeconds(1), Quiet: true), _cli.Context(), CancellationToken.None);

        Assert.Equal(0, code);
        Assert.Empty(_cli.Error);
        var lines = _cli.Out.Split('\n');
        // Not before the second is up; how long after depends on when the loaded machine (CI runs the test classes side
        // by side, some of them spinning on both cores) next runs the poll: 4.4 s was seen, so no upper bound is pinned.
        var stopped = Regex.Match(lines[0], @"^idle: stopped after (\d+\.\d) s \(duration reached\)$");
        Assert.True(stopped.Success, lines[0]);
        Assert.True(double.Parse(stopped.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 1.0, lines[0]);
        Assert.Equal(
            """
            node  role   in packets  in bytes  out packets  out bytes  drops
            src   port            0         0            0          0  0
            dst   port            0         0            0          0  0
            tag   stage           0         0            0          0  0

            """,
            string.Join('\n', lines[1..]));
    }

    [Fact]
    public async Task Without_quiet_a_redirected_run_prints_a_progress_line_a_second()
    {
        var file = _cli.Write("idle.yaml", Pipelines.Null);

        var code = await RunCommand.ExecuteAsync(new RunSettings(file, Duration: TimeSpan.FromSeconds(1.6)), _cli.Context(), CancellationToken.None);

        Assert.Equal(0, code);
        // The first line comes about a second in; on a loaded machine (CI runs the test assemblies side by side) it can
        // come later, so the time is not pinned to 1.x s: that a line comes, and its form, are what a user sees.
        Assert.Matches(new Regex(@"^t=\d+\.\ds src rx 0 \(0 pps\), dst tx 0 \(0 pps\), tag 0 \(0 pps\)\n", RegexOptions.Multiline), _cli.Out);
    }

    [Fact]
    public async Task Cancelling_stops_cleanly_with_exit_0()
    {
        var file = _cli.Write("idle.yaml", Pipelines.Null);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var code = await RunCommand.ExecuteAsync(new RunSettings(file, Quiet: true), _cli.Context(), cancel.Token);

        Assert.Equal(0, code);
        Assert.Contains("(interrupted)", _cli.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_file_exits_2_with_its_errors()
    {
        var file = _cli.Write("broken.yaml", Pipelines.Broken);

        var code = await PipelineCli.InvokeAsync(["run", file, "--duration", "1"], _cli.Context());

        Assert.Equal(2, code);
        Assert.Contains($"{file}:5:14: unknown stage type 'no-such-stage'", _cli.Error, StringComparison.Ordinal);
        Assert.Empty(_cli.Out);
    }

    [Fact]
    public async Task A_port_that_cannot_open_exits_1_with_the_message()
    {
        var file = _cli.Write("nosuch.yaml", """
            name: nosuch
            ports:
              wan: { spec: "netmap:nosuch0" }
            pipes:
              - wan -> drop
            """);

        var code = await RunCommand.ExecuteAsync(new RunSettings(file, Duration: TimeSpan.FromSeconds(1)), _cli.Context(), CancellationToken.None);

        Assert.Equal(1, code);
        Assert.StartsWith($"{file}: cannot start: netmap:nosuch0: ", _cli.Error, StringComparison.Ordinal);
        Assert.Empty(_cli.Out);
    }

    [Theory]
    [InlineData("--duration", "0")]
    [InlineData("--duration", "-1")]
    [InlineData("--packets", "0")]
    [InlineData("--packets", "many")]
    public async Task Bad_limits_are_usage_errors(string option, string value)
    {
        var file = _cli.Write("idle.yaml", Pipelines.Null);

        Assert.Equal(2, await PipelineCli.InvokeAsync(["run", file, option, value], _cli.Context()));
    }

    [Fact]
    public async Task Packets_stops_once_the_sources_received_that_many()
    {
        using var domain = new NetmapDomain(new ArenaOptions { BufferCount = 8192 });
        var headroom = new RegisterOptions { Offsets = new OffsetOptions { MaxOffset = 2048, InitialOffset = 128 } };
        using var feed = domain.Open("netmap:cli{0", headroom);
        var packet = new byte[60];
        for (var i = 0; i < 500; i++)
        {
            packet[0] = (byte)i;
            Assert.Equal(60, feed.Inject(packet));
        }

        feed.TxSync();
        var file = _cli.Write("fed.yaml", """
            name: fed
            ports:
              wan: { spec: "netmap:cli}0" }
              lan: { spec: "netmap:cli{1" }
            stages:
              tag: { type: test-tag, vid: 1 }
            pipes:
              - wan -> tag -> lan
              - tag.untagged -> drop
            """);

        var code = await RunCommand.ExecuteAsync(
            new RunSettings(file, Duration: TimeSpan.FromSeconds(30), Packets: 500, Quiet: true),
            _cli.Context(runtime: new PipelineRuntimeOptions { Domain = domain }),
            CancellationToken.None);

        Assert.Equal(0, code);
        Assert.Contains("fed: stopped after", _cli.Out, StringComparison.Ordinal);
        Assert.Contains("(500 packets received)", _cli.Out, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"^wan +port +500 +30000 +0 +0 +0$", RegexOptions.Multiline), _cli.Out);
        Assert.Matches(new Regex(@"^lan +port +0 +0 +500 +30000 +0$", RegexOptions.Multiline), _cli.Out);
    }

    [Fact]
    public async Task A_file_source_runs_until_its_input_ends_and_the_sink_file_gets_every_packet()
    {
        var input = Path.Combine(_cli.Directory, "in.pcap");
        var output = Path.Combine(_cli.Directory, "out.pcap");
        WritePcap(input, count: 50, length: 60);
        var file = FileToFile("files", input, output);

        var code = await RunCommand.ExecuteAsync(new RunSettings(file, Duration: TimeSpan.FromSeconds(30), Quiet: true), _cli.Context(), CancellationToken.None);

        AssertFiftyFramesCrossed(code, output);
    }

    [Fact]
    public async Task A_runtime_section_runs_the_file_fused_on_a_thread_of_its_own_with_every_packet_counted()
    {
        var input = Path.Combine(_cli.Directory, "in.pcap");
        var output = Path.Combine(_cli.Directory, "out.pcap");
        WritePcap(input, count: 50, length: 60);
        var file = _cli.Write("runtime.yaml", $$"""
            name: runtime
            runtime: { fuse: true, threads: 1 }
            ports:
              wan: { spec: "pcap:{{input}}" }
              lan: { spec: "pcap-out:{{output}}" }
            stages:
              tag: { type: test-tag, vid: 1 }
              pass: { type: test-pass }
            pipes:
              - wan -> tag -> pass -> lan
              - tag.untagged -> drop
            """);

        var code = await RunCommand.ExecuteAsync(new RunSettings(file, Duration: TimeSpan.FromSeconds(30), Quiet: true), _cli.Context(), CancellationToken.None);

        AssertFiftyFramesCrossed(code, output);
    }

    [Fact]
    public async Task A_damaged_input_file_delivers_what_came_before_then_prints_the_error_and_exits_1()
    {
        var input = Path.Combine(_cli.Directory, "cut.pcap");
        WritePcap(input, count: 10, length: 60, cutLast: 20);
        var file = _cli.Write("cut.yaml", $$"""
            name: cut
            ports:
              wan: { spec: "pcap:{{input}}" }
            pipes:
              - wan -> drop
            """);

        var code = await RunCommand.ExecuteAsync(new RunSettings(file, Duration: TimeSpan.FromSeconds(30), Quiet: true), _cli.Context(), CancellationToken.None);

        Assert.Equal(1, code);
        Assert.Matches(new Regex(@"^wan +port +9 +540 +0 +0 +discarded=9$", RegexOptions.Multiline), _cli.Out);
        Assert.StartsWith($"{file}: port 'wan': pcap:{input}: ", _cli.Error, StringComparison.Ordinal);
        Assert.Contains("byte 708", _cli.Error, StringComparison.Ordinal);
    }

    // A little-endian, microsecond pcap of Ethernet frames, all at time 0; the last record cut to cutLast bytes of data.
    [Fact]
    public async Task A_sink_that_cannot_write_stops_the_run_with_its_error_once_and_every_packet_counted()
    {
        // The capture goes into a FIFO whose reader takes the file header and leaves: the next write that finds no
        // reader fails (EPIPE), as a full disk would fail it. 2 MB of packets is more than the pipe's buffer holds.
        var input = Path.Combine(_cli.Directory, "in.pcap");
        var fifo = Path.Combine(_cli.Directory, "out.fifo");
        WritePcap(input, count: 2000, length: 1000);
        Assert.Equal(0, MakeFifo(fifo, Convert.ToUInt32("600", 8)));
        var reader = Task.Run(() =>
        {
            using var stream = new FileStream(fifo, FileMode.Open, FileAccess.Read);
            stream.ReadExactly(new byte[24]);
        });
        var file = FileToFile("broken-sink", input, fifo);

        var code = await RunCommand.ExecuteAsync(
            new RunSettings(file, Duration: TimeSpan.FromSeconds(60), Checked: true, Quiet: true), _cli.Context(), CancellationToken.None);
        await reader;

        Assert.Equal(1, code);
        Assert.Matches(new Regex(@"^broken-sink: stopped after \d+\.\d s \((a port failed|end of input)\)$", RegexOptions.Multiline), _cli.Out);
        var error = Assert.Single(_cli.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var written = Regex.Match(error, @"^.*broken-sink\.yaml: port 'lan' failed: .*EIO: cannot write '.*out\.fifo' after (\d+) packets: ");
        Assert.True(written.Success, error);

        // What the port took counts as sent; what reached it after it failed, and what was in flight, as drops.
        var wan = Regex.Match(_cli.Out, @"^wan +port +(\d+) ", RegexOptions.Multiline);
        var lan = Regex.Match(_cli.Out, @"^lan +port +0 +0 +(\d+) +\d+ +(.+)$", RegexOptions.Multiline);
        Assert.True(wan.Success && lan.Success, _cli.Out);
        var dropped = 0L;
        foreach (Match drop in Regex.Matches(lan.Groups[2].Value, @"(\w[\w-]*)=(\d+)"))
        {
            Assert.Contains(drop.Groups[1].Value, new[] { "fault", "shutdown" });
            dropped += long.Parse(drop.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        }

        Assert.True(dropped > 0, _cli.Out);
        Assert.Equal(written.Groups[1].Value, lan.Groups[1].Value); // sent = written: what the port never took is a drop
        Assert.Equal(long.Parse(wan.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
            long.Parse(lan.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) + dropped);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(300)]
    public async Task A_packet_limit_takes_exactly_that_many_packets_from_the_sources(int limit)
    {
        // The file has far more, read as fast as the port goes: the limit is kept at the port, not noticed later.
        var input = Path.Combine(_cli.Directory, "many.pcap");
        var output = Path.Combine(_cli.Directory, "out.pcap");
        WritePcap(input, count: 2000, length: 60);
        var file = FileToFile("limit", input, output);

        var code = await RunCommand.ExecuteAsync(new RunSettings(file, Packets: limit, Quiet: true), _cli.Context(), CancellationToken.None);

        Assert.Equal(0, code);
        Assert.Contains($"({limit} packets received)", _cli.Out, StringComparison.Ordinal);
        Assert.Matches(new Regex($@"^wan +port +{limit} +{limit * 60} +0 +0 +0$", RegexOptions.Multiline), _cli.Out);
        Assert.Matches(new Regex($@"^lan +port +0 +0 +{limit} +{limit * 60} +0$", RegexOptions.Multiline), _cli.Out);
        Assert.Equal(24 + (limit * (16 + 60)), new FileInfo(output).Length);
    }

    [Fact]
    public async Task Frames_of_a_capture_too_big_for_any_ring_are_counted_as_too_big_drops_of_the_source()
    {
        // 64-byte buffers: a 5000-byte frame needs 79 slots, more than netmap's 64 fragments of one packet.
        var input = Path.Combine(_cli.Directory, "big.pcap");
        WritePcap(input, count: 3, length: 5000);
        var file = _cli.Write("big.yaml", $$"""
            name: big
            memory: { buffer-size: 64, headroom: 0 }
            ports:
              wan: { spec: "pcap:{{input}}" }
              lan: { spec: "pcap-out:{{Path.Combine(_cli.Directory, "out.pcap")}}" }
            stages:
              p: { type: test-pass }
            pipes:
              - wan -> p -> lan
            """);

        var code = await RunCommand.ExecuteAsync(new RunSettings(file, Quiet: true), _cli.Context(), CancellationToken.None);

        Assert.Equal(0, code);
        Assert.Contains("(end of input)", _cli.Out, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"^wan +port +0 +0 +0 +0 +too-big=3$", RegexOptions.Multiline), _cli.Out);
    }

    // A pipeline NAME from the capture INPUT through a test-tag stage to the capture OUTPUT (untagged frames dropped).
    private string FileToFile(string name, string input, string output) => _cli.Write(name + ".yaml", $$"""
        name: {{name}}
        ports:
          wan: { spec: "pcap:{{input}}" }
          lan: { spec: "pcap-out:{{output}}" }
        stages:
          tag: { type: test-tag, vid: 1 }
        pipes:
          - wan -> tag -> lan
          - tag.untagged -> drop
        """);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MakeFifo([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string path, uint mode);

    private static void WritePcap(string path, int count, int length, int? cutLast = null)
    {
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(0xA1B2C3D4u);
        writer.Write((ushort)2);
        writer.Write((ushort)4);
        writer.Write(0);
        writer.Write(0u);
        writer.Write(65535u);
        writer.Write(1u);
        for (var i = 0; i < count; i++)
        {
            writer.Write(0u);
            writer.Write(0u);
            writer.Write((uint)length);
            writer.Write((uint)length);
            var frame = new byte[length];
            frame[12] = 0x08; // IPv4 ethertype; the rest is zeros
            frame[14] = (byte)i;
            writer.Write(i == count - 1 && cutLast is { } cut ? frame[..cut] : frame);
        }
    }
}
