namespace Pipeline.Tests.Plugins;

/// <summary>
/// The plugin assemblies the test build copies to <c>plugins/</c> next to the test assembly (target
/// <c>CopyTestPlugins</c> in Pipeline.Tests.csproj). They are built, never referenced: load them from these paths.
/// </summary>
internal static class TestPlugins
{
    /// <summary>The folder holding the plugins and their <c>.deps.json</c>.</summary>
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "plugins");

    /// <summary>Pipeline.TestPlugin: <c>plugin-mark</c> (MarkStage, MarkOptions) and <c>Pipeline.TestPlugin.Reverse</c>.</summary>
    public static string Good => Existing("Pipeline.TestPlugin.dll");

    /// <summary>Pipeline.TestPlugin.Broken: a <c>[Stage]</c> class that is not a stage and one with no usable constructor.</summary>
    public static string Broken => Existing("Pipeline.TestPlugin.Broken.dll");

    private static string Existing(string fileName)
    {
        var path = Path.Combine(Directory, fileName);
        Assert.True(File.Exists(path), $"{path} is missing: the CopyTestPlugins target of Pipeline.Tests.csproj copies it after build");
        return path;
    }
}
