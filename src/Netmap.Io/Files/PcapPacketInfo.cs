namespace Netmap.Io.Files;

/// <summary>
/// What <see cref="PcapReader.TryReadPacket"/> reports about the packet it copied: <see cref="Length"/> bytes
/// captured (in the caller's buffer), the length on the wire, the time, and where its record starts.
/// </summary>
/// <param name="Length">Captured bytes, now at the start of the caller's buffer.</param>
/// <param name="OriginalLength">The packet's length on the wire (at least <see cref="Length"/> in a sane file).</param>
/// <param name="TimestampNs">Capture time in nanoseconds since the Unix epoch.</param>
/// <param name="Offset">Byte offset of the packet's record (pcap) or block (pcapng) in the file.</param>
public readonly record struct PcapPacketInfo(int Length, int OriginalLength, long TimestampNs, long Offset);
