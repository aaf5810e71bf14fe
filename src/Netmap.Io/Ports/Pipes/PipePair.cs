using Netmap.Io.Memory;

namespace Netmap.Io.Ports.Pipes;

/// <summary>
/// Both ends of pipe N of a parent: created together by the first open of either end, kept while either
/// end is bound (unread packets stay in the rings and a reopened end resumes where it was), freed when
/// both are closed.
/// </summary>
/// <remarks>
/// Master TX ring k feeds slave RX ring k, and slave TX ring k feeds master RX ring k. Only TX rings get
/// buffers of their own; each RX ring starts as a copy of its peer's slots, as netmap copies the slot
/// array to the peer on first bind.
/// Ownership: one arena owner for both ends, since buffers cross between them (the VALE port's own owner when
/// the parent is a VALE port, since buffers cross to it too).
/// </remarks>
public sealed class PipePair
{
    internal PipePair(PipeParent parent, string id, int txRings, int rxRings, uint txSlots, uint rxSlots)
    {
        Parent = parent;
        Id = id;
        // Pipes of a VALE port swap buffers with it: one owner for all of them, as a zero-copy monitor shares its parent's.
        Owner = parent.Backing?.Owner ?? parent.Arena.RegisterOwner($"{parent.Name}{{{id}");
        // netmap_pipe.c: the master takes the request's counts, the slave the same counts swapped.
        Master = new PipePort(this, master: true, $"{parent.Name}{{{id}", txRings, rxRings, txSlots, rxSlots);
        Slave = new PipePort(this, master: false, $"{parent.Name}}}{id}", rxRings, txRings, rxSlots, txSlots);
        Link(Master, Slave);
        Link(Slave, Master);
        try
        {
            Master.AllocTxBuffers();
            Slave.AllocTxBuffers();
        }
        catch (NetmapException)
        {
            FreeAll();
            throw;
        }

        CopyToPeers(Master);
        CopyToPeers(Slave);
    }

    /// <summary>The parent port the pipe hangs off.</summary>
    public PipeParent Parent { get; }

    /// <summary>The pipe id (after the brace).</summary>
    public string Id { get; }

    /// <summary>The master end (<c>{</c>).</summary>
    public PipePort Master { get; }

    /// <summary>The slave end (<c>}</c>).</summary>
    public PipePort Slave { get; }

    /// <summary>The arena owner of every buffer in the pipe.</summary>
    public ArenaOwner Owner { get; }

    /// <summary>True once both ends were closed and the buffers freed.</summary>
    public bool IsDestroyed { get; private set; }

    internal void Destroy()
    {
        if (IsDestroyed)
        {
            return;
        }

        IsDestroyed = true;
        try
        {
            FreeAll(); // an ArenaException (a buffer the user put in two slots) is reported, after the teardown
        }
        finally
        {
            Master.Destroy();
            Slave.Destroy();
            Parent.Remove(this); // the name is free again: the next open makes a fresh pair
        }
    }

    private void FreeAll()
    {
        ArenaException? error = null;
        for (var k = 0; k < Master.TxRingArray.Length; k++)
        {
            Master.FreeDirection(Master.TxRingArray[k], Slave.RxRingArray[k], ref error);
        }

        for (var k = 0; k < Slave.TxRingArray.Length; k++)
        {
            Slave.FreeDirection(Slave.TxRingArray[k], Master.RxRingArray[k], ref error);
        }

        if (error is not null)
        {
            throw error;
        }
    }

    private static void Link(PipePort from, PipePort to)
    {
        for (var k = 0; k < from.TxRingArray.Length; k++)
        {
            // The syncs index both rings of a pair with the same unchecked index.
            if (from.TxRingArray[k].NumSlots != to.RxRingArray[k].NumSlots)
            {
                throw new InvalidOperationException($"pipe {from.Name}: TX ring {k} has {from.TxRingArray[k].NumSlots} slots, its peer {to.RxRingArray[k].NumSlots}");
            }

            from.TxRingArray[k].Peer = to.RxRingArray[k];
            to.RxRingArray[k].Peer = from.TxRingArray[k];
        }
    }

    private static void CopyToPeers(PipePort end)
    {
        foreach (var tx in end.TxRingArray)
        {
            tx.Slots.CopyTo(tx.Peer!.Slots);
        }
    }
}
