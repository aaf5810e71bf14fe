namespace Pipeline.Stages;

/// <summary>
/// Declares a stage class: its YAML type name and its output gates (Click's <c>class_name</c> and
/// <c>port_count</c>). The options are the single parameter of its public constructor, if any.
/// </summary>
/// <example><c>[Stage("vlan-push", Gates = ["out", "untagged"], Summary = "Pushes an 802.1Q tag")]</c></example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class StageAttribute : Attribute
{
    /// <summary>Declares a stage named <paramref name="name"/> in YAML.</summary>
    public StageAttribute(string name)
    {
        Name = name;
    }

    /// <summary>The YAML <c>type:</c> of the stage.</summary>
    public string Name { get; }

    /// <summary>
    /// Output gates; the first is the default. <b>Default:</b> <c>["out"]</c>. A stage whose options implement
    /// <see cref="IStageGates"/> takes its gates from them: these then only describe them for <c>pipeline stages</c>.
    /// </summary>
    public string[] Gates { get; set; } = ["out"];

    /// <summary>One line for <c>pipeline stages</c>.</summary>
    public string Summary { get; set; } = string.Empty;
}
