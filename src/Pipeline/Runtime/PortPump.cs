using Netmap.Io;
using Netmap.Io.Rings;
using Pipeline.Stages;

namespace Pipeline.Runtime;

/// <summary>
/// The ring work of one port, shared by its two drivers (<see cref="PortActor"/>, or a
/// <see cref="PortSyncThread"/> for <c>thread: dedicated</c>): as a source it drains the RX rings into
/// batches, swapping a fresh buffer into every slot it takes (no copy), and sends them down its pipe while
/// the pipe has credit: without credit it stops reading and the packets wait in the RX ring (or, with
/// <c>overflow: drop</c>, are released and counted). As a sink it places each batch's buffers into TX slots
/// (the slots' old buffers go back to the arena) and syncs; a full TX ring holds the batch, and its credit,
/// until the port makes room.
/// </summary>
/// <remarks>
/// Ownership: a buffer taken from an RX slot moves from the port's arena owner to the batch pool's; a buffer
/// placed in a TX slot moves back. Thread: one driver at a time, the only code that touches the port's rings
/// and the node's TX queue and credits.
/// </remarks>
internal sealed partial class PortPump
{
    private readonly PortNode _node;
    private readonly uint[] _fresh;
    private readonly uint[] _old;
    private PacketBatch? _building;

    public PortPump(PortNode node)
    {
        _node = node;
        _fresh = new uint[node.Pool.Capacity];
        _old = new uint[node.Pool.Capacity];
    }

    /// <summary>True when the port feeds a pipe (or the drop sink): its RX is read.</summary>
    public bool IsSource => _node.Outputs.Length > 0 && (_node.Outputs[0].IsPipe || _node.Outputs[0].ToDrop);

    /// <summary>True while the source side should keep looking at its RX rings.</summary>
    public bool WantsRx => IsSource && _node.Reading && !_node.Finished;

    /// <summary>
    /// The port itself failed (<paramref name="error"/>): counts the fault, and the first time records it, frees the
    /// batch being filled, and counts what the port never took as fault drops; the port will never send again.
    /// Returns true the first time (the caller reports it then). Its actor and its dedicated thread share this.
    /// </summary>
    public bool Fail(Exception error)
    {
        _node.Counters.AddFault();
        if (!_node.TrySetFault(error))
        {
            return false;
        }

        Abandon();
        TakeBackUntaken();
        _node.Finished = true; // it will never send again: the pipeline's input may end without it
        return true;
    }

    /// <summary>
    /// After the port failed: the packets the pump placed in its TX rings that the port never took (its cursor
    /// stopped before them) were counted as sent; they are counted as fault drops instead. Their buffers are the
    /// port's and go with it.
    /// </summary>
    private void TakeBackUntaken()
    {
        long packets = 0;
        long bytes = 0;
        try
        {
            foreach (var ring in _node.Handle.TxRings)
            {
                for (var k = ring.PortCursor; k != ring.Head; k = ring.Next(k))
                {
                    ref readonly var slot = ref ring[k];
                    bytes += slot.Len;
                    if ((slot.Flags & SlotFlags.MoreFrag) == 0)
                    {
                        packets++;
                    }
                }
            }
        }
        catch (NetmapException)
        {
            return; // the handle closed under us: nothing can be said about its rings
        }

        _node.Counters.AddOut(-packets, -bytes);
        _node.Counters.AddDrops(DropReason.Fault, packets);
    }

    /// <summary>
    /// Frees the batches still queued for TX, counted as <paramref name="reason"/> drops. What was already
    /// placed in the ring stays there and counts as sent.
    /// </summary>
    public void DropQueued(DropReason reason)
    {
        while (_node.TxQueue.TryDequeue(out var batch))
        {
            var edge = batch.Edge;
            var placed = _node.TxPosition;
            _node.TxPosition = 0;
            var (sent, sentBytes) = BatchStats.Measure(batch.Slots[..placed]);
            _node.Counters.AddOut(sent, sentBytes);
            var (packets, _) = BatchStats.Measure(batch.Slots[placed..]);
            _node.Counters.AddDrops(reason, packets);
            _node.Pool.Arena.FreeSlots(batch.Slots[placed..], _node.Pool.Owner);
            batch.SetCount(0);
            _node.Pool.Return(batch);
            _node.ReturnCredit(edge, _node.Self);
        }
    }

    private static SlotFlags KeepFlags(SlotFlags flags) => flags & ~SlotFlags.BufChanged;
}
