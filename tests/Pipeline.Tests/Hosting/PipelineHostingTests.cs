using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Netmap.Io;
using Netmap.Io.Memory;
using Netmap.Io.Ports;
using Netmap.Io.Rings;
using Pipeline.Config;
using Pipeline.Hosting;
using Pipeline.Runtime;
using Pipeline.Stages;
using Pipeline.Tests.Plugins;

namespace Pipeline.Tests.Hosting;

public sealed class PipelineHostingTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly NetmapDomain _domain = new(new ArenaOptions { BufferCount = 16384, Checked = true });

    [Fact]
    public async Task A_yaml_pipeline_with_a_plugin_stage_runs_inside_a_generic_host()
    {
        var yaml = $$"""
            name: hosted
            plugins: [ "{{TestPlugins.Good}}" ]
            ports:
              wan: { spec: "netmap:host}0" }
              lan: { spec: "netmap:host{1" }
            stages:
              mark: { type: plugin-mark, value: 90 }
              reverse: { type: Pipeline.TestPlugin.Reverse }
            pipes:
              - wan -> mark -> reverse -> lan
            """;
        var pipeline = new PipelineOptions { Yaml = yaml, Registry = new StageRegistry(), Domain = _domain, Checked = true };
        using var host = new HostBuilder()
            .ConfigureServices(services => services.AddAkka("hosting-test", (builder, _) => builder.WithPipeline(pipeline)))
            .Build();
        await host.StartAsync();
        var runtime = await pipeline.Started.WaitAsync(Timeout);
        var registry = host.Services.GetRequiredService<ActorRegistry>();
        Assert.True(registry.TryGet<PipelineRuntime>(out _));

        using var tx = _domain.Open("netmap:host{0", Headroom());
        using var rx = _domain.Open("netmap:host}1");
        var sent = new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 };
        Assert.Equal(sent.Length, tx.Inject(sent));
        tx.TxSync();

        var received = ReceiveOne(rx);
        // plugin-mark wrote 90 into byte 0, then Reverse reversed the bytes.
        Assert.Equal(new byte[] { 8, 7, 6, 5, 4, 3, 2, 90 }, received);
        Assert.Equal(1, runtime.CountersOf("lan").OutPackets);

        await host.StopAsync(Timeout); // coordinated shutdown stops the pipeline and closes its ports
        tx.Dispose();
        rx.Dispose();
        _domain.AssertNoLeaks();
    }

    [Fact]
    public async Task A_pipeline_with_errors_fails_the_start_and_says_where()
    {
        var pipeline = new PipelineOptions { Yaml = "name: broken\nports:\n  a: { spec: \"netmap:eth0/q\" }\n", Registry = new StageRegistry(), Domain = _domain };
        using var host = new HostBuilder()
            .ConfigureServices(services => services.AddAkka("hosting-bad", (builder, _) => builder.WithPipeline(pipeline)))
            .Build();
        try
        {
            await host.StartAsync();
        }
        catch (ConfigException)
        {
            // the host may surface it too
        }

        var error = await Assert.ThrowsAsync<ConfigException>(() => pipeline.Started.WaitAsync(Timeout));
        Assert.Contains(error.Errors, e => e.Where.Line == 3);
        await host.StopAsync(Timeout);
    }

    public void Dispose() => _domain.Dispose();

    private RegisterOptions Headroom() => new()
    {
        Offsets = new OffsetOptions { MaxOffset = (ulong)_domain.DefaultArena.BufferSize, InitialOffset = 128 },
    };

    private static byte[] ReceiveOne(PortHandle rx)
    {
        var deadline = DateTime.UtcNow + Timeout;
        var ring = rx.RxRing;
        var buffer = new byte[4096];
        while (DateTime.UtcNow < deadline)
        {
            rx.RxSync();
            if (!ring.IsEmpty)
            {
                var len = ring.CopyPacket(ring.Head, buffer, out var next, out _);
                ring.Head = ring.Cur = next;
                rx.RxSync();
                return buffer[..len];
            }

            Thread.Sleep(1);
        }

        Assert.Fail("nothing arrived");
        return [];
    }
}
