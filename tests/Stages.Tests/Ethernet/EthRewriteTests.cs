using Netmap.Io.Rings;
using Pipeline.Config;
using Pipeline.Stages;
using Stages.Ethernet;

namespace Stages.Tests.Ethernet;

public sealed class EthRewriteTests
{
    private const int Headroom = StageBench.DefaultHeadroom;
    private static readonly byte[] NewSrc = [0x02, 0x00, 0x5E, 0x10, 0x20, 0x30];
    private static readonly byte[] NewDst = [0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF];

    [Theory]
    [InlineData("02:00:5e:10:20:30", null)]
    [InlineData(null, "aa:bb:cc:dd:ee:ff")]
    [InlineData("02:00:5E:10:20:30", "AA:BB:CC:DD:EE:FF")]
    public void Rewrite_writes_the_given_addresses_and_nothing_else(string? src, string? dst)
    {
        using var bench = new StageBench();
        var frame = TestPackets.Tagged(TestPackets.Ipv4Frame(), 0x8100, 10);
        var i = bench.Add(frame);
        var slotBefore = bench.Slot(i);
        var bufferBefore = bench.Buffer(i);
        var context = bench.Context("eth-rewrite");

        bench.Run(new EthRewrite(new EthRewriteOptions { Src = src, Dst = dst }), context);

        StageBench.AssertGate(context, i, GateId.Out);
        Assert.Equal(slotBefore, bench.Slot(i));
        var data = bench.Data(i);
        Assert.Equal(dst is null ? TestPackets.DstMac : NewDst, data[0..6]);
        Assert.Equal(src is null ? TestPackets.SrcMac : NewSrc, data[6..12]);
        Assert.Equal(frame[12..], data[12..]);

        var buffer = bench.Buffer(i);
        Assert.Equal(bufferBefore[..Headroom], buffer[..Headroom]);
        Assert.Equal(bufferBefore[(Headroom + 12)..], buffer[(Headroom + 12)..]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    [InlineData(13)]
    public void Frame_shorter_than_an_Ethernet_header_is_dropped_as_malformed_and_left_alone(int length)
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame();
        var bad = bench.Add(frame.AsSpan(0, length));
        var header = bench.Add(frame.AsSpan(0, 14));
        var before = bench.Slot(bad);
        var bufferBefore = bench.Buffer(bad);
        var context = bench.Context("eth-rewrite");

        bench.Run(new EthRewrite(new EthRewriteOptions { Src = "02:00:5e:10:20:30", Dst = "aa:bb:cc:dd:ee:ff" }), context);

        StageBench.AssertDropped(context, bad, DropReason.Malformed);
        Assert.Equal(before, bench.Slot(bad));
        Assert.Equal(bufferBefore, bench.Buffer(bad));
        StageBench.AssertGate(context, header, GateId.Out);
        Assert.Equal([.. NewDst, .. NewSrc, 0x08, 0x00], bench.Data(header));
    }

    [Fact]
    public void Multi_slot_packet_is_rewritten_in_its_first_slot_only()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame(payloadLength: 40);
        var first = bench.Add(frame.AsSpan(0, 40), flags: SlotFlags.MoreFrag);
        var rest = bench.Add(frame.AsSpan(40)); // 34 bytes that look like a frame, but continue the first
        var context = bench.Context("eth-rewrite");

        bench.Run(new EthRewrite(new EthRewriteOptions { Dst = "aa:bb:cc:dd:ee:ff" }), context);

        Assert.Equal(NewDst, bench.Data(first)[..6]);
        Assert.Equal(frame[6..40], bench.Data(first)[6..]);
        StageBench.AssertGate(context, rest, GateId.Out);
        Assert.Equal(frame[40..], bench.Data(rest));
    }

    [Theory]
    [InlineData("src", "02:00:00:00:00", "src must be a MAC address like 02:00:00:00:00:01, found '02:00:00:00:00'")]
    [InlineData("src", "01:00:5e:00:00:01", "src must be a unicast MAC address (the low bit of the first byte clear), found '01:00:5e:00:00:01'")]
    [InlineData("dst", "02:00:00:00:00:0x", "dst must be a MAC address like 02:00:00:00:00:01, found '02:00:00:00:00:0x'")]
    [InlineData("dst", "0200.0000.0001", "dst must be a MAC address like 02:00:00:00:00:01, found '0200.0000.0001'")]
    [InlineData("dst", "+2:00:00:00:00:01", "dst must be a MAC address like 02:00:00:00:00:01, found '+2:00:00:00:00:01'")]
    public void Bad_address_throws_naming_the_key(string key, string value, string message)
    {
        var ex = Assert.Throws<ArgumentException>(() => key == "src" ? new EthRewriteOptions { Src = value } : new EthRewriteOptions { Dst = value });

        Assert.Equal(key, ex.ParamName);
        Assert.Equal($"{message} (Parameter '{key}')", ex.Message);
    }

    [Fact]
    public void Broadcast_destination_is_allowed()
    {
        using var bench = new StageBench();
        var i = bench.Add(TestPackets.Ipv4Frame());

        bench.Run(new EthRewrite(new EthRewriteOptions { Dst = "ff:ff:ff:ff:ff:ff" }), bench.Context("eth-rewrite"));

        Assert.Equal(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, bench.Data(i)[..6]);
    }

    [Fact]
    public void Stage_with_neither_address_is_refused()
    {
        var ex = Assert.Throws<ArgumentException>(() => new EthRewrite(new EthRewriteOptions()));

        Assert.StartsWith("eth-rewrite needs src, dst or both", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void YAML_keys_bind_to_the_options()
    {
        var definition = PipelineLoader.Parse(Pipeline("{ type: eth-rewrite, src: 02:00:00:00:00:01, dst: \"ff:ff:ff:ff:ff:ff\" }"), "p.yaml", BuiltInStages.CreateRegistry());

        var stage = Assert.Single(definition.Stages);
        Assert.Equal(typeof(EthRewrite), stage.Descriptor.StageType);
        Assert.Equal(["out"], stage.Descriptor.Gates);
        Assert.Equal(new EthRewriteOptions { Src = "02:00:00:00:00:01", Dst = "ff:ff:ff:ff:ff:ff" }, stage.Options);
    }

    [Fact]
    public void YAML_with_one_key_leaves_the_other_address_null()
    {
        var definition = PipelineLoader.Parse(Pipeline("{ type: eth-rewrite, dst: 02:00:00:00:00:09 }"), "p.yaml", BuiltInStages.CreateRegistry());

        Assert.Equal(new EthRewriteOptions { Dst = "02:00:00:00:00:09" }, Assert.Single(definition.Stages).Options);
    }

    [Theory]
    [InlineData("{ type: eth-rewrite, src: 03:00:00:00:00:01 }", "p.yaml:5:33: invalid 'src': src must be a unicast MAC address (the low bit of the first byte clear), found '03:00:00:00:00:01'")]
    [InlineData("{ type: eth-rewrite, dst: 02:00:00:00:01 }", "p.yaml:5:33: invalid 'dst': dst must be a MAC address like 02:00:00:00:00:01, found '02:00:00:00:01'")]
    [InlineData("{ type: eth-rewrite, mac: 02:00:00:00:00:01 }", "p.yaml:5:33: unknown key 'mac' (expected one of: type, node, instances, src, dst)")]
    [InlineData("{ type: eth-rewrite }", "p.yaml:5:3: stage 'rewrite': eth-rewrite needs src, dst or both")]
    public void Bad_YAML_value_is_reported_at_its_key(string stage, string error)
    {
        Assert.False(PipelineLoader.TryParse(Pipeline(stage), "p.yaml", BuiltInStages.CreateRegistry(), out _, out var errors));

        Assert.Equal(error, Assert.Single(errors).ToString());
    }

    [Fact]
    public void Steady_state_allocates_nothing()
    {
        using var bench = new StageBench();
        var frame = TestPackets.Ipv4Frame();
        var stage = new EthRewrite(new EthRewriteOptions { Src = "02:00:00:00:00:01", Dst = "02:00:00:00:00:02" });
        var context = bench.Context("eth-rewrite");

        Assert.Equal(0, SteadyState.BytesPerBatch(() => OneBatch(bench, stage, context, frame)));

        // 31 frames rewritten, one dropped as malformed.
        static void OneBatch(StageBench bench, EthRewrite stage, StageContext context, byte[] frame)
        {
            bench.Recycle();
            for (var i = 0; i < 31; i++)
            {
                bench.Add(frame);
            }

            bench.Add(frame.AsSpan(0, 10));
            bench.Run(stage, context);
        }
    }

    private static string Pipeline(string stage) => $$"""
        name: t
        ports:
          a: { spec: "null" }
        stages:
          rewrite: {{stage}}
        pipes:
          - a -> rewrite -> drop
        """;
}
