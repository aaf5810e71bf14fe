using Netmap.Io.Memory;
using Netmap.Io.Rings;

namespace Netmap.Io.Ports.Null;

/// <summary>
/// A null port (netmap's <c>netmap_null.c</c>, <c>NR_REG_NULL</c>): rings and buffers in an existing region,
/// and syncs that do nothing: TX never completes (after N - 1 slots the ring stays full), RX stays empty.
/// Each open is a fresh port named <c>null:NAME</c>; it is never shared.
/// </summary>
public sealed class NullPort : Port
{
    internal NullPort(NetmapDomain domain, string name, BufferArena arena, ushort memId, int txRings, int rxRings, uint txSlots, uint rxSlots)
        : base(domain, name, arena, memId)
    {
        CreateRings(txRings, rxRings, 0, 0, txSlots, rxSlots);
        try
        {
            foreach (var ring in TxRingArray)
            {
                AllocRingBuffers(ring);
            }

            foreach (var ring in RxRingArray)
            {
                AllocRingBuffers(ring);
            }
        }
        catch (NetmapException)
        {
            Destroy();
            throw;
        }
    }

    /// <summary>Does nothing: nothing is consumed.</summary>
    protected internal override void TxSync(Ring ring)
    {
    }

    /// <summary>Does nothing: nothing is produced.</summary>
    protected internal override void RxSync(Ring ring)
    {
    }
}
