using System.IO.MemoryMappedFiles;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Netmap.Io.Memory;

/// <summary>
/// One memory region of fixed-size packet buffers (netmap's <c>netmap_mem_d</c>): a native, 64-byte
/// aligned block of <see cref="BufferCount"/> buffers at a padded <see cref="Stride"/>, named by index.
/// Indices 0 and 1 are reserved and never handed out, as in netmap.
/// </summary>
/// <remarks>
/// Ownership: a buffer index is on the free list or held by exactly one owner (a ring slot, an extra-buffer
/// list, a batch). <see cref="Alloc(ArenaOwner)"/> hands one out, <see cref="Free"/> takes it back. In checked
/// mode every buffer records its <see cref="ArenaOwner"/>, so a double free, a free by a non-owner and a
/// leak (<see cref="AssertNoLeaks"/>) are reported instead of corrupting the free list.
/// Thread: allocation and free are safe from any thread (one short lock per call; use the batch calls on
/// hot paths). Buffer contents are not synchronised: whoever owns a buffer may touch it.
/// </remarks>
public sealed unsafe class BufferArena : IDisposable
{
    /// <summary>The first index that names a packet buffer.</summary>
    public const int FirstValidIndex = 2;

    private const ushort Reserved = ushort.MaxValue;

    private readonly byte* _base;
    private readonly long _bytes;
    private readonly uint[] _freeList;
    private int _freeCount;
    private readonly Lock _lock = new();
    private readonly ushort[]? _owners;
    private readonly List<string> _ownerNames = ["free"];
    private readonly MemoryMappedFile? _mappedFile;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly string? _sharedPath;
    private readonly bool _deleteShared;
    private bool _disposed;

    /// <summary>Creates the region and puts every buffer but 0 and 1 on the free list.</summary>
    public BufferArena(ArenaOptions? options = null)
    {
        options ??= new ArenaOptions();
        Validate(options);
        BufferSize = options.BufferSize;
        BufferCount = options.BufferCount;
        Stride = options.EffectiveStride;
        Checked = options.Checked;
        _bytes = (long)Stride * BufferCount;

        if (options.SharedMemoryPath is { } path)
        {
            // SAFETY: the view stays mapped until Dispose; mmap returns page-aligned memory (>= 64 B).
            _mappedFile = MemoryMappedFile.CreateFromFile(path, FileMode.Create, mapName: null, _bytes, MemoryMappedFileAccess.ReadWrite);
            _view = _mappedFile.CreateViewAccessor(0, _bytes, MemoryMappedFileAccess.ReadWrite);
            byte* p = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            _base = p + _view.PointerOffset;
            _sharedPath = path;
            _deleteShared = options.DeleteSharedMemoryOnDispose;
        }
        else
        {
            // More than the machine has would be granted by an overcommitting kernel and then fail (or draw the OOM
            // killer) while it is cleared: refused first, as an allocation that fails outright is.
            var physical = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
            if (physical > 0 && _bytes > physical)
            {
                ThrowHelper.Netmap(NetmapError.ENOMEM, "arena", $"cannot allocate {_bytes} bytes ({BufferCount} buffers at a {Stride}-byte stride): the machine has {physical} bytes of memory");
            }

            try
            {
                // SAFETY: freed in Dispose; 64-byte alignment keeps every buffer start on a cache line.
                _base = (byte*)NativeMemory.AlignedAlloc((nuint)_bytes, 64);
            }
            catch (OutOfMemoryException)
            {
                ThrowHelper.Netmap(NetmapError.ENOMEM, "arena", $"cannot allocate {_bytes} bytes ({BufferCount} buffers at a {Stride}-byte stride)");
            }

            NativeMemory.Clear(_base, (nuint)_bytes);
        }

        _freeList = new uint[BufferCount];
        // Lowest indices on top of the stack, so a fresh arena hands out 2, 3, 4, ...
        for (var i = BufferCount - 1; i >= FirstValidIndex; i--)
        {
            _freeList[_freeCount++] = (uint)i;
        }

        if (Checked)
        {
            _owners = new ushort[BufferCount];
            _owners[0] = Reserved;
            _owners[1] = Reserved;
        }
    }

    /// <summary>Usable bytes per buffer.</summary>
    public int BufferSize { get; }

    /// <summary>Buffers in the region, the two reserved ones included.</summary>
    public int BufferCount { get; }

    /// <summary>Distance in bytes between consecutive buffers.</summary>
    public int Stride { get; }

    /// <summary>True when ownership is tracked per buffer.</summary>
    public bool Checked { get; }

    /// <summary>Bytes of native memory the region occupies.</summary>
    public long NativeBytes => _bytes;

    /// <summary>The shared-memory file behind the region, or null for private memory.</summary>
    public string? SharedMemoryPath => _sharedPath;

    /// <summary>Buffers on the free list now.</summary>
    public int FreeCount
    {
        get
        {
            lock (_lock)
            {
                return _freeCount;
            }
        }
    }

    /// <summary>Buffers handed out and not yet returned.</summary>
    public int InUse => BufferCount - FirstValidIndex - FreeCount;

    /// <summary>True for an index that names a packet buffer of this arena.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsValidIndex(uint index) => index - FirstValidIndex < (uint)(BufferCount - FirstValidIndex);

    /// <summary>The <see cref="BufferSize"/> bytes of buffer <paramref name="index"/> (0 and 1 included: they exist but are never handed out).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> GetBuffer(uint index)
    {
        if (index >= (uint)BufferCount)
        {
            ThrowInvalidIndex(index);
        }

        // SAFETY: index < BufferCount, so [base + index*stride, + BufferSize) is inside the region; BufferSize is
        // positive (validated), so CreateSpan's missing length check is not needed (one compare less per packet).
        return MemoryMarshal.CreateSpan(ref *(_base + ((nint)index * Stride)), BufferSize);
    }

    /// <summary>
    /// A hint: starts loading the cache line at byte <paramref name="offset"/> of buffer <paramref name="index"/> into
    /// this core's caches, so a loop that will read packets a little later does not wait for each one in turn (a
    /// buffer another core wrote is a cache miss per packet otherwise). Does nothing for an index outside the arena
    /// or where the CPU has no prefetch instruction the runtime exposes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch(uint index, int offset)
    {
        if (System.Runtime.Intrinsics.X86.Sse.IsSupported && index < (uint)BufferCount && (uint)offset < (uint)BufferSize)
        {
            // SAFETY: inside the region (checked above); a prefetch never faults or changes memory anyway.
            System.Runtime.Intrinsics.X86.Sse.Prefetch0(_base + ((nint)index * Stride) + offset);
        }
    }

    /// <summary>Address of buffer 0: the start of the region.</summary>
    internal byte* BasePointer => _base;

    /// <summary>Address of buffer <paramref name="index"/>; the caller checks the index.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal byte* GetPointerUnchecked(uint index) => _base + ((nint)index * Stride);

    /// <summary>Registers a named holder of buffers for the checked mode's reports.</summary>
    public ArenaOwner RegisterOwner(string name)
    {
        lock (_lock)
        {
            if (_ownerNames.Count >= Reserved)
            {
                // Ids are only diagnostic: past 65534 owners, share the last one.
                return new ArenaOwner((ushort)(Reserved - 1));
            }

            _ownerNames.Add(name);
            return new ArenaOwner((ushort)(_ownerNames.Count - 1));
        }
    }

    /// <summary>The name an owner was registered with.</summary>
    public string OwnerName(ArenaOwner owner)
    {
        lock (_lock)
        {
            return owner.Id < _ownerNames.Count ? _ownerNames[owner.Id] : $"owner#{owner.Id}";
        }
    }

    /// <summary>Takes one buffer off the free list; false when none is left.</summary>
    public bool TryAlloc(ArenaOwner owner, out uint index)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            if (_freeCount == 0)
            {
                index = 0;
                return false;
            }

            index = _freeList[--_freeCount];
            if (_owners is not null)
            {
                _owners[index] = owner.Id;
            }

            return true;
        }
    }

    /// <summary>Takes one buffer off the free list; <see cref="NetmapError.ENOMEM"/> when none is left.</summary>
    public uint Alloc(ArenaOwner owner)
    {
        if (!TryAlloc(owner, out var index))
        {
            ThrowHelper.Netmap(NetmapError.ENOMEM, "arena", $"no free buffers (all {BufferCount - FirstValidIndex} in use)");
        }

        return index;
    }

    /// <summary>Fills <paramref name="destination"/> with up to its length of buffers; returns how many it got.</summary>
    public int AllocBatch(ArenaOwner owner, Span<uint> destination)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            var n = Math.Min(destination.Length, _freeCount);
            for (var i = 0; i < n; i++)
            {
                var index = _freeList[--_freeCount];
                destination[i] = index;
                if (_owners is not null)
                {
                    _owners[index] = owner.Id;
                }
            }

            return n;
        }
    }

    /// <summary>Returns one buffer to the free list. After this call the buffer is no longer the caller's.</summary>
    public void Free(uint index, ArenaOwner owner)
    {
        lock (_lock)
        {
            FreeLocked(index, owner);
        }
    }

    /// <summary>Returns buffers to the free list. After this call they are no longer the caller's.</summary>
    public void FreeBatch(ReadOnlySpan<uint> indices, ArenaOwner owner)
    {
        lock (_lock)
        {
            foreach (var index in indices)
            {
                FreeLocked(index, owner);
            }
        }
    }

    /// <summary>Returns the buffers of <paramref name="slots"/> (their <c>BufIdx</c>) under one lock.</summary>
    public void FreeSlots(ReadOnlySpan<Rings.Slot> slots, ArenaOwner owner)
    {
        lock (_lock)
        {
            foreach (ref readonly var slot in slots)
            {
                FreeLocked(slot.BufIdx, owner);
            }
        }
    }

    /// <summary>Moves a buffer from one owner to another (checked mode records it; otherwise free).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Transfer(uint index, ArenaOwner from, ArenaOwner to)
    {
        // Inlined, an unchecked arena costs a pump one test per packet, not a call.
        if (_owners is { } owners)
        {
            TransferChecked(owners, index, from, to);
        }
    }

    private void TransferChecked(ushort[] owners, uint index, ArenaOwner from, ArenaOwner to)
    {
        lock (_lock)
        {
            CheckOwned(index, from, "transfer");
            owners[index] = to.Id;
        }
    }

    /// <summary>The owner of a buffer in checked mode (<see cref="ArenaOwner.None"/> when free or unchecked).</summary>
    public ArenaOwner OwnerOf(uint index)
    {
        if (_owners is null || index >= (uint)BufferCount)
        {
            return ArenaOwner.None;
        }

        lock (_lock)
        {
            var id = _owners[index];
            return id == Reserved ? ArenaOwner.None : new ArenaOwner(id);
        }
    }

    /// <summary>
    /// Allocates up to <paramref name="count"/> extra buffers (netmap's <c>nr_extra_bufs</c>) as a list
    /// threaded through the buffers: the first 4 bytes (native-endian) of each hold the next index, the
    /// last holds 0. Built LIFO, as netmap does. Returns the head (0 when none was granted).
    /// </summary>
    public uint AllocExtraList(ArenaOwner owner, int count, out int granted)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        uint head = 0;
        granted = 0;
        for (var i = 0; i < count; i++)
        {
            if (!TryAlloc(owner, out var index))
            {
                break;
            }

            Unsafe.WriteUnaligned(GetPointerUnchecked(index), head);
            head = index;
            granted++;
        }

        return head;
    }

    /// <summary>
    /// Frees an extra-buffer list from its head, as netmap does on close: it stops at an index outside the
    /// arena, or at a buffer that is already free (checked mode). Returns how many buffers it freed.
    /// </summary>
    public int FreeExtraList(uint head, ArenaOwner owner)
    {
        var freed = 0;
        lock (_lock)
        {
            while (IsValidIndex(head))
            {
                if (_owners is not null && _owners[head] == 0)
                {
                    break; // a loop or a double free: netmap stops here too
                }

                var next = Unsafe.ReadUnaligned<uint>(GetPointerUnchecked(head));
                FreeLocked(head, owner);
                freed++;
                head = next;
                if (freed > BufferCount)
                {
                    break; // a cycle in unchecked mode
                }
            }
        }

        return freed;
    }

    /// <summary>Who holds which buffers now.</summary>
    public ArenaAudit Audit()
    {
        lock (_lock)
        {
            var holders = new List<KeyValuePair<string, int>>();
            var sample = new List<uint>();
            if (_owners is null)
            {
                var inUse = BufferCount - FirstValidIndex - _freeCount;
                if (inUse > 0)
                {
                    holders.Add(new("unknown (arena not checked)", inUse));
                }
            }
            else
            {
                var counts = new int[_ownerNames.Count];
                for (var i = FirstValidIndex; i < BufferCount; i++)
                {
                    var id = _owners[i];
                    if (id != 0)
                    {
                        counts[Math.Min(id, counts.Length - 1)]++;
                        if (sample.Count < 16)
                        {
                            sample.Add((uint)i);
                        }
                    }
                }

                for (var id = 1; id < counts.Length; id++)
                {
                    if (counts[id] > 0)
                    {
                        holders.Add(new(_ownerNames[id], counts[id]));
                    }
                }
            }

            return new ArenaAudit(BufferCount, _freeCount, holders, sample, _bytes);
        }
    }

    /// <summary>Throws <see cref="ArenaException"/> (<see cref="ArenaViolation.Leak"/>) unless every buffer is free.</summary>
    public void AssertNoLeaks()
    {
        var audit = Audit();
        if (audit.InUse != 0)
        {
            throw new ArenaException(ArenaViolation.Leak, audit.ToString());
        }
    }

    /// <summary>Unmaps the region. Buffers still out are not checked here: call <see cref="AssertNoLeaks"/> first.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _mappedFile!.Dispose();
            if (_deleteShared && _sharedPath is not null)
            {
                File.Delete(_sharedPath);
            }
        }
        else
        {
            NativeMemory.AlignedFree(_base);
        }
    }

    private void FreeLocked(uint index, ArenaOwner owner)
    {
        ThrowIfDisposed();
        if (_owners is not null)
        {
            CheckOwned(index, owner, "free");
            _owners[index] = 0;
        }
        else if (!IsValidIndex(index))
        {
            ThrowInvalidIndex(index);
        }

        if (_freeCount == _freeList.Length)
        {
            // Only reachable after a double free in unchecked mode.
            throw new ArenaException(ArenaViolation.DoubleFree, $"free list overflow at buffer {index}: a buffer was freed twice");
        }

        _freeList[_freeCount++] = index;
    }

    private void CheckOwned(uint index, ArenaOwner owner, string what)
    {
        if (!IsValidIndex(index))
        {
            ThrowInvalidIndex(index);
        }

        var holder = _owners![index];
        if (holder == 0)
        {
            throw new ArenaException(ArenaViolation.DoubleFree, $"{what} of buffer {index} by '{NameOf(owner.Id)}': the buffer is already free (double free)");
        }

        if (holder != owner.Id)
        {
            throw new ArenaException(ArenaViolation.NotOwner, $"{what} of buffer {index} by '{NameOf(owner.Id)}': it is held by '{NameOf(holder)}'");
        }
    }

    private string NameOf(ushort id) => id < _ownerNames.Count ? _ownerNames[id] : $"owner#{id}";

    private void ThrowIfDisposed()
    {
        if (_disposed)
        {
            throw new ArenaException(ArenaViolation.Disposed, "the arena is disposed");
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowInvalidIndex(uint index) =>
        throw new ArenaException(ArenaViolation.InvalidIndex, $"buffer index {index} is outside [{FirstValidIndex}, {BufferCount})");

    private static void Validate(ArenaOptions o)
    {
        if (o.BufferSize < 64 || o.BufferSize > ArenaOptions.MaxBufferSize)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, "arena", $"buffer size {o.BufferSize} is outside [64, {ArenaOptions.MaxBufferSize}]");
        }

        if (o.BufferCount < FirstValidIndex + 1 || o.BufferCount > 1 << 24)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, "arena", $"buffer count {o.BufferCount} is outside [3, {1 << 24}]");
        }

        var stride = o.EffectiveStride;
        if (stride < o.BufferSize || stride % 64 != 0)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, "arena", $"stride {stride} must be a multiple of 64 and at least the buffer size {o.BufferSize}");
        }
    }
}
