namespace Pipeline.Config;

/// <summary>
/// Checks the whole graph once every pipe is read: each stage has an input, each port is used, and no
/// stage-to-stage edges form a cycle. Unconnected output gates are allowed (their packets are dropped
/// as <c>unconnected</c> at run time).
/// </summary>
internal static class GraphValidator
{
    public static void Check(ConfigDiagnostics diagnostics, IReadOnlyList<DeclaredNode> declared, IReadOnlyList<EdgeDefinition> edges)
    {
        foreach (var node in declared)
        {
            if (node.Kind == NodeKind.Stage && !node.HasInput)
            {
                diagnostics.Add(node.Where, $"stage '{node.Name}' has no input: nothing connects to it");
            }
            else if (node.Kind == NodeKind.Port && !node.IsUsed)
            {
                diagnostics.Add(node.Where, $"port '{node.Name}' is not used by any pipe");
            }
        }

        // Edges in file order: the first one that closes a cycle is reported (at its pipe) and left out,
        // so a later edge is reported only if it closes a cycle of its own.
        var next = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var edge in edges)
        {
            if (edge.FromKind != NodeKind.Stage || edge.ToKind != NodeKind.Stage)
            {
                continue;
            }

            if (PathBetween(next, edge.To, edge.From) is { } path)
            {
                path.Add(edge.To);
                diagnostics.Add(edge.Where, $"pipes form a cycle: {string.Join(" -> ", path)}");
                continue;
            }

            if (!next.TryGetValue(edge.From, out var targets))
            {
                next[edge.From] = targets = [];
            }

            targets.Add(edge.To);
        }
    }

    // The shortest path [from, ..., to] along the edges, or null.
    private static List<string>? PathBetween(Dictionary<string, List<string>> next, string from, string to)
    {
        var previous = new Dictionary<string, string?>(StringComparer.Ordinal) { [from] = null };
        var queue = new Queue<string>();
        queue.Enqueue(from);
        while (queue.TryDequeue(out var node))
        {
            if (node == to)
            {
                var path = new List<string>();
                for (string? at = node; at is not null; at = previous[at])
                {
                    path.Add(at);
                }

                path.Reverse();
                return path;
            }

            foreach (var target in next.GetValueOrDefault(node) ?? [])
            {
                if (previous.TryAdd(target, node))
                {
                    queue.Enqueue(target);
                }
            }
        }

        return null;
    }
}
