using System.Runtime.InteropServices;

namespace Pipeline.Runtime;

/// <summary>Per-packet metadata that travels with a packet in a batch.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct PacketMeta
{
    /// <summary>Index of the port the packet came in on (in the pipeline's port list).</summary>
    public ushort InputPort;

    /// <summary>A 32-bit flow hash, 0 until a stage computes one.</summary>
    public uint FlowHash;

    /// <summary>A user annotation (Click's annotations): free for stages to use.</summary>
    public ulong Annotation;
}
