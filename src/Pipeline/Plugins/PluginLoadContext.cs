using System.Reflection;
using System.Runtime.Loader;
using Pipeline.Stages;

namespace Pipeline.Plugins;

/// <summary>
/// The load context of one plugin assembly: its private dependencies come from its own folder (through its
/// <c>.deps.json</c>), while the contract assemblies come from the host, so that <see cref="IPacketStage"/>,
/// <see cref="StageAttribute"/> and the batch types are the same <see cref="Type"/> objects on both sides.
/// </summary>
internal sealed class PluginLoadContext : AssemblyLoadContext
{
    // The contract a stage is compiled against. A second copy of any of these in the plugin's context
    // would make its IPacketStage a different type from the host's and its stages invisible.
    private static readonly string[] SharedNames = ["Pipeline", "Netmap.Io", "Akka"];

    private readonly AssemblyDependencyResolver _resolver;
    private readonly AssemblyLoadContext _host;

    public PluginLoadContext(string pluginPath)
        : base($"plugin:{Path.GetFileName(pluginPath)}", isCollectible: false)
    {
        _resolver = new AssemblyDependencyResolver(pluginPath);

        // Normally the default context; a host that is itself loaded in a custom context shares its own.
        _host = GetLoadContext(typeof(IPacketStage).Assembly) ?? Default;
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (IsShared(assemblyName))
        {
            // Null defers to the default context, which supplies the host's copy.
            return ReferenceEquals(_host, Default) ? null : _host.LoadFromAssemblyName(assemblyName);
        }

        var path = _resolver.ResolveAssemblyToPath(assemblyName);
        return path is null ? null : LoadFromAssemblyPath(path);
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        var path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
        return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
    }

    private bool IsShared(AssemblyName assemblyName)
    {
        var name = assemblyName.Name;
        if (name is null)
        {
            return false;
        }

        foreach (var shared in SharedNames)
        {
            if (string.Equals(name, shared, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        // Anything the host already runs (Akka.Hosting, YamlDotNet, ...) is shared too: one copy per process.
        foreach (var loaded in _host.Assemblies)
        {
            if (string.Equals(loaded.GetName().Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
