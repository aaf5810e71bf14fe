namespace Pipeline.Stages;

/// <summary>An output gate of a stage, by index in the stage's declared gates; gate 0 is <c>out</c>.</summary>
public readonly record struct GateId(int Index)
{
    /// <summary>The default output gate, <c>out</c>.</summary>
    public static GateId Out => default;
}
