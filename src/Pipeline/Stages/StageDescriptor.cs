using System.Reflection;

namespace Pipeline.Stages;

/// <summary>
/// What the loader and the runtime know of a stage type: its YAML name, class, gates and options type
/// (the single parameter of its public constructor, or none).
/// </summary>
public sealed class StageDescriptor
{
    private readonly ConstructorInfo _constructor;

    private StageDescriptor(string name, Type stageType, IReadOnlyList<string> gates, string summary, ConstructorInfo constructor, Type? optionsType)
    {
        Name = name;
        StageType = stageType;
        Gates = gates;
        Summary = summary;
        _constructor = constructor;
        OptionsType = optionsType;
    }

    /// <summary>The YAML <c>type:</c>.</summary>
    public string Name { get; }

    /// <summary>The class that implements <see cref="IPacketStage"/>.</summary>
    public Type StageType { get; }

    /// <summary>
    /// Output gates, the default first. For a stage whose options implement <see cref="IStageGates"/>
    /// (<see cref="GatesFromOptions"/>), only a description of them: use <see cref="GatesFor"/>.
    /// </summary>
    public IReadOnlyList<string> Gates { get; }

    /// <summary>True when the gates come from the options (<see cref="OptionsType"/> implements <see cref="IStageGates"/>).</summary>
    public bool GatesFromOptions => OptionsType is not null && typeof(IStageGates).IsAssignableFrom(OptionsType);

    /// <summary>One line of description.</summary>
    public string Summary { get; }

    /// <summary>The options record bound from the stage's YAML keys, or null when it takes none.</summary>
    public Type? OptionsType { get; }

    /// <summary>The output gates of a stage created with <paramref name="options"/>: the options' own when <see cref="GatesFromOptions"/>, else <see cref="Gates"/>.</summary>
    public IReadOnlyList<string> GatesFor(object? options)
    {
        if (!GatesFromOptions)
        {
            return Gates;
        }

        return (options ?? Activator.CreateInstance(OptionsType!)) is IStageGates own ? own.Gates : Gates;
    }

    /// <summary>Creates a stage instance with <paramref name="options"/> (an instance of <see cref="OptionsType"/>, or null).</summary>
    public IPacketStage Create(object? options) =>
        (IPacketStage)_constructor.Invoke(OptionsType is null ? [] : [options ?? Activator.CreateInstance(OptionsType)]);

    /// <summary>
    /// Describes <paramref name="type"/>, or says in <paramref name="error"/> why it cannot be a stage: it must be
    /// a public, non-abstract class implementing <see cref="IPacketStage"/> with a public constructor taking
    /// nothing or one options object. <paramref name="name"/> overrides the <see cref="StageAttribute"/> name.
    /// </summary>
    public static bool TryCreate(Type type, string? name, out StageDescriptor? descriptor, out string? error)
    {
        descriptor = null;
        if (!typeof(IPacketStage).IsAssignableFrom(type))
        {
            error = $"class '{type.FullName}' does not implement {nameof(IPacketStage)}";
            return false;
        }

        if (type.IsAbstract || !type.IsClass)
        {
            error = $"'{type.FullName}' is abstract or not a class";
            return false;
        }

        var constructors = type.GetConstructors();
        ConstructorInfo? chosen = null;
        foreach (var candidate in constructors)
        {
            var parameters = candidate.GetParameters();
            if (parameters.Length == 1 && !parameters[0].ParameterType.IsPrimitive && parameters[0].ParameterType != typeof(string))
            {
                chosen = candidate;
                break;
            }

            if (parameters.Length == 0)
            {
                chosen ??= candidate;
            }
        }

        if (chosen is null)
        {
            error = $"class '{type.FullName}' has no public constructor taking nothing or one options object";
            return false;
        }

        var attribute = type.GetCustomAttribute<StageAttribute>();
        var gates = attribute?.Gates is { Length: > 0 } declared ? declared : ["out"];
        var optionsType = chosen.GetParameters() is [var p] ? p.ParameterType : null;
        descriptor = new StageDescriptor(name ?? attribute?.Name ?? type.FullName!, type, gates, attribute?.Summary ?? string.Empty, chosen, optionsType);
        error = null;
        return true;
    }
}
