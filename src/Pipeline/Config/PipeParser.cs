using YamlDotNet.RepresentationModel;

namespace Pipeline.Config;

/// <summary>
/// Turns <c>pipes:</c> lines (<c>node[.gate] -> node[.gate] -> ...</c>) into edges. Each arrow connects the
/// left node's gate (<c>out</c> unless given) to the right node's input; a gate written on the right node
/// is its output for the next arrow. Errors point at the node inside the line.
/// </summary>
internal sealed class PipeParser
{
    /// <summary>The built-in sink.</summary>
    public const string Drop = "drop";

    private const string Arrow = "->";
    private const string DefaultGate = "out";

    private readonly ConfigDiagnostics _diagnostics;
    private readonly IReadOnlyDictionary<string, DeclaredNode> _nodes;
    private readonly Dictionary<(string Node, string Gate), SourceSpan> _connected = [];
    private readonly List<EdgeDefinition> _edges = [];

    public PipeParser(ConfigDiagnostics diagnostics, IReadOnlyDictionary<string, DeclaredNode> nodes)
    {
        _diagnostics = diagnostics;
        _nodes = nodes;
    }

    private readonly record struct Element(string Name, string? Gate, int Index);

    /// <summary>Every edge made so far, in file order.</summary>
    public IReadOnlyList<EdgeDefinition> Edges => _edges;

    /// <summary>A port or stage name: <c>[A-Za-z0-9_-]+</c>.</summary>
    public static bool IsName(string name)
    {
        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '-'))
            {
                return false;
            }
        }

        return name.Length > 0;
    }

    /// <summary>Reads one line, adding its edges or reporting what is wrong with it.</summary>
    public void Read(YamlScalarNode line)
    {
        var elements = Split(line, out var wellFormed);
        if (!wellFormed)
        {
            // Names a broken line mentions still count as connected, so they get no errors of their own.
            foreach (var element in elements)
            {
                if (_nodes.TryGetValue(element.Name, out var node))
                {
                    node.IsUsed = node.HasInput = true;
                }
            }

            return;
        }

        var sources = new bool[elements.Count];
        var destinations = new bool[elements.Count];
        for (var i = 0; i < elements.Count; i++)
        {
            (sources[i], destinations[i]) = Resolve(line, elements[i], first: i == 0, last: i == elements.Count - 1);
        }

        for (var i = 0; i + 1 < elements.Count; i++)
        {
            if (sources[i] && destinations[i + 1])
            {
                Connect(line, elements[i], elements[i + 1]);
            }
        }
    }

    // Splits at the arrows; reports empty and malformed elements.
    private List<Element> Split(YamlScalarNode line, out bool wellFormed)
    {
        var text = line.Value ?? string.Empty;
        var elements = new List<Element>();
        wellFormed = false;
        if (string.IsNullOrWhiteSpace(text))
        {
            _diagnostics.Add(line, "empty pipe: expected 'node -> node'");
            return elements;
        }

        var arrows = new List<int>();
        for (var a = text.IndexOf(Arrow, StringComparison.Ordinal); a >= 0; a = text.IndexOf(Arrow, a + Arrow.Length, StringComparison.Ordinal))
        {
            arrows.Add(a);
        }

        if (arrows.Count == 0)
        {
            _diagnostics.Add(_diagnostics.At(line, Skip(text, 0)), $"pipe '{text.Trim()}' has no '->': expected 'node -> node'");
            return elements;
        }

        wellFormed = true;
        var start = 0;
        for (var i = 0; i <= arrows.Count; i++)
        {
            var end = i < arrows.Count ? arrows[i] : text.Length;
            var from = Skip(text, start);
            var to = end;
            while (to > from && char.IsWhiteSpace(text[to - 1]))
            {
                to--;
            }

            if (from >= to)
            {
                var (at, message) = i == 0 ? (arrows[0], "pipe starts with '->': a source node is missing")
                    : i == arrows.Count ? (arrows[^1], "pipe ends with '->': a destination node is missing")
                    : (arrows[i], "empty node between two '->'");
                _diagnostics.Add(_diagnostics.At(line, at), message);
                wellFormed = false;
            }
            else
            {
                var token = text[from..to];
                var dot = token.IndexOf('.', StringComparison.Ordinal);
                var name = dot < 0 ? token : token[..dot];
                var gate = dot < 0 ? null : token[(dot + 1)..];
                if (IsName(name) && (gate is null || IsName(gate)))
                {
                    elements.Add(new Element(name, gate, from));
                }
                else
                {
                    _diagnostics.Add(_diagnostics.At(line, from), $"invalid node '{token}' in pipe: expected NAME or NAME.GATE (letters, digits, '_', '-')");
                    wellFormed = false;
                }
            }

            start = end + Arrow.Length;
        }

        return elements;
    }

    // Checks one element; says whether it can be the source of the next arrow and the destination of the previous one.
    private (bool Source, bool Destination) Resolve(YamlScalarNode line, Element element, bool first, bool last)
    {
        var at = _diagnostics.At(line, element.Index);
        if (element.Name == Drop)
        {
            if (element.Gate is not null)
            {
                _diagnostics.Add(at, "'drop' has no gates: it is the built-in sink");
                return (false, false);
            }

            if (!last)
            {
                _diagnostics.Add(at, "'drop' is the built-in sink and cannot be a source");
            }

            return (false, true);
        }

        if (!_nodes.TryGetValue(element.Name, out var node))
        {
            _diagnostics.Add(at, $"no port or stage named '{element.Name}'");
            return (false, false);
        }

        node.IsUsed = true;
        node.HasInput |= !first;
        var source = !last;
        if (element.Gate is { } gate)
        {
            if (node.Kind == NodeKind.Port && gate != DefaultGate)
            {
                _diagnostics.Add(at, $"port '{node.Name}' has no gate '{gate}' (a port's only output is 'out', its RX)");
                source = false;
            }
            else if (node.Gates is { } gates && !gates.Contains(gate))
            {
                _diagnostics.Add(at, $"stage '{node.Name}' has no gate '{gate}' (gates: {string.Join(", ", gates)})");
                source = false;
            }
            else if (last)
            {
                _diagnostics.Add(at, $"gate '{node.Name}.{gate}' leads nowhere: nothing follows it in the pipe");
            }
        }
        else if (source && node.Gates is { } gates && !gates.Contains(DefaultGate))
        {
            // Gates named by the stage's options (a switch's ports) include no 'out': the pipe must name one.
            _diagnostics.Add(at, $"stage '{node.Name}' has no gate '{DefaultGate}': name one of its gates ({string.Join(", ", gates)}), as '{node.Name}.{gates[0]}'");
            source = false;
        }

        return (source, true);
    }

    private void Connect(YamlScalarNode line, Element from, Element to)
    {
        var gate = from.Gate ?? DefaultGate;
        var where = _diagnostics.At(line, from.Index);
        if (_connected.TryGetValue((from.Name, gate), out var first))
        {
            _diagnostics.Add(where, $"gate '{from.Name}.{gate}' is already connected at {first}");
            return;
        }

        _connected.Add((from.Name, gate), where);
        var toKind = to.Name == Drop ? NodeKind.Drop : _nodes[to.Name].Kind;
        _edges.Add(new EdgeDefinition(from.Name, _nodes[from.Name].Kind, gate, to.Name, toKind, where));
    }

    private static int Skip(string text, int index)
    {
        while (index < text.Length && char.IsWhiteSpace(text[index]))
        {
            index++;
        }

        return index;
    }
}
