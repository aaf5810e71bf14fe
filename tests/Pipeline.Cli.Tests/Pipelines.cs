namespace Pipeline.Cli.Tests;

/// <summary>The pipeline files the tests use.</summary>
internal static class Pipelines
{
    /// <summary>Two pipe ports, two stages, a gate to drop: 2 ports, 2 stages, 4 pipes.</summary>
    public const string Small = """
        name: small
        ports:
          wan: { spec: "netmap:x}0" }
          lan: { spec: "netmap:x{1" }
        stages:
          tag: { type: test-tag, vid: 100 }
          pass: { type: test-pass }
        pipes:
          - wan -> tag -> pass -> lan
          - tag.untagged -> drop
        """;

    /// <summary>Null ports: the source never produces, so only a limit or a signal ends a run.</summary>
    public const string Null = """
        name: idle
        ports:
          src: { spec: "null" }
          dst: { spec: "null" }
        stages:
          tag: { type: test-tag, vid: 7 }
        pipes:
          - src -> tag -> dst
          - tag.untagged -> drop
        """;

    /// <summary>Three errors: an unknown stage type, a missing required key, a pipe to nowhere.</summary>
    public const string Broken = """
        name: broken
        ports:
          wan: { spec: "netmap:x}0" }
        stages:
          a: { type: no-such-stage }
          b: { type: test-tag }
        pipes:
          - wan -> b -> nowhere
        """;
}
