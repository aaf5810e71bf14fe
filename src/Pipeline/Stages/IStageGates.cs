namespace Pipeline.Stages;

/// <summary>
/// Implemented by an options type whose stage's output gates come from its values (a switch's ports, a
/// router's route gates, a balancer's <c>out0..outN-1</c>) rather than from <see cref="StageAttribute.Gates"/>.
/// The loader checks the pipes against these gates and the runtime wires them.
/// </summary>
/// <remarks>Implement it explicitly, so it is not taken for a YAML key: <c>IReadOnlyList&lt;string&gt; IStageGates.Gates =&gt; ...</c>.</remarks>
public interface IStageGates
{
    /// <summary>The stage's output gates, the default first: distinct names of letters, digits, '_' and '-'.</summary>
    IReadOnlyList<string> Gates { get; }
}
