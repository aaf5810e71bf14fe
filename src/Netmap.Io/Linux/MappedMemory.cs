using System.Runtime.InteropServices;
using Netmap.Io.Linux.Interop;

namespace Netmap.Io.Linux;

/// <summary>A shared mapping of a descriptor (a packet socket's rings), unmapped exactly once.</summary>
/// <remarks>SAFETY: <see cref="Pointer"/> is valid for <see cref="Length"/> bytes until this handle is released;
/// its owner releases it only after its last ring access (Dispose runs after the last sync).</remarks>
internal sealed unsafe class MappedMemory : SafeHandle
{
    private MappedMemory(void* pointer, nuint length)
        : base(IntPtr.Zero, ownsHandle: true)
    {
        SetHandle((IntPtr)pointer);
        Length = length;
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>The first byte of the mapping.</summary>
    public byte* Pointer => (byte*)handle;

    /// <summary>Bytes mapped.</summary>
    public nuint Length { get; }

    /// <summary>Maps <paramref name="length"/> bytes of <paramref name="fd"/> read-write and shared; returns null and leaves errno set on failure.</summary>
    public static MappedMemory? Map(int fd, nuint length)
    {
        var address = LibC.Mmap(null, length, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
        return address == (void*)-1 ? null : new MappedMemory(address, length);
    }

    protected override bool ReleaseHandle() => LibC.Munmap((void*)handle, Length) == 0;
}
