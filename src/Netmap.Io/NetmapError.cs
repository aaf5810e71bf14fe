namespace Netmap.Io;

/// <summary>netmap's errno-style error codes; values are Linux's errno numbers so they match netmap's tests.</summary>
public enum NetmapError
{
    /// <summary>No error.</summary>
    None = 0,
    /// <summary>Operation not permitted.</summary>
    EPERM = 1,
    /// <summary>No such entry (VALE list, bridge lookup).</summary>
    ENOENT = 2,
    /// <summary>I/O error: a stopped ring, a monitor TX sync, a port that left netmap mode.</summary>
    EIO = 5,
    /// <summary>No such port, or the handle is not bound.</summary>
    ENXIO = 6,
    /// <summary>Out of memory: no free buffers, no free bridge or port slot.</summary>
    ENOMEM = 12,
    /// <summary>Permission denied (exclusive bridges).</summary>
    EACCES = 13,
    /// <summary>Bad address.</summary>
    EFAULT = 14,
    /// <summary>Resource busy: exclusive access, a conflicting binding.</summary>
    EBUSY = 16,
    /// <summary>Already exists.</summary>
    EEXIST = 17,
    /// <summary>Invalid argument.</summary>
    EINVAL = 22,
    /// <summary>No space left (a ring is full).</summary>
    ENOSPC = 28,
    /// <summary>Message too long.</summary>
    EMSGSIZE = 90,
    /// <summary>Operation not supported by this port.</summary>
    EOPNOTSUPP = 95,
}
