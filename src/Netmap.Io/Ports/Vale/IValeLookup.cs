using Netmap.Io.Rings;

namespace Netmap.Io.Ports.Vale;

/// <summary>
/// A VALE switch's forwarding decision (netmap's <c>bdg_ops.lookup</c>, notes §7.5): called once per packet,
/// with the switch lock held, on the thread that runs the source port's TxSync. Replace the default learning
/// bridge with <see cref="ValeSwitch.Register(IValeLookup)"/>.
/// </summary>
public interface IValeLookup
{
    /// <summary>
    /// Returns the destination port index (0..253), <see cref="ValeSwitch.Broadcast"/> (254) or
    /// <see cref="ValeSwitch.Drop"/> (255). <paramref name="frame"/> is the packet's first fragment;
    /// <paramref name="flags"/> its slot flags (NS_NO_LEARN among them); <paramref name="ring"/> is the
    /// destination RX ring (the source ring index on entry; taken modulo the destination's RX ring count).
    /// </summary>
    /// <remarks>This project adds <paramref name="flags"/> to netmap's signature so a lookup can honour NS_NO_LEARN.</remarks>
    byte Lookup(ReadOnlySpan<byte> frame, SlotFlags flags, ref int ring, int sourcePort);
}
