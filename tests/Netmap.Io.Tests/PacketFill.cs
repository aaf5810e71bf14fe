using Netmap.Io.Rings;

namespace Netmap.Io.Tests;

/// <summary>Small helpers to write and read test packets through rings.</summary>
internal static class PacketFill
{
    /// <summary>A packet of <paramref name="length"/> bytes: byte i = (seed + i) mod 251.</summary>
    public static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)((seed + i) % 251);
        }

        return bytes;
    }

    /// <summary>Writes one single-slot packet at Head and advances Head and Cur.</summary>
    public static void Send(Ring ring, ReadOnlySpan<byte> packet)
    {
        Assert.True(ring.Space > 0, "no room in the TX ring");
        var index = ring.Head;
        var view = ring.Packet(index);
        packet.CopyTo(view.Buffer[view.Offset..]);
        ring[index].Len = (ushort)packet.Length;
        ring[index].Flags = SlotFlags.None;
        ring.Head = ring.Cur = ring.Next(index);
    }

    /// <summary>Reads the packet at Head (all its fragments), advances Head and Cur past it.</summary>
    public static byte[] Receive(Ring ring)
    {
        Assert.False(ring.IsEmpty, "no packet in the RX ring");
        var buffer = new byte[64 * 1024];
        var len = ring.CopyPacket(ring.Head, buffer, out var next, out _);
        Assert.True(len >= 0, "incomplete packet at the RX head");
        ring.Head = ring.Cur = next;
        return buffer[..len];
    }
}
