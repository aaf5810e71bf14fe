namespace Netmap.Io.Rings;

/// <summary>
/// The offsets option of a registration (netmap's <c>NETMAP_REQ_OPT_OFFSETS</c>): every slot of the
/// bound rings carries an offset; RX packets start at buffer + offset; TX transmits from buffer + offset.
/// </summary>
public sealed record OffsetOptions
{
    /// <summary>Largest offset a port will honour; larger ones are cropped to it. At most the buffer size.</summary>
    public ulong MaxOffset { get; init; }

    /// <summary>Offset written into every slot at bind time (when this binding is the ring's only user).</summary>
    public ulong InitialOffset { get; init; }

    /// <summary>Low bits of the slot's offset field that hold the offset; 0 or 64 mean all of them.</summary>
    public uint Bits { get; init; }

    /// <summary>
    /// TX alignment (a power of two, 0 = none): a TX sync rejects a slot whose offset is not a multiple of it.
    /// </summary>
    public uint TxAlign { get; init; }

    /// <summary>Usable bytes guaranteed after the offset; 0 means the whole buffer.</summary>
    public ulong MinGap { get; init; }
}
