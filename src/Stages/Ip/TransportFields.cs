namespace Stages.Ip;

// Protocol numbers and the port offsets that TCP, UDP and SCTP share (the ports are the first 4 bytes of each),
// in one place (PacketDotNet's *Fields).
internal static class TransportFields
{
    /// <summary>TCP's protocol number.</summary>
    public const byte ProtocolTcp = 6;

    /// <summary>UDP's protocol number.</summary>
    public const byte ProtocolUdp = 17;

    /// <summary>SCTP's protocol number.</summary>
    public const byte ProtocolSctp = 132;

    /// <summary>Source port, from the start of the transport header.</summary>
    public const int SourcePortOffset = 0;

    /// <summary>Destination port.</summary>
    public const int DestinationPortOffset = 2;

    /// <summary>Bytes holding both ports.</summary>
    public const int PortsLength = 4;
}
