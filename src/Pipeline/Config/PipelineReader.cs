using System.Globalization;
using Netmap.Io.Files;
using Netmap.Io.Ports;
using Pipeline.Stages;
using YamlDotNet.RepresentationModel;

namespace Pipeline.Config;

/// <summary>
/// Reads one pipeline document section by section (plugins before stages, ports and stages before pipes,
/// whatever their order in the file), reporting every problem to the diagnostics and carrying on.
/// </summary>
internal sealed class PipelineReader
{
    private static readonly string[] TopLevelKeys = ["name", "memory", "runtime", "plugins", "nodes", "ports", "stages", "pipes"];
    private static readonly string[] MemoryKeys = ["buffers", "buffer-size", "headroom", "batch-size", "window"];
    private static readonly string[] RuntimeKeys = ["fuse", "threads"];

    // The keys a port mapping may have: extend here when ports grow options.
    private static readonly string[] PortKeys = ["spec", "overflow", "pace", "loop", "speed", "thread", "sync", NodePlacementReader.NodeKey, PortNamespaceReader.NetnsKey];

    // The keys that only a pcap: source reads (its replay options).
    private static readonly string[] PcapKeys = ["pace", "loop", "speed"];

    private readonly ConfigDiagnostics _diagnostics;
    private readonly string _baseDirectory;
    private readonly IPluginResolver? _plugins;
    private readonly Dictionary<string, DeclaredNode> _nodes = new(StringComparer.Ordinal);
    private readonly List<DeclaredNode> _declared = [];
    private StageRegistry _registry;

    // The node roles (nodes:) and whether the section is there: ports and stages name them with node:.
    private IReadOnlyList<string> _roles = [];
    private bool _rolesGiven;

    public PipelineReader(ConfigDiagnostics diagnostics, StageRegistry registry, string baseDirectory, IPluginResolver? plugins)
    {
        _diagnostics = diagnostics;
        _registry = registry;
        _baseDirectory = baseDirectory;
        _plugins = plugins;
    }

    private readonly record struct Entry(YamlScalarNode Key, YamlNode Value);

    /// <summary><c>unknown key 'x' (expected one of: a, b)</c>.</summary>
    public static string UnknownKey(string key, IEnumerable<string> expected) =>
        key == "<<"
            ? "'<<' (YAML's merge key) is not supported in a pipeline file: write the keys out (an alias of a whole value, *name, works)"
            : $"unknown key '{key}' (expected one of: {string.Join(", ", expected)})";

    /// <summary>The definition, or null when the document has errors (all of them reported).</summary>
    public PipelineDefinition? Read(YamlNode root)
    {
        if (root is not YamlMappingNode document)
        {
            _diagnostics.Add(root, $"a pipeline file is a mapping with the keys {string.Join(", ", TopLevelKeys)}: found {ConfigDiagnostics.Describe(root)}");
            return null;
        }

        var sections = ReadKeys(document, TopLevelKeys);
        var name = ReadName(document, sections);
        var memory = sections.TryGetValue("memory", out var memorySection) ? ReadMemory(memorySection) : new MemoryDefinition();
        var runtime = sections.TryGetValue("runtime", out var runtimeSection) ? ReadRuntime(runtimeSection) : new RuntimeDefinition();
        if (sections.TryGetValue("plugins", out var pluginsSection))
        {
            ReadPlugins(pluginsSection);
        }

        if (sections.TryGetValue(NodePlacementReader.NodesKey, out var nodesSection))
        {
            _rolesGiven = true;
            _roles = NodePlacementReader.ReadNodes(_diagnostics, nodesSection.Key, nodesSection.Value);
        }

        var ports = sections.TryGetValue("ports", out var portsSection) ? ReadPorts(portsSection) : [];
        var stages = sections.TryGetValue("stages", out var stagesSection) ? ReadStages(stagesSection) : [];
        var pipes = new PipeParser(_diagnostics, _nodes);
        if (sections.TryGetValue("pipes", out var pipesSection))
        {
            ReadPipes(pipesSection, pipes);
        }

        if (ports.Count == 0 && _diagnostics.Count == 0)
        {
            // Nothing could enter or leave: a run would wait for input that cannot come.
            _diagnostics.Add(portsSection.Key is { } portsKey ? portsKey : document, "a pipeline needs at least one port (under 'ports:'): packets enter and leave through ports");
        }

        GraphValidator.Check(_diagnostics, _declared, pipes.Edges);
        PortRules.Check(_diagnostics, ports, pipes.Edges);
        PortNamespaceReader.Check(_diagnostics, ports);
        if (_diagnostics.Count > 0 || name is null)
        {
            return null;
        }

        return new PipelineDefinition
        {
            Name = name,
            Memory = memory,
            Runtime = runtime,
            Ports = ports,
            Stages = stages,
            Edges = pipes.Edges,
            File = _diagnostics.File,
            Nodes = _roles,
        };
    }

    private string? ReadName(YamlMappingNode document, Dictionary<string, Entry> sections)
    {
        if (!sections.TryGetValue("name", out var entry))
        {
            _diagnostics.Add(document, "missing required key 'name'");
            return null;
        }

        if (entry.Value is not YamlScalarNode { Value: { Length: > 0 } name } || ConfigDiagnostics.IsEmpty(entry.Value))
        {
            _diagnostics.Add(ConfigDiagnostics.IsEmpty(entry.Value) ? entry.Key : entry.Value, $"'name' must be a string, found {ConfigDiagnostics.Describe(entry.Value)}");
            return null;
        }

        return name;
    }

    // An optional section's mapping: null when it is empty (the defaults apply) or not a mapping (reported).
    private YamlMappingNode? SectionMapping(Entry section, string mustBe)
    {
        if (ConfigDiagnostics.IsEmpty(section.Value))
        {
            return null;
        }

        if (section.Value is not YamlMappingNode mapping)
        {
            _diagnostics.Add(section.Value, $"{mustBe}, found {ConfigDiagnostics.Describe(section.Value)}");
            return null;
        }

        return mapping;
    }

    private MemoryDefinition ReadMemory(Entry section)
    {
        var defaults = new MemoryDefinition();
        if (SectionMapping(section, "'memory' must be a mapping") is not { } mapping)
        {
            return defaults;
        }

        var keys = ReadKeys(mapping, MemoryKeys);
        var bufferSize = ReadInt(keys, "buffer-size", 64, 65535, defaults.BufferSize, out var bufferSizeOk);
        var headroomLimit = bufferSizeOk ? " (buffer-size - 64)" : string.Empty;
        return new MemoryDefinition
        {
            Buffers = ReadInt(keys, "buffers", 3, 16777216, defaults.Buffers, out _),
            BufferSize = bufferSize,
            Headroom = ReadInt(keys, "headroom", 0, (bufferSizeOk ? bufferSize : 65535) - 64, defaults.Headroom, out _, headroomLimit),
            BatchSize = ReadInt(keys, "batch-size", 1, 4096, defaults.BatchSize, out _),
            Window = ReadInt(keys, "window", 1, 1024, defaults.Window, out _),
        };
    }

    private RuntimeDefinition ReadRuntime(Entry section)
    {
        var defaults = new RuntimeDefinition();
        if (SectionMapping(section, "'runtime' must be a mapping like { fuse: true, threads: 1 }") is not { } mapping)
        {
            return defaults;
        }

        var keys = ReadKeys(mapping, RuntimeKeys);
        return new RuntimeDefinition
        {
            Fuse = ReadBool(keys, "fuse", defaults.Fuse),
            Threads = keys.ContainsKey("threads") ? ReadInt(keys, "threads", 1, RuntimeDefinition.MaxThreads, 1, out _) : defaults.Threads,
        };
    }

    private bool ReadBool(Dictionary<string, Entry> keys, string key, bool fallback)
    {
        if (!keys.TryGetValue(key, out var entry))
        {
            return fallback;
        }

        if (entry.Value is YamlScalarNode { Value: { } text } && bool.TryParse(text, out var value))
        {
            return value;
        }

        _diagnostics.Add(ValueOrKey(entry), $"'{key}' must be true or false, found {ConfigDiagnostics.Describe(entry.Value)}");
        return fallback;
    }

    private int ReadInt(Dictionary<string, Entry> keys, string key, int min, int max, int fallback, out bool ok, string limitNote = "")
    {
        ok = true;
        if (!keys.TryGetValue(key, out var entry))
        {
            return fallback;
        }

        if (entry.Value is YamlScalarNode { Value: { } text } && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        ok = false;
        var at = ConfigDiagnostics.IsEmpty(entry.Value) ? (YamlNode)entry.Key : entry.Value;
        _diagnostics.Add(at, $"'{key}' must be an integer from {min} to {max}{limitNote}, found {ConfigDiagnostics.Describe(entry.Value)}");
        return fallback;
    }

    private void ReadPlugins(Entry section)
    {
        if (ConfigDiagnostics.IsEmpty(section.Value))
        {
            return;
        }

        if (section.Value is not YamlSequenceNode list)
        {
            _diagnostics.Add(section.Value, $"'plugins' must be a list of assembly paths, found {ConfigDiagnostics.Describe(section.Value)}");
            return;
        }

        if (list.Children.Count == 0)
        {
            return;
        }

        if (_plugins is null)
        {
            _diagnostics.Add(section.Key, "plugins need a plugin loader");
            return;
        }

        // The pipeline's plugins go into its own copy: the host's registry stays as it was.
        _registry = _registry.Clone();
        foreach (var item in list.Children)
        {
            if (item is not YamlScalarNode { Value: { Length: > 0 } path })
            {
                _diagnostics.Add(item, $"a plugin must be an assembly path, found {ConfigDiagnostics.Describe(item)}");
                continue;
            }

            if (!_plugins.TryLoad(Path.GetFullPath(path, _baseDirectory), _registry, out var error))
            {
                _diagnostics.Add(item, error ?? $"cannot load plugin '{path}'");
            }
        }
    }

    private List<PortDefinition> ReadPorts(Entry section)
    {
        var ports = new List<PortDefinition>();
        foreach (var (key, value, name) in ReadNamed(section, "port"))
        {
            if (value is not YamlMappingNode mapping)
            {
                _diagnostics.Add(value, $"port '{name}' must be a mapping like {{ spec: \"netmap:eth0\" }}, found {ConfigDiagnostics.Describe(value)}");
                continue;
            }

            var keys = ReadKeys(mapping, PortKeys);
            if (!keys.TryGetValue("spec", out var spec))
            {
                _diagnostics.Add(key, $"port '{name}' needs a 'spec'");
                continue;
            }

            if (spec.Value is not YamlScalarNode { Value: { Length: > 0 } text } scalar)
            {
                _diagnostics.Add(ConfigDiagnostics.IsEmpty(spec.Value) ? spec.Key : spec.Value, $"'spec' must be a port spec string, found {ConfigDiagnostics.Describe(spec.Value)}");
                continue;
            }

            var overflow = PortOverflow.Wait;
            if (keys.TryGetValue("overflow", out var overflowEntry))
            {
                switch ((overflowEntry.Value as YamlScalarNode)?.Value)
                {
                    case "wait":
                        break;
                    case "drop":
                        overflow = PortOverflow.Drop;
                        break;
                    default:
                        _diagnostics.Add(overflowEntry.Value, $"'overflow' must be one of [wait, drop], found {ConfigDiagnostics.Describe(overflowEntry.Value)}");
                        break;
                }
            }

            var (threading, sync) = PortThreadingReader.Read(
                _diagnostics,
                keys.TryGetValue(PortThreadingReader.ThreadKey, out var threadEntry) ? (threadEntry.Key, threadEntry.Value) : null,
                keys.TryGetValue(PortThreadingReader.SyncKey, out var syncEntry) ? (syncEntry.Key, syncEntry.Value) : null);
            if (PortSpecParser.TryParse(text, out var parsed, out var error))
            {
                var pcap = ReadPcapOptions(keys, parsed);
                ports.Add(new PortDefinition(name, parsed, _diagnostics.At(key))
                {
                    Overflow = overflow, Pcap = pcap, Threading = threading, Sync = sync, Node = ReadNode(keys.GetValueOrDefault(NodePlacementReader.NodeKey)),
                    Netns = keys.TryGetValue(PortNamespaceReader.NetnsKey, out var netns) ? PortNamespaceReader.Read(_diagnostics, parsed, netns.Key, netns.Value) : null,
                });
            }
            else
            {
                _diagnostics.Add(_diagnostics.At(scalar, error.Position), $"invalid port spec '{text}': {error.Reason}");
            }
        }

        return ports;
    }

    // pace, loop and speed: a pcap: source's replay options, null when none is given. On another port each
    // given key is an error at the key (its value is not read).
    private PcapOptions? ReadPcapOptions(Dictionary<string, Entry> keys, PortSpec spec)
    {
        if (spec.Prefix != PortPrefix.Pcap)
        {
            foreach (var pcapKey in PcapKeys)
            {
                if (keys.TryGetValue(pcapKey, out var entry))
                {
                    _diagnostics.Add(entry.Key, $"'{pcapKey}' only applies to pcap: ports");
                }
            }

            return null;
        }

        if (!PcapKeys.Any(keys.ContainsKey))
        {
            return null;
        }

        var defaults = PcapOptions.Default;
        var pace = defaults.Pace;
        if (keys.TryGetValue("pace", out var paceEntry))
        {
            switch ((paceEntry.Value as YamlScalarNode)?.Value)
            {
                case "fast":
                    break;
                case "recorded":
                    pace = PcapPace.Recorded;
                    break;
                default:
                    _diagnostics.Add(ValueOrKey(paceEntry), $"'pace' must be one of [fast, recorded], found {ConfigDiagnostics.Describe(paceEntry.Value)}");
                    break;
            }
        }

        var loop = ReadInt(keys, "loop", 0, int.MaxValue, defaults.Loop, out _);
        var speed = defaults.Speed;
        if (keys.TryGetValue("speed", out var speedEntry))
        {
            if (speedEntry.Value is YamlScalarNode { Value: { } text }
                && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                && double.IsFinite(value) && value > 0)
            {
                speed = value;
            }
            else
            {
                _diagnostics.Add(ValueOrKey(speedEntry), $"'speed' must be a number greater than 0, found {ConfigDiagnostics.Describe(speedEntry.Value)}");
            }
        }

        return new PcapOptions { Pace = pace, Loop = loop, Speed = speed };
    }

    // A port's or stage's node: role, or null (absent, or bad and reported).
    private string? ReadNode(Entry entry) =>
        entry.Key is null ? null : NodePlacementReader.ReadNode(_diagnostics, _roles, _rolesGiven, entry.Key, entry.Value);

    // A stage mapping's entry for `key` (stages bind their other keys to options); default when absent.
    private static Entry Find(YamlMappingNode mapping, string key)
    {
        foreach (var (keyNode, value) in mapping.Children)
        {
            if (keyNode is YamlScalarNode { Value: { } name } scalar && name == key)
            {
                return new Entry(scalar, value);
            }
        }

        return default;
    }

    // Where an error about a value goes: the value, or its key when it is left empty.
    private static YamlNode ValueOrKey(Entry entry) => ConfigDiagnostics.IsEmpty(entry.Value) ? entry.Key : entry.Value;

    private List<StageDefinition> ReadStages(Entry section)
    {
        var stages = new List<StageDefinition>();
        var binder = new OptionsBinder(_diagnostics);
        foreach (var (key, value, name) in ReadNamed(section, "stage"))
        {
            if (value is not YamlMappingNode mapping)
            {
                _diagnostics.Add(value, $"stage '{name}' must be a mapping like {{ type: counter }}, found {ConfigDiagnostics.Describe(value)}");
                continue;
            }

            var typeEntry = mapping.Children.FirstOrDefault(e => e.Key is YamlScalarNode { Value: "type" });
            if (typeEntry.Key is null)
            {
                _diagnostics.Add(key, $"stage '{name}' needs a 'type'");
                continue;
            }

            if (typeEntry.Value is not YamlScalarNode { Value: { Length: > 0 } type })
            {
                _diagnostics.Add(ConfigDiagnostics.IsEmpty(typeEntry.Value) ? typeEntry.Key : typeEntry.Value, $"'type' must be a stage type name, found {ConfigDiagnostics.Describe(typeEntry.Value)}");
                continue;
            }

            if (!_registry.TryGet(type, out var descriptor))
            {
                var known = _registry.All.Select(d => d.Name).Order(StringComparer.Ordinal).ToList();
                _diagnostics.Add(typeEntry.Value, known.Count == 0
                    ? $"unknown stage type '{type}' (no stage types are registered)"
                    : $"unknown stage type '{type}' (known types: {string.Join(", ", known)})");
                continue;
            }

            _nodes[name].Descriptor = descriptor;
            _nodes[name].Gates = descriptor.GatesFromOptions ? null : descriptor.Gates;
            if (binder.TryBind(descriptor, key, mapping, out var options))
            {
                var stage = new StageDefinition(name, descriptor, options, _diagnostics.At(key))
                {
                    Node = ReadNode(Find(mapping, NodePlacementReader.NodeKey)),
                    Instances = Find(mapping, NodePlacementReader.InstancesKey) is { Key: not null } instances
                        ? NodePlacementReader.ReadInstances(_diagnostics, _rolesGiven, instances.Key, instances.Value)
                        : 1,
                };
                if (descriptor.GatesFromOptions && GatesProblem(stage.Gates) is { } problem)
                {
                    _diagnostics.Add(key, $"stage '{name}' {problem}");
                    continue;
                }

                if (ConstructionProblem(descriptor, options) is { } failure)
                {
                    // A constructor that checks its options together (eth-rewrite needs src or dst) would otherwise
                    // throw only in the running pipeline, in its actor, at every restart.
                    _diagnostics.Add(key, $"stage '{name}': {failure}");
                    continue;
                }

                _nodes[name].Gates = stage.Gates;
                stages.Add(stage);
            }
        }

        return stages;
    }

    // Builds the stage once, as the runtime will: what its constructor says about the options, or null when it takes them.
    private static string? ConstructionProblem(StageDescriptor descriptor, object? options)
    {
        try
        {
            (descriptor.Create(options) as IDisposable)?.Dispose();
            return null;
        }
        catch (System.Reflection.TargetInvocationException ex) when (ex.InnerException is { } inner and not OutOfMemoryException)
        {
            // An ArgumentException's message ends with " (Parameter 'options')": the user wrote no parameter of that name.
            return inner is ArgumentException { ParamName: { } parameter } argument
                ? argument.Message.Replace($" (Parameter '{parameter}')", string.Empty, StringComparison.Ordinal)
                : inner.Message;
        }
    }

    // What is wrong with gates a stage's options name (IStageGates), or null.
    private static string? GatesProblem(IReadOnlyList<string> gates)
    {
        if (gates.Count == 0)
        {
            return "has no gates";
        }

        for (var g = 0; g < gates.Count; g++)
        {
            if (!PipeParser.IsName(gates[g] ?? string.Empty))
            {
                return $"has an invalid gate name '{gates[g]}': use letters, digits, '_' and '-'";
            }

            for (var h = 0; h < g; h++)
            {
                if (gates[h] == gates[g])
                {
                    return $"names gate '{gates[g]}' twice";
                }
            }
        }

        return null;
    }

    private void ReadPipes(Entry section, PipeParser pipes)
    {
        if (ConfigDiagnostics.IsEmpty(section.Value))
        {
            return;
        }

        if (section.Value is not YamlSequenceNode list)
        {
            _diagnostics.Add(section.Value, $"'pipes' must be a list of 'a -> b' lines, found {ConfigDiagnostics.Describe(section.Value)}");
            return;
        }

        foreach (var item in list.Children)
        {
            if (item is YamlScalarNode line)
            {
                pipes.Read(line);
            }
            else
            {
                _diagnostics.Add(item, $"a pipe must be a line like 'a -> b', found {ConfigDiagnostics.Describe(item)}");
            }
        }
    }

    // The entries of ports: or stages: whose names are good; each is declared, so pipes can name it.
    private List<(YamlScalarNode Key, YamlNode Value, string Name)> ReadNamed(Entry section, string kind)
    {
        var named = new List<(YamlScalarNode, YamlNode, string)>();
        if (ConfigDiagnostics.IsEmpty(section.Value))
        {
            return named;
        }

        if (section.Value is not YamlMappingNode mapping)
        {
            _diagnostics.Add(section.Value, $"'{section.Key.Value}' must be a mapping of {kind} names, found {ConfigDiagnostics.Describe(section.Value)}");
            return named;
        }

        foreach (var (keyNode, value) in mapping.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } name } key)
            {
                _diagnostics.Add(keyNode, $"expected a {kind} name, found {ConfigDiagnostics.Describe(keyNode)}");
                continue;
            }

            if (name == PipeParser.Drop)
            {
                _diagnostics.Add(key, $"'drop' is the built-in sink and cannot name a {kind}");
                continue;
            }

            if (!PipeParser.IsName(name))
            {
                _diagnostics.Add(key, $"invalid {kind} name '{name}': use letters, digits, '_' and '-'");
                continue;
            }

            if (_nodes.TryGetValue(name, out var existing))
            {
                var what = existing.Kind == NodeKind.Port ? "port" : "stage";
                _diagnostics.Add(key, $"'{name}' is already a {what} at {existing.Where}");
                continue;
            }

            var node = new DeclaredNode(name, kind == "port" ? NodeKind.Port : NodeKind.Stage, _diagnostics.At(key));
            _nodes.Add(name, node);
            _declared.Add(node);
            named.Add((key, value, name));
        }

        return named;
    }

    // The known keys of a mapping; an error at each unknown or non-scalar key.
    private Dictionary<string, Entry> ReadKeys(YamlMappingNode mapping, string[] allowed)
    {
        var keys = new Dictionary<string, Entry>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in mapping.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key } scalar)
            {
                _diagnostics.Add(keyNode, $"expected a key name, found {ConfigDiagnostics.Describe(keyNode)}");
            }
            else if (Array.IndexOf(allowed, key) < 0)
            {
                _diagnostics.Add(keyNode, UnknownKey(key, allowed));
            }
            else
            {
                keys[key] = new Entry(scalar, value);
            }
        }

        return keys;
    }
}
