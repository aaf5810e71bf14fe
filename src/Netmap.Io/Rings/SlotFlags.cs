namespace Netmap.Io.Rings;

/// <summary>Slot flags with netmap's values (<c>NS_*</c> in <c>sys/net/netmap.h</c>).</summary>
[Flags]
public enum SlotFlags : ushort
{
    /// <summary>No flag.</summary>
    None = 0,
    /// <summary>The slot's buffer index changed: set by the user after a swap, by a port after a zero-copy move.</summary>
    BufChanged = 0x01,
    /// <summary>TX: ask for a completion notification for this slot.</summary>
    Report = 0x02,
    /// <summary>Forward released RX slots between the NIC and host rings.</summary>
    Forward = 0x04,
    /// <summary>VALE: do not learn the source MAC of this packet.</summary>
    NoLearn = 0x08,
    /// <summary>VALE TX: the payload is in user memory at the slot's pointer, not in its buffer.</summary>
    Indirect = 0x10,
    /// <summary>The packet continues in the next slot; set on every fragment but the last.</summary>
    MoreFrag = 0x20,
    /// <summary>Monitor ring slot whose packet came from the monitored port's TX side.</summary>
    TxMon = 0x40,
}
