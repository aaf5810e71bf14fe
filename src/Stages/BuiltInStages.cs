using Pipeline.Stages;

namespace Stages;

/// <summary>The stage library that ships with the pipeline: <c>vlan-push</c>, <c>vlan-pop</c>, <c>counter</c>.</summary>
public static class BuiltInStages
{
    /// <summary>Registers every built-in stage into <paramref name="registry"/> and returns it.</summary>
    public static StageRegistry Register(StageRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry.RegisterAssembly(typeof(BuiltInStages).Assembly);
    }

    /// <summary>A new registry holding every built-in stage.</summary>
    public static StageRegistry CreateRegistry() => Register(new StageRegistry());
}
