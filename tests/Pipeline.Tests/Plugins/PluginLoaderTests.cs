using System.Reflection;
using System.Runtime.Loader;
using Netmap.Io.Memory;
using Netmap.Io.Rings;
using Pipeline.Plugins;
using Pipeline.Runtime;
using Pipeline.Stages;

namespace Pipeline.Tests.Plugins;

public sealed class PluginLoaderTests
{
    private const string MarkName = "plugin-mark";
    private const string ReverseName = "Pipeline.TestPlugin.Reverse";

    [Fact]
    public void Plugin_loads_and_registers_its_stages_with_name_gates_and_options()
    {
        var loader = new PluginLoader();
        var registry = new StageRegistry();

        Assert.True(loader.TryLoad(TestPlugins.Good, registry, out var error), error);
        Assert.Null(error);

        Assert.True(registry.TryGet(MarkName, out var mark));
        Assert.Equal(MarkName, mark.Name);
        Assert.Equal("Pipeline.TestPlugin.MarkStage", mark.StageType.FullName);
        Assert.Equal(["out", "empty"], mark.Gates);
        Assert.Equal("Marks byte 0 of each packet", mark.Summary);
        Assert.Equal("Pipeline.TestPlugin.MarkOptions", mark.OptionsType?.FullName);
        Assert.Equal(2, registry.All.Count);
    }

    [Fact]
    public void Stage_types_implement_the_hosts_IPacketStage()
    {
        var registry = new StageRegistry();
        Assert.True(new PluginLoader().TryLoad(TestPlugins.Good, registry, out var error), error);

        foreach (var descriptor in registry.All)
        {
            Assert.True(typeof(IPacketStage).IsAssignableFrom(descriptor.StageType), $"{descriptor.StageType} is not the host's IPacketStage");
            Assert.Contains(typeof(IPacketStage), descriptor.StageType.GetInterfaces());
        }
    }

    [Fact]
    public void Plugin_has_its_own_load_context_but_shares_the_hosts_contract_assemblies()
    {
        var loader = new PluginLoader();
        Assert.True(loader.TryLoad(TestPlugins.Good, new StageRegistry(), out var error), error);

        var plugin = Assert.Single(loader.LoadedAssemblies);
        Assert.Equal("Pipeline.TestPlugin", plugin.GetName().Name);
        var context = AssemblyLoadContext.GetLoadContext(plugin);
        Assert.NotNull(context);
        Assert.NotSame(AssemblyLoadContext.Default, context);
        Assert.Equal("plugin:Pipeline.TestPlugin.dll", context.Name);

        // What the plugin was compiled against resolves, from its context, to the host's copies.
        var pipeline = context.LoadFromAssemblyName(Reference(plugin, "Pipeline"));
        Assert.Same(typeof(IPacketStage).Assembly, pipeline);
        Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(pipeline));
        var netmap = context.LoadFromAssemblyName(Reference(plugin, "Netmap.Io"));
        Assert.Same(typeof(BufferArena).Assembly, netmap);

        // The plugin's context holds only the plugin: no second Pipeline.dll or Netmap.Io.dll came from its folder.
        Assert.Equal([plugin], context.Assemblies);
        Assert.False(File.Exists(Path.Combine(TestPlugins.Directory, "Pipeline.dll")), "Pipeline.dll was copied next to the plugin");
    }

    [Fact]
    public void Class_without_Stage_attribute_is_registered_by_its_full_name()
    {
        var registry = new StageRegistry();
        Assert.True(new PluginLoader().TryLoad(TestPlugins.Good, registry, out var error), error);

        Assert.True(registry.TryGet(ReverseName, out var reverse));
        Assert.Equal(ReverseName, reverse.StageType.FullName);
        Assert.Equal(["out"], reverse.Gates);
        Assert.Null(reverse.OptionsType);
    }

    [Fact]
    public void Plugin_stage_created_with_options_processes_a_batch()
    {
        var registry = new StageRegistry();
        Assert.True(new PluginLoader().TryLoad(TestPlugins.Good, registry, out var error), error);
        Assert.True(registry.TryGet(MarkName, out var mark));

        // The options type lives in the plugin's context: build it by reflection, as the YAML binder does.
        var options = Activator.CreateInstance(mark.OptionsType!)!;
        Assert.Equal((byte)0xAA, Value(options));
        mark.OptionsType!.GetProperty("Value")!.SetValue(options, (byte)0x5A);
        var stage = mark.Create(options);

        using var arena = new BufferArena(new ArenaOptions { BufferCount = 64, Checked = true });
        var pool = new BatchPool(arena, capacity: 8, initialBatches: 1, isChecked: true);
        var batch = pool.Rent(this, "test");
        AddPacket(arena, pool, batch, [0x01, 0x02, 0x03]);
        AddPacket(arena, pool, batch, []);
        AddPacket(arena, pool, batch, [0x07, 0x08]);
        Assert.Equal(3, arena.InUse);

        var context = new StageContext("mark", mark.Gates, arena, pool.Capacity);
        context.Reset(batch.Count);
        stage.OnBatch(batch, context);

        var view = batch.Open();
        Assert.Equal([0x5A, 0x02, 0x03], view[0].Data.ToArray());
        Assert.Empty(view[1].Data.ToArray());
        Assert.Equal([0x5A, 0x08], view[2].Data.ToArray());
        Assert.Equal([(ushort)0, (ushort)1, (ushort)0], context.Verdicts(3).ToArray());

        Assert.Equal(3, pool.Return(batch));
        Assert.Equal(0, pool.Rented);
        arena.AssertNoLeaks();
    }

    [Fact]
    public void Plugin_stage_created_without_options_uses_the_options_defaults()
    {
        var registry = new StageRegistry();
        Assert.True(new PluginLoader().TryLoad(TestPlugins.Good, registry, out var error), error);
        Assert.True(registry.TryGet(MarkName, out var mark));
        Assert.True(registry.TryGet(ReverseName, out var reverse));

        using var arena = new BufferArena(new ArenaOptions { BufferCount = 64, Checked = true });
        var pool = new BatchPool(arena, capacity: 4, initialBatches: 1, isChecked: true);
        var batch = pool.Rent(this, "test");
        AddPacket(arena, pool, batch, [0x01, 0x02, 0x03, 0x04]);

        var context = new StageContext("chain", ["out", "empty"], arena, pool.Capacity);
        context.Reset(batch.Count);
        reverse.Create(null).OnBatch(batch, context);
        mark.Create(null).OnBatch(batch, context);

        Assert.Equal([0xAA, 0x03, 0x02, 0x01], batch.Open()[0].Data.ToArray());
        Assert.Equal(1, pool.Return(batch));
        Assert.Equal(0, pool.Rented);
        arena.AssertNoLeaks();
    }

    [Fact]
    public void A_directory_is_reported_as_one_not_as_missing()
    {
        var path = Path.GetTempPath().TrimEnd(Path.DirectorySeparatorChar);
        var loader = new PluginLoader();

        Assert.False(loader.TryLoad(path, new StageRegistry(), out var error));
        Assert.Equal($"plugin '{Path.GetFileName(path)}' is a directory (resolved to {path}): name the plugin's .dll", error);
    }

    [Fact]
    public void Missing_file_is_reported_with_its_resolved_path()
    {
        var path = Path.Combine(Path.GetTempPath(), $"no-such-plugin-{Guid.NewGuid():N}.dll");
        var loader = new PluginLoader();

        Assert.False(loader.TryLoad(path, new StageRegistry(), out var error));
        Assert.Equal($"plugin '{Path.GetFileName(path)}' not found (resolved to {path})", error);
        Assert.Empty(loader.LoadedAssemblies);
    }

    [Fact]
    public void File_that_is_not_an_assembly_is_reported()
    {
        var path = Path.Combine(Path.GetTempPath(), $"garbage-{Guid.NewGuid():N}.dll");
        File.WriteAllBytes(path, [0x4D, 0x5A, 0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x01, 0x02, 0x03]);
        try
        {
            var registry = new StageRegistry();
            Assert.False(new PluginLoader().TryLoad(path, registry, out var error));
            Assert.Equal($"plugin '{Path.GetFileName(path)}' is not a .NET assembly ({path})", error);
            Assert.Empty(registry.All);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Broken_plugin_reports_every_bad_class_and_registers_nothing()
    {
        var registry = new StageRegistry();

        Assert.False(new PluginLoader().TryLoad(TestPlugins.Broken, registry, out var error));

        Assert.NotNull(error);
        Assert.StartsWith("plugin 'Pipeline.TestPlugin.Broken.dll': ", error, StringComparison.Ordinal);
        Assert.Contains("class 'Pipeline.TestPlugin.Broken.NotAStage' has [Stage(\"plugin-broken\")] but does not implement IPacketStage", error, StringComparison.Ordinal);
        Assert.Contains("class 'Pipeline.TestPlugin.Broken.NoUsableConstructor' has no public constructor taking nothing or one options object", error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
        Assert.Empty(registry.All);
    }

    [Fact]
    public void Name_clash_with_an_existing_stage_is_reported_and_registers_nothing()
    {
        var registry = new StageRegistry().Register<HostMark>(MarkName);

        Assert.False(new PluginLoader().TryLoad(TestPlugins.Good, registry, out var error));

        Assert.Equal(
            $"plugin 'Pipeline.TestPlugin.dll': stage name '{MarkName}' of class 'Pipeline.TestPlugin.MarkStage' is already taken by '{typeof(HostMark).FullName}' (Pipeline.Tests.dll)",
            error);
        Assert.True(registry.TryGet(MarkName, out var kept));
        Assert.Equal(typeof(HostMark), kept.StageType);
        Assert.False(registry.TryGet(ReverseName, out _));
    }

    [Fact]
    public void Same_path_twice_reuses_the_assembly_and_registers_into_each_registry()
    {
        var loader = new PluginLoader();
        var first = new StageRegistry();
        var second = new StageRegistry();
        var sameFileOtherSpelling = Path.Combine(TestPlugins.Directory, ".", "Pipeline.TestPlugin.dll");

        Assert.True(loader.TryLoad(TestPlugins.Good, first, out var error), error);
        Assert.True(loader.TryLoad(TestPlugins.Good, first, out error), error);
        Assert.True(loader.TryLoad(sameFileOtherSpelling, second, out error), error);

        Assert.Single(loader.LoadedAssemblies);
        Assert.True(first.TryGet(MarkName, out var inFirst));
        Assert.True(second.TryGet(MarkName, out var inSecond));
        Assert.Same(inFirst.StageType, inSecond.StageType);
        Assert.Equal(2, first.All.Count);
    }

    [Fact]
    public void Assembly_without_stages_is_reported()
    {
        // Any assembly with no stage in it will do: YamlDotNet ships next to the tests.
        var path = Path.Combine(AppContext.BaseDirectory, "YamlDotNet.dll");

        Assert.False(new PluginLoader().TryLoad(path, new StageRegistry(), out var error));
        Assert.Equal("plugin 'YamlDotNet.dll' defines no stages", error);
    }

    private static AssemblyName Reference(Assembly assembly, string name) =>
        Assert.Single(assembly.GetReferencedAssemblies(), r => r.Name == name);

    private static byte Value(object options) => (byte)options.GetType().GetProperty("Value")!.GetValue(options)!;

    private static void AddPacket(BufferArena arena, BatchPool pool, PacketBatch batch, byte[] bytes)
    {
        var index = arena.Alloc(pool.Owner);
        bytes.CopyTo(arena.GetBuffer(index));
        batch.Add(new Slot { BufIdx = index, Len = (ushort)bytes.Length }, default);
    }

    /// <summary>A host stage that already holds the name the plugin wants.</summary>
    public sealed class HostMark : IPacketStage
    {
        public void OnBatch(PacketBatch batch, StageContext context)
        {
        }
    }
}
