using System.Reflection;
using Pipeline.Config;
using Pipeline.Stages;

namespace Pipeline.Plugins;

/// <summary>
/// Loads plugin assemblies, each into its own load context, and registers their stages: every public class
/// with a <see cref="StageAttribute"/> under its name, and every other public <see cref="IPacketStage"/>
/// class under its full type name (<c>MyStages.Doubler</c>). A path is loaded once; naming it again reuses
/// the assembly.
/// </summary>
/// <remarks>Thread: safe to call from several threads; a registry passed in is the caller's to guard.</remarks>
public sealed class PluginLoader : IPluginResolver
{
    private static readonly StringComparer PathComparer =
        OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Assembly> _byPath = new(PathComparer);
    private readonly List<Assembly> _loaded = [];

    /// <summary>The plugin assemblies loaded so far, in load order.</summary>
    public IReadOnlyList<Assembly> LoadedAssemblies
    {
        get
        {
            lock (_lock)
            {
                return [.. _loaded];
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Registers all of the plugin's stages or none: every problem found (a <c>[Stage]</c> class that is not a
    /// stage, a class with no usable constructor, a name already taken) is reported, on one line.
    /// </remarks>
    public bool TryLoad(string fullPath, StageRegistry registry, out string? error)
    {
        ArgumentNullException.ThrowIfNull(fullPath);
        ArgumentNullException.ThrowIfNull(registry);

        var path = Path.GetFullPath(fullPath);
        var label = $"plugin '{Path.GetFileName(path)}'";
        if (!TryGetAssembly(path, label, out var assembly, out error))
        {
            return false;
        }

        if (!TryFindStages(assembly!, label, registry, out var stages, out error))
        {
            return false;
        }

        if (stages.Count == 0)
        {
            error = $"{label} defines no stages";
            return false;
        }

        var errors = new List<string>();
        foreach (var (type, name) in stages)
        {
            try
            {
                registry.Register(type, name);
            }
            catch (ArgumentException e)
            {
                errors.Add(e.Message.Split(" (Parameter", 2)[0]);
            }
        }

        error = Join(label, errors);
        return error is null;
    }

    private bool TryGetAssembly(string path, string label, out Assembly? assembly, out string? error)
    {
        lock (_lock)
        {
            if (_byPath.TryGetValue(path, out assembly))
            {
                error = null;
                return true;
            }

            if (!File.Exists(path))
            {
                error = Directory.Exists(path)
                    ? $"{label} is a directory (resolved to {path}): name the plugin's .dll"
                    : $"{label} not found (resolved to {path})";
                return false;
            }

            try
            {
                assembly = new PluginLoadContext(path).LoadFromAssemblyPath(path);
            }
            catch (BadImageFormatException)
            {
                error = $"{label} is not a .NET assembly ({path})";
                return false;
            }
            catch (Exception e) when (e is FileLoadException or IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                // FileLoadException: already loaded with another identity, or a bad strong name; IOException: the
                // file went away; InvalidOperationException: its .deps.json could not be read.
                error = $"{label} could not be loaded ({path}): {e.Message}";
                return false;
            }

            _byPath.Add(path, assembly);
            _loaded.Add(assembly);
            error = null;
            return true;
        }
    }

    /// <summary>The stages of <paramref name="assembly"/>, checked against each other and the registry.</summary>
    private static bool TryFindStages(Assembly assembly, string label, StageRegistry registry, out List<(Type Type, string Name)> stages, out string? error)
    {
        stages = [];
        var errors = new List<string>();
        Type[] types;
        try
        {
            types = assembly.GetExportedTypes();
        }
        catch (Exception e) when (e is TypeLoadException or FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            // A dependency the plugin was built against is missing from its folder and from the host.
            error = $"{label}: its types could not be read: {e.Message}";
            return false;
        }

        var names = new Dictionary<string, Type>(StringComparer.Ordinal);
        foreach (var type in types)
        {
            StageAttribute? attribute;
            try
            {
                attribute = type.GetCustomAttribute<StageAttribute>();
            }
            catch (Exception e) when (e is CustomAttributeFormatException or TypeLoadException or FileNotFoundException or FileLoadException)
            {
                errors.Add($"the attributes of class '{type.FullName}' could not be read: {e.Message}");
                continue;
            }

            var isStage = typeof(IPacketStage).IsAssignableFrom(type);
            if (attribute is null)
            {
                // Unmarked: a stage only if it can be one, named by its full class name; helpers are skipped.
                if (!isStage || !type.IsClass || type.IsAbstract || type.ContainsGenericParameters)
                {
                    continue;
                }
            }
            else if (!isStage)
            {
                errors.Add($"class '{type.FullName}' has [Stage(\"{attribute.Name}\")] but does not implement {nameof(IPacketStage)}");
                continue;
            }
            else if (type.ContainsGenericParameters)
            {
                errors.Add($"class '{type.FullName}' has [Stage(\"{attribute.Name}\")] but is an open generic type");
                continue;
            }

            var name = attribute?.Name ?? type.FullName!;
            if (!StageDescriptor.TryCreate(type, name, out _, out var whyNot))
            {
                errors.Add(whyNot!);
                continue;
            }

            if (names.TryGetValue(name, out var twin))
            {
                errors.Add($"stage name '{name}' is declared by both '{twin.FullName}' and '{type.FullName}'");
                continue;
            }

            if (registry.TryGet(name, out var existing) && existing.StageType != type)
            {
                errors.Add($"stage name '{name}' of class '{type.FullName}' is already taken by {Describe(existing.StageType)}");
                continue;
            }

            names.Add(name, type);
            stages.Add((type, name));
        }

        error = Join(label, errors);
        return error is null;
    }

    /// <summary>One line for a <see cref="ConfigError"/>: <c>plugin 'x.dll': problem; problem</c>.</summary>
    private static string? Join(string label, List<string> errors) =>
        errors.Count == 0 ? null : $"{label}: {string.Join("; ", errors)}";

    private static string Describe(Type type)
    {
        var location = type.Assembly.Location;
        return string.IsNullOrEmpty(location) ? $"'{type.FullName}'" : $"'{type.FullName}' ({Path.GetFileName(location)})";
    }
}
