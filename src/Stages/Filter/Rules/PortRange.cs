namespace Stages.Filter.Rules;

// An inclusive port range; a single port is Low == High. The default for a rule without that term is 0-65535.
internal readonly record struct PortRange(ushort Low, ushort High)
{
    public static readonly PortRange All = new(ushort.MinValue, ushort.MaxValue);

    // One unsigned compare: below Low wraps around to a large number.
    public bool Contains(ushort port) => (uint)(port - Low) <= (uint)(High - Low);
}
