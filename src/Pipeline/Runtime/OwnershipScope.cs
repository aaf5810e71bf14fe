namespace Pipeline.Runtime;

/// <summary>
/// Who is running right now on this thread (an actor calling a stage), so a batch can tell its owner from
/// a stale reference. Set by the runtime around stage code; null elsewhere.
/// </summary>
internal static class OwnershipScope
{
    [ThreadStatic]
    private static object? t_current;

    [ThreadStatic]
    private static string? t_name;

    public static object? Current => t_current;

    public static string CurrentName => t_name ?? "?";

    public static (object? Owner, string? Name) Enter(object owner, string name)
    {
        var previous = (t_current, t_name);
        t_current = owner;
        t_name = name;
        return previous;
    }

    public static void Exit((object? Owner, string? Name) previous) => (t_current, t_name) = previous;
}
