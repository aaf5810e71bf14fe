using System.Diagnostics.CodeAnalysis;
using Pipeline.Stages;

namespace Pipeline.Config;

/// <summary>Loads the plugin assemblies a pipeline file lists under <c>plugins:</c> and registers their stages.</summary>
public interface IPluginResolver
{
    /// <summary>
    /// Loads the plugin assembly at <paramref name="fullPath"/> and registers its stages into
    /// <paramref name="registry"/>; false with a one-line <paramref name="error"/> when it cannot. The loader
    /// reports the error as is at the <c>plugins:</c> entry, so it should name the plugin.
    /// </summary>
    [SuppressMessage("Naming", "CA1716:Identifiers should not match keywords", Justification = "The TryX(out error) shape every Try method here uses.")]
    bool TryLoad(string fullPath, StageRegistry registry, out string? error);
}
