namespace Netmap.Io.Ports;

/// <summary>
/// Told when a port raises its notification (netmap's wake-up of a <c>poll()</c> on the port's file descriptor):
/// new RX packets or new TX room may be in its rings. Subscribe with <see cref="PortHandle.AddNotifyListener"/>;
/// only ports with <see cref="PortHandle.CanNotify"/> ever call it. The subscription belongs to that handle:
/// closing it ends the listener's notifications, as closing a file descriptor ends its <c>poll()</c>.
/// </summary>
/// <remarks>
/// A notification says "look at the rings", nothing more: it carries no count, several changes may raise one
/// call each or be seen by the same look, and a listener subscribed after a change is not told about it (look
/// at the rings once after subscribing).
/// Thread: <see cref="OnPortNotify"/> runs on the notifying thread (the peer's TxSync or RxSync of a pipe, a NIC
/// backend's thread), with one of the port's rings busy, possibly on several threads at once. It must only set
/// a flag and post a message or signal an event: never sync a ring of the port, close its handle (the close waits
/// for this call to end), block, throw, or allocate.
/// </remarks>
public interface IPortNotifyListener
{
    /// <summary>The port's rings may have changed. Thread: the notifying thread (see the remarks).</summary>
    /// <param name="port">The port that notified.</param>
    void OnPortNotify(Port port);
}
