namespace Netmap.Io.Files;

/// <summary>How fast a <c>pcap:</c> source publishes its packets.</summary>
public enum PcapPace
{
    /// <summary>As many packets as the RX ring has room for, at every sync.</summary>
    Fast,

    /// <summary>
    /// At the recorded rhythm: a packet is published once the time since the first packet was published
    /// reaches its distance from the first packet's timestamp, divided by <see cref="PcapOptions.Speed"/>.
    /// </summary>
    Recorded,
}
