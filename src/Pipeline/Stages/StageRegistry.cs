using System.Reflection;

namespace Pipeline.Stages;

/// <summary>
/// The stage types a pipeline can name in YAML: the built-in ones, those a host registers, and those
/// found in plugin assemblies. Names are case-sensitive.
/// </summary>
public sealed class StageRegistry
{
    private readonly Dictionary<string, StageDescriptor> _byName = new(StringComparer.Ordinal);

    /// <summary>Every registered stage, by name.</summary>
    public IReadOnlyCollection<StageDescriptor> All => _byName.Values;

    /// <summary>Registers <typeparamref name="TStage"/> under its <see cref="StageAttribute"/> name (or a given one).</summary>
    public StageRegistry Register<TStage>(string? name = null)
        where TStage : IPacketStage => Register(typeof(TStage), name);

    /// <summary>Registers a stage class; throws <see cref="ArgumentException"/> when it cannot be a stage or the name is taken.</summary>
    public StageRegistry Register(Type type, string? name = null)
    {
        if (!StageDescriptor.TryCreate(type, name, out var descriptor, out var error))
        {
            throw new ArgumentException(error, nameof(type));
        }

        if (_byName.TryGetValue(descriptor!.Name, out var existing) && existing.StageType != type)
        {
            throw new ArgumentException($"stage name '{descriptor.Name}' is already taken by {existing.StageType.FullName}", nameof(type));
        }

        _byName[descriptor.Name] = descriptor;
        return this;
    }

    /// <summary>Registers every public class with a <see cref="StageAttribute"/> in <paramref name="assembly"/>.</summary>
    public StageRegistry RegisterAssembly(Assembly assembly)
    {
        foreach (var type in assembly.GetExportedTypes())
        {
            if (type.GetCustomAttribute<StageAttribute>() is not null)
            {
                Register(type);
            }
        }

        return this;
    }

    /// <summary>The stage named <paramref name="name"/>.</summary>
    public bool TryGet(string name, out StageDescriptor descriptor) => _byName.TryGetValue(name, out descriptor!);

    /// <summary>A copy, so a pipeline's plugins do not leak into the host's registry.</summary>
    public StageRegistry Clone()
    {
        var copy = new StageRegistry();
        foreach (var (name, descriptor) in _byName)
        {
            copy._byName[name] = descriptor;
        }

        return copy;
    }

    internal void Add(StageDescriptor descriptor) => _byName[descriptor.Name] = descriptor;
}
