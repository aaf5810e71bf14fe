namespace Pipeline.Runtime;

/// <summary>
/// Who is running right now on this thread (an actor calling a stage), so a batch can tell its owner from
/// a stale reference. Set by the runtime around stage code; null elsewhere.
/// </summary>
internal static class OwnershipScope
{
    [ThreadStatic]
    private static object? t_current;

    public static object? Current => t_current;

    public static object? Enter(object owner)
    {
        var previous = t_current;
        t_current = owner;
        return previous;
    }

    public static void Exit(object? previous) => t_current = previous;
}
