using Netmap.Io.Ports;

namespace Netmap.Io.Tests.Ports.Vale;

/// <summary>Frames and MACs the VALE tests send, and a drain of what a port received.</summary>
internal static class ValeFrames
{
    public static readonly byte[] BroadcastMac = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

    /// <summary>A locally administered unicast MAC, 02:00:00:00:HI:LO of <paramref name="n"/>.</summary>
    public static byte[] Mac(int n) => [0x02, 0, 0, 0, (byte)(n >> 8), (byte)n];

    /// <summary>A frame of <paramref name="length"/> bytes: the MACs, then <see cref="PacketFill.Pattern"/> of <paramref name="seed"/>.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> dmac, ReadOnlySpan<byte> smac, int length, int seed)
    {
        var frame = PacketFill.Pattern(length, seed);
        dmac.CopyTo(frame);
        smac.CopyTo(frame.AsSpan(6));
        return frame;
    }

    /// <summary>Every frame waiting in <paramref name="h"/>'s RX ring, released after.</summary>
    public static List<byte[]> Drain(PortHandle h)
    {
        h.RxSync();
        var list = new List<byte[]>();
        while (!h.RxRing.IsEmpty)
        {
            list.Add(PacketFill.Receive(h.RxRing));
        }

        h.RxSync();
        return list;
    }
}
