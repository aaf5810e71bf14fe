using Netmap.Io.Files;
using Netmap.Io.Memory;
using Netmap.Io.Ports;
using Netmap.Io.Ports.Null;
using Netmap.Io.Ports.Monitors;
using Netmap.Io.Ports.Nic;
using Netmap.Io.Ports.Pipes;
using Netmap.Io.Ports.Vale;
using Netmap.Io.Rings;

namespace Netmap.Io;

/// <summary>
/// One netmap instance (what the kernel module is to netmap): the memory regions, the ports, and the
/// registration logic that opens a port by name with netmap's modes, exclusive access and offsets.
/// Tests create their own; nothing here is static.
/// </summary>
/// <example>
/// <code>
/// using var nm = new NetmapDomain();
/// using var tx = nm.Open("netmap:pipe{1");
/// using var rx = nm.Open("netmap:pipe}1");
/// tx.Inject(frame); tx.TxSync(); rx.RxSync();   // rx.RxRing now holds the frame, same buffer
/// </code>
/// </example>
public sealed class NetmapDomain : IDisposable
{
    /// <summary>The id of the region every port uses unless told otherwise.</summary>
    public const ushort DefaultMemId = 1;

    private static readonly RegisterOptions NoOptions = new();

    private readonly Lock _lock = new();
    private readonly Dictionary<ushort, BufferArena> _regions = [];
    private readonly Dictionary<ushort, int> _privateRegionRefs = []; // VALE ports' regions: the port, its /z monitors
    private readonly Dictionary<string, PipeParent> _pipeParents = new(StringComparer.Ordinal);
    private readonly List<PortHandle> _handles = [];
    private readonly Dictionary<string, PcapSinkPort> _pcapSinks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<PcapSourcePort>> _pcapSources = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NicPort> _nicPorts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SoftNic> _softInterfaces = new(StringComparer.Ordinal);
    private ValeRegistry? _vale;
    private int _nullPorts;
    private int _filePorts;
    private int _monitorPorts;
    private bool _disposed;

    /// <summary>Creates the domain and its default region (id 1) from <paramref name="defaultRegion"/>.</summary>
    public NetmapDomain(ArenaOptions? defaultRegion = null)
    {
        _regions.Add(DefaultMemId, new BufferArena(defaultRegion));
    }

    /// <summary>The default region (id 1).</summary>
    public BufferArena DefaultArena => _regions[DefaultMemId];

    /// <summary>Handles open now.</summary>
    public int OpenHandles
    {
        get
        {
            lock (_lock)
            {
                return _handles.Count;
            }
        }
    }

    /// <summary>Adds a memory region and returns its id.</summary>
    public ushort CreateRegion(ArenaOptions options)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            var id = (ushort)(_regions.Count + 1);
            while (_regions.ContainsKey(id))
            {
                id++;
            }

            _regions.Add(id, new BufferArena(options));
            return id;
        }
    }

    /// <summary>The region with id <paramref name="memId"/>; EINVAL when there is none.</summary>
    public BufferArena GetRegion(ushort memId)
    {
        lock (_lock)
        {
            return _regions.TryGetValue(memId, out var arena)
                ? arena
                : ThrowHelper.Netmap<BufferArena>(NetmapError.EINVAL, $"@{memId}", "no such memory region");
        }
    }

    /// <summary>
    /// Opens a port by name (netmap-notes §10), e.g. <c>netmap:pipe{1</c>, <c>netmap:pipe}1/x</c>, <c>null</c>,
    /// <c>pcap:in.pcap</c>, <c>pcap-out:out/x.pcap</c> (paths relative to the current directory).
    /// Errors are <see cref="NetmapException"/>s with netmap's codes: a bad name or mode EINVAL, a ring in
    /// exclusive use EBUSY, an unknown port ENXIO, an option the port cannot honour EOPNOTSUPP, a missing
    /// file ENOENT.
    /// </summary>
    public PortHandle Open(string spec, RegisterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var parsed = PortSpecParser.Parse(spec, options?.EnableOffsetOption ?? false);
        return Open(parsed, options);
    }

    /// <summary>Opens a port from a parsed spec.</summary>
    public PortHandle Open(PortSpec spec, RegisterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        lock (_lock)
        {
            ThrowIfDisposed();
            var request = Request.From(spec, options ?? NoOptions);
            if (spec.Options.Share is { } share)
            {
                request = request with { MemId = SharedMemId(spec, share, request.MemId) };
            }

            var port = FindOrCreatePort(spec, request, out var created);
            try
            {
                if ((request.SoftwareTxChecksums || request.VerifyRxChecksums) && port is not NicPort)
                {
                    ThrowHelper.Netmap(NetmapError.EOPNOTSUPP, spec.Spec, "only NIC ports compute or check checksums in software (@csum)");
                }

                var handle = Bind(port, spec.Spec, request);
                (port as NicPort)?.EnableChecksums(request.SoftwareTxChecksums, request.VerifyRxChecksums);
                _handles.Add(handle);
                return handle;
            }
            catch (NetmapException) when (created && port.Bindings == 0)
            {
                port.OnUnbind(null!, last: true);
                throw;
            }
        }
    }

    /// <summary>
    /// VALE_NEWIF (<c>vale-ctl -n NAME</c>, notes §7.2): creates a persistent VALE port attached to no switch,
    /// openable as <c>netmap:NAME</c>. Ring and slot counts of 0 take the defaults (1 ring, 1024 slots);
    /// <paramref name="memId"/> 0 gives it a private region. A name starting with <c>vale</c> or of 16
    /// characters or more → EINVAL; an existing one → EEXIST.
    /// </summary>
    public ValePort CreatePersistentPort(string name, ushort memId = 0, int txRings = 0, int rxRings = 0, int txSlots = 0, int rxSlots = 0)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_lock)
        {
            ThrowIfDisposed();
            return ValeSwitches.CreatePersistent(name, memId, txRings, rxRings, txSlots, rxSlots);
        }
    }

    /// <summary>
    /// VALE_ATTACH (<c>vale-ctl -a valeB:P</c>): attaches persistent port P to switch B, which then opens it
    /// as <c>valeB:P</c>. P not a persistent port → EINVAL; already attached to B → EBUSY. P attached to another
    /// switch A is wrapped onto B (netmap's bwrap): it becomes a link between A and B, so what B forwards to
    /// <c>valeB:P</c> enters A through P and what A forwards to P enters B; neither <c>valeA:P</c> nor
    /// <c>valeB:P</c> can be opened meanwhile (EBUSY), nor P wrapped again. P open by a handle → EBUSY.
    /// </summary>
    public void ValeAttach(string valeName)
    {
        ArgumentNullException.ThrowIfNull(valeName);
        lock (_lock)
        {
            ThrowIfDisposed();
            ValeSwitches.Attach(valeName);
        }
    }

    /// <summary>
    /// VALE_DETACH (<c>vale-ctl -d valeB:P</c>): detaches P from B, or unwraps it when B is the switch it was
    /// wrapped onto. No switch B → ENXIO; an ephemeral port → EBUSY; P not attached to B → EINVAL; B is P's
    /// first switch while P is also wrapped onto another → EBUSY.
    /// </summary>
    public void ValeDetach(string valeName)
    {
        ArgumentNullException.ThrowIfNull(valeName);
        lock (_lock)
        {
            ThrowIfDisposed();
            ValeSwitches.Detach(valeName);
        }
    }

    /// <summary>VALE_DELIF (<c>vale-ctl -r NAME</c>): no such persistent port → ENXIO; attached, open or with pipes open → EBUSY.</summary>
    public void DestroyPersistentPort(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_lock)
        {
            ThrowIfDisposed();
            ValeSwitches.DestroyPersistent(name);
        }
    }

    /// <summary>A snapshot of every VALE switch and its ports' counters.</summary>
    public IReadOnlyList<ValeSwitchInfo> ListVale()
    {
        lock (_lock)
        {
            var list = new List<ValeSwitchInfo>(ValeSwitches.Switches.Count);
            foreach (var sw in ValeSwitches.Switches)
            {
                list.Add(sw.Snapshot());
            }

            return list;
        }
    }

    /// <summary>The VALE switch named <paramref name="name"/> (e.g. <c>vale0</c>), or null while it has no port.</summary>
    public ValeSwitch? FindVale(string name)
    {
        lock (_lock)
        {
            return ValeSwitches.Find(name);
        }
    }

    /// <summary>
    /// Opens the device behind <c>netmap:IF</c> when IF is neither a soft interface nor a persistent VALE port:
    /// called with the interface name and what the creating open asks for, under the domain lock (it must not
    /// call back into the domain). It returns a backend the port then owns (disposed when the port is
    /// destroyed), null for "no such interface" (the open fails ENXIO), or throws a <see cref="NetmapException"/>
    /// (a missing capability, say), which the open passes on. Null by default: only soft interfaces exist.
    /// </summary>
    /// <remarks>Set by the Linux backends (AF_PACKET, TAP) or by a host that wants real interfaces.</remarks>
    public Func<string, NicOpenRequest, INicBackend?>? NicBackendFactory { get; set; }

    /// <summary>
    /// netmap's <c>no_timestamp</c> knob: when true, an RX sync stamps <see cref="Ring.Timestamp"/> only on rings
    /// whose <see cref="Ring.Flags"/> has <see cref="RingFlags.Timestamp"/> (netmap's <c>NR_TIMESTAMP</c>); when false,
    /// as by default in netmap, every RX sync stamps it. A stamp reads the clock (about 20 ns here, paid twice per
    /// batch by a loop that syncs to receive and again to release), so code that never reads it turns it off.
    /// <b>Default:</b> false.
    /// </summary>
    public bool NoTimestamp { get; set; }

    /// <summary>
    /// netmap's <c>dev.netmap.fwd</c> knob: when true, <see cref="SlotFlags.Forward"/> is honoured on every RX ring of a
    /// NIC port, as if each had <see cref="RingFlags.Forward"/> (netmap's <c>NR_FORWARD</c>). <b>Default:</b> false.
    /// </summary>
    public bool Forward { get; set; }

    /// <summary>
    /// Creates an in-process interface NAME that <c>netmap:NAME</c> (and <c>NAME^</c>, <c>NAME*</c>, <c>NAME-K</c>)
    /// opens as a <see cref="NicPort"/>; the returned <see cref="SoftNic"/> plays its wire and host stack. A name
    /// that is not <c>[A-Za-z0-9_.]+</c>, is 64 characters or more or starts with <c>vale</c>, queue counts
    /// outside [1, 256], a max frame outside [60, 65535] or a queue capacity below 2 → EINVAL; a name in use by
    /// a soft interface, an open NIC port or a persistent VALE port → EEXIST.
    /// </summary>
    public SoftNic CreateSoftInterface(string name, int txQueues = 1, int rxQueues = 1, int maxFrameSize = SoftNic.DefaultMaxFrameSize,
        bool hostRings = true, int queueCapacity = SoftNic.DefaultQueueCapacity)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_lock)
        {
            ThrowIfDisposed();
            CheckSoftInterfaceName(name);
            if (txQueues is < 1 or > 256 || rxQueues is < 1 or > 256)
            {
                ThrowHelper.Netmap(NetmapError.EINVAL, name, $"a soft interface needs 1 to 256 queues each way, not {txQueues} TX and {rxQueues} RX");
            }

            if (maxFrameSize is < 60 or > SoftNic.MaxWireFrame)
            {
                ThrowHelper.Netmap(NetmapError.EINVAL, name, $"max frame size {maxFrameSize} is outside [60, {SoftNic.MaxWireFrame}]");
            }

            if (queueCapacity < 2)
            {
                ThrowHelper.Netmap(NetmapError.EINVAL, name, $"queue capacity {queueCapacity} is below 2");
            }

            if (_softInterfaces.ContainsKey(name) || _nicPorts.ContainsKey(name) || _vale?.FindPersistent(name) is not null)
            {
                ThrowHelper.Netmap(NetmapError.EEXIST, name, $"an interface named '{name}' already exists");
            }

            var nic = new SoftNic(name, txQueues, rxQueues, maxFrameSize, hostRings, queueCapacity);
            _softInterfaces.Add(name, nic);
            return nic;
        }
    }

    /// <summary>Removes soft interface NAME: ENXIO when there is none, EBUSY while a port has it open.</summary>
    public void RemoveSoftInterface(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_lock)
        {
            ThrowIfDisposed();
            if (!_softInterfaces.TryGetValue(name, out var nic))
            {
                ThrowHelper.Netmap(NetmapError.ENXIO, name, $"no soft interface '{name}'");
            }

            if (_nicPorts.TryGetValue(name, out var port) && ReferenceEquals(port.Backend, nic))
            {
                ThrowHelper.Netmap(NetmapError.EBUSY, name, $"soft interface '{name}' is open ({port.Bindings} binding(s))");
            }

            _softInterfaces.Remove(name);
            nic.Dispose();
        }
    }

    /// <summary>Throws <see cref="ArenaException"/> unless every region has all its buffers back.</summary>
    public void AssertNoLeaks()
    {
        lock (_lock)
        {
            foreach (var region in _regions.Values)
            {
                region.AssertNoLeaks();
            }
        }
    }

    /// <summary>Closes every handle still open and unmaps the regions.</summary>
    public void Dispose()
    {
        PortHandle[] open;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            open = [.. _handles];
        }

        // Every handle closes, and the domain with them, even when one of them reports an error (an ArenaException
        // for a buffer the user put in two slots): the first error is thrown at the end.
        Exception? first = null;
        foreach (var handle in open)
        {
            try
            {
                handle.Dispose();
            }
            catch (Exception ex) when (ex is ArenaException or NetmapException)
            {
                first ??= ex;
            }
        }

        lock (_lock)
        {
            try
            {
                _vale?.DestroyAllPersistent();
            }
            catch (ArenaException)
            {
                // Disposal goes on: the regions are unmapped below whatever a persistent port left out.
            }

            _disposed = true;
            foreach (var nic in _softInterfaces.Values)
            {
                nic.Dispose();
            }

            _softInterfaces.Clear();
            foreach (var region in _regions.Values)
            {
                region.Dispose();
            }
        }

        if (first is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }
    }

    internal void Unbind(PortHandle handle)
    {
        ArenaException? error = null;
        lock (_lock)
        {
            var exclusive = (handle.Flags & RegisterFlags.Exclusive) != 0;
            foreach (var ring in handle.TxRingArray)
            {
                Release(ring, exclusive);
            }

            foreach (var ring in handle.RxRingArray)
            {
                Release(ring, exclusive);
            }

            _handles.Remove(handle);
            var last = handle.Port.RemoveBinding();
            if (last)
            {
                handle.Port.OrphanMonitors(); // the port left netmap mode: its monitors fail EIO from now on
            }

            if (handle.ExtraBuffersHead != 0)
            {
                try
                {
                    handle.Port.Arena.FreeExtraList(handle.ExtraBuffersHead, handle.Port.Owner);
                }
                catch (ArenaException ex)
                {
                    error = ex;
                }

                handle.ExtraBuffersHead = 0;
            }

            // Whatever the extra list did, the rings' buffers still go back.
            try
            {
                handle.Port.OnUnbind(handle, last);
            }
            catch (ArenaException ex)
            {
                error ??= ex;
            }
        }

        if (error is not null)
        {
            throw error;
        }

        static void Release(Ring ring, bool exclusive)
        {
            Interlocked.Decrement(ref ring.Users);
            if (exclusive)
            {
                ring.ExclusiveOwned = false;
            }
        }
    }

    /// <summary>The domain's VALE switches; used with the domain lock held.</summary>
    internal ValeRegistry ValeSwitches => _vale ??= new ValeRegistry(this);

    /// <summary>Adds a region private to one port (a VALE port's), with one reference: the port's. The caller holds the domain lock.</summary>
    internal (ushort Id, BufferArena Arena) CreatePrivateRegion(ArenaOptions options)
    {
        var id = CreateRegion(options);
        _privateRegionRefs.Add(id, 1);
        return (id, _regions[id]);
    }

    /// <summary>One more user of private region <paramref name="id"/> (a zero-copy monitor of its port); no-op for shared regions.</summary>
    internal void RetainRegion(ushort id)
    {
        lock (_lock)
        {
            if (_privateRegionRefs.TryGetValue(id, out var refs))
            {
                _privateRegionRefs[id] = refs + 1;
            }
        }
    }

    /// <summary>
    /// Drops one reference to private region <paramref name="id"/>; the last one removes and unmaps it, with an
    /// ArenaException (after unmapping) if a buffer was still out. No-op for shared regions.
    /// </summary>
    internal void ReleasePrivateRegion(ushort id)
    {
        lock (_lock)
        {
            if (!_privateRegionRefs.TryGetValue(id, out var refs))
            {
                return;
            }

            if (refs > 1)
            {
                _privateRegionRefs[id] = refs - 1;
                return;
            }

            _privateRegionRefs.Remove(id);
            if (!_regions.Remove(id, out var arena))
            {
                return;
            }

            try
            {
                arena.AssertNoLeaks();
            }
            finally
            {
                arena.Dispose();
            }
        }
    }

    /// <summary>Forgets a pipe parent whose last pipe went, and lets go of the VALE port it hangs off. Domain lock held.</summary>
    internal void RemovePipeParent(PipeParent parent)
    {
        _pipeParents.Remove(parent.Name);
        parent.Backing?.ReleasePipeReference();
    }

    /// <summary>Forgets a destroyed NIC port, so the next open creates a fresh one. Called with the domain lock held.</summary>
    internal void ForgetNicPort(NicPort port)
    {
        if (_nicPorts.TryGetValue(port.Name, out var open) && ReferenceEquals(open, port))
        {
            _nicPorts.Remove(port.Name);
        }
    }

    /// <summary>Forgets a destroyed sink, so its file can be opened again. Called with the domain lock held.</summary>
    internal void RemovePcapSink(PcapSinkPort port)
    {
        if (_pcapSinks.TryGetValue(port.FullPath, out var open) && ReferenceEquals(open, port))
        {
            _pcapSinks.Remove(port.FullPath);
        }
    }

    /// <summary>Forgets a destroyed source, so its file can be written again. Called with the domain lock held.</summary>
    internal void RemovePcapSource(PcapSourcePort port)
    {
        if (_pcapSources.TryGetValue(port.FullPath, out var readers))
        {
            readers.Remove(port);
            if (readers.Count == 0)
            {
                _pcapSources.Remove(port.FullPath);
            }
        }
    }

    /// <summary>
    /// What names one file for the file ports' busy checks: the absolute path, through a symbolic link at its end
    /// (a link to the capture being read is the same file). EINVAL for a path the system cannot take.
    /// </summary>
    private static string FileKey(PortSpec spec, string path)
    {
        try
        {
            var full = Path.GetFullPath(path);
            var target = File.Exists(full) ? new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true) : null;
            return target?.FullName ?? full;
        }
        catch (Exception ex) when (ex is ArgumentException or IOException or UnauthorizedAccessException)
        {
            return ThrowHelper.Netmap<string>(NetmapError.EINVAL, spec.Spec, $"invalid path '{path}': {ex.Message}");
        }
    }

    private Port FindOrCreatePort(PortSpec spec, Request request, out bool created)
    {
        created = false;
        switch (request.Mode)
        {
            case RegisterMode.AllNic or RegisterMode.Sw or RegisterMode.NicSw or RegisterMode.OneNic or RegisterMode.OneSw or RegisterMode.Null:
                break;
            case RegisterMode.PipeMaster or RegisterMode.PipeSlave:
                ThrowHelper.Netmap(NetmapError.EINVAL, spec.Spec, $"the {request.Mode} mode is deprecated: name the pipe end with '{{' or '}}'");
                break;
            default:
                ThrowHelper.Netmap(NetmapError.EINVAL, spec.Spec, $"invalid register mode {(int)request.Mode}");
                break;
        }

        // File ports are named by their prefix alone, whatever the mode (Bind checks it).
        if (spec.Prefix is PortPrefix.Pcap or PortPrefix.PcapOut)
        {
            RejectMonitorFlags(spec, request);
            created = true;
            return spec.Prefix == PortPrefix.Pcap ? CreatePcapSource(spec, request) : CreatePcapSink(spec, request);
        }

        // netmap's lookup order: null, monitor, pipe, VALE, interface. A `null` name is a null port
        // whatever mode the options ask for (the mode then selects its rings).
        if (request.Mode == RegisterMode.Null || spec.Prefix == PortPrefix.Null)
        {
            created = true;
            return CreateNullPort(spec, request);
        }

        if ((request.Flags & (RegisterFlags.MonitorRx | RegisterFlags.MonitorTx | RegisterFlags.ZcopyMon)) != 0)
        {
            created = true;
            return CreateMonitor(spec, request);
        }

        if (spec.IsPipe)
        {
            return FindOrCreatePipe(spec, request, out created);
        }

        if (spec.Prefix == PortPrefix.Vale)
        {
            return ValeSwitches.Open(spec.Spec, spec.Name, request.MemId, request.TxRings, request.RxRings, request.TxSlots, request.RxSlots, request.ExtraBuffers, out created);
        }

        // A persistent VALE port (vale-ctl -n) is an interface: netmap:P opens it while it is not attached.
        if (spec.Prefix == PortPrefix.Netmap && _vale?.FindPersistent(spec.Name) is { } persistent)
        {
            return persistent.Switch is { } attached
                ? ThrowHelper.Netmap<Port>(NetmapError.EBUSY, spec.Spec, $"'{spec.Name}' is attached to {attached.Name}: open it as {attached.Name}:{spec.Name}")
                : persistent;
        }

        // An interface (netmap-notes §8): the open NIC port, else a soft interface or what the factory finds
        // (tap:NAME only through the factory: its name keeps the prefix, so it never matches a soft interface).
        if (spec.Prefix is PortPrefix.Netmap or PortPrefix.Tap)
        {
            if (_nicPorts.TryGetValue(spec.Name, out var nic))
            {
                return nic;
            }

            if (CreateNicPort(spec, request) is { } fresh)
            {
                created = true;
                return fresh;
            }
        }

        return ThrowHelper.Netmap<Port>(NetmapError.ENXIO, spec.Spec, $"no such port '{spec.Name}'");
    }

    /// <summary>
    /// <c>netmap:IF</c> with no port open: a <see cref="NicPort"/> over soft interface IF, else over the backend
    /// <see cref="NicBackendFactory"/> opens (owned by the port); null when neither knows IF. This open alone
    /// decides the slot and host-ring counts (0 → 1024 slots, 1 host ring each way).
    /// </summary>
    private NicPort? CreateNicPort(PortSpec spec, Request request)
    {
        var hostTx = request.HostTxRings == 0 ? 1 : request.HostTxRings;
        var hostRx = request.HostRxRings == 0 ? 1 : request.HostRxRings;
        if (hostTx is < 1 or > 256 || hostRx is < 1 or > 256)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, spec.Spec, $"host ring counts must be in [1, 256], not {hostTx} TX and {hostRx} RX");
        }

        var txSlots = request.TxSlots == 0 ? NicPort.DefaultSlots : request.TxSlots;
        var rxSlots = request.RxSlots == 0 ? NicPort.DefaultSlots : request.RxSlots;
        if (txSlots is < 2 or > 65536 || rxSlots is < 2 or > 65536)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, spec.Spec, $"a NIC ring needs 2 to 65536 slots, not {txSlots} TX and {rxSlots} RX");
        }

        var memId = request.MemId == 0 ? DefaultMemId : request.MemId;
        var arena = RegionOrThrow(spec.Spec, memId);
        INicBackend? backend;
        var owned = false;
        if (_softInterfaces.TryGetValue(spec.Name, out var soft))
        {
            backend = soft;
        }
        else
        {
            backend = NicBackendFactory?.Invoke(spec.Name, new NicOpenRequest
            {
                Spec = spec,
                TxRings = request.TxRings,
                RxRings = request.RxRings,
                HostTxRings = request.HostTxRings,
                HostRxRings = request.HostRxRings,
            });
            if (backend is null)
            {
                return null;
            }

            owned = true;
        }

        if (backend.TxQueues is < 1 or > 256 || backend.RxQueues is < 1 or > 256 || backend.MaxFrameSize is < NicPort.MinFrameSize or > 1 << 20)
        {
            var shape = $"{backend.TxQueues} TX and {backend.RxQueues} RX queues, max frame {backend.MaxFrameSize}";
            if (owned)
            {
                backend.Dispose();
            }

            ThrowHelper.Netmap(NetmapError.EINVAL, spec.Spec, $"the device reports {shape}: a NIC port needs 1 to 256 queues each way and a max frame of {NicPort.MinFrameSize} bytes to 1 MiB");
        }

        // The port owns a factory-made backend from here on (it disposes it even if its construction fails).
        var port = new NicPort(this, spec.Name, arena, memId, backend, owned, hostTx, hostRx, (uint)txSlots, (uint)rxSlots);
        _nicPorts.Add(spec.Name, port);
        return port;
    }

    private static void CheckSoftInterfaceName(string name)
    {
        if (name.Length is 0 or > 63 || name.StartsWith("vale", StringComparison.Ordinal))
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, name, "an interface name has 1 to 63 characters and does not start with 'vale'");
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '.'))
            {
                ThrowHelper.Netmap(NetmapError.EINVAL, name, $"invalid character '{c}' in an interface name (only [A-Za-z0-9_.])");
            }
        }
    }

    private NullPort CreateNullPort(PortSpec spec, Request request)
    {
        // NR_REG_NULL needs an existing region; the `null` name (this project's) defaults to region 1.
        var memId = request.MemId == 0 && spec.Prefix == PortPrefix.Null ? DefaultMemId : request.MemId;
        if (memId == 0)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, spec.Spec, "a null port needs an existing memory region (mem id 0 given)");
        }

        var arena = RegionOrThrow(spec.Spec, memId);
        var txRings = DefaultIfZero(request.TxRings, 1);
        var rxRings = DefaultIfZero(request.RxRings, 1);
        var txSlots = DefaultIfZero(request.TxSlots, 1024);
        var rxSlots = DefaultIfZero(request.RxSlots, 1024);
        if (txRings > 256 || rxRings > 256 || txSlots > 65536 || rxSlots > 65536 || txRings < 0 || rxRings < 0 || txSlots < 0 || rxSlots < 0)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, spec.Spec, $"ring counts must be in [0, 256] and slot counts in [0, 65536] (asked {txRings}x{txSlots} TX, {rxRings}x{rxSlots} RX)");
        }

        var name = spec.Prefix == PortPrefix.Null ? spec.Name : "null:" + spec.Name;
        _nullPorts++;
        return new NullPort(this, $"{name}#{_nullPorts}", arena, memId, txRings, rxRings, (uint)txSlots, (uint)rxSlots);

        static int DefaultIfZero(int n, int dflt) => n == 0 ? dflt : n;
    }

    /// <summary>
    /// <c>PARENT/r</c>, <c>/t</c>, <c>/z</c>: a fresh monitor of an existing, bound port (netmap-notes §6). The name
    /// without the flags names the parent, so a monitor is never a parent by name; a second <c>/z</c> of the same
    /// port is chained after the last one (it monitors that monitor). Pipe ends, VALE ports and NIC ports
    /// (<c>netmap:IF/r</c>, soft or Linux interfaces, open first; host rings are monitored when the parent has
    /// them and the monitor's mode selects them, as <c>IF^/r</c> or <c>IF*/rt</c>). A zero-copy
    /// monitor's rings live in the parent's region (it swaps buffers with it): for a VALE port, its private
    /// region, which has room for the port's rings once more (ENOMEM beyond, saying so).
    /// </summary>
    private MonitorPort CreateMonitor(PortSpec spec, Request request)
    {
        Port? parent = null;
        if (spec.IsPipe)
        {
            if (_pipeParents.TryGetValue(spec.PipeParent!, out var pipeParent) && pipeParent.TryGet(spec.PipeId!, out var pair))
            {
                parent = spec.IsPipeMaster ? pair.Master : pair.Slave;
            }
        }
        else if (spec.Prefix == PortPrefix.Vale || (spec.Prefix == PortPrefix.Netmap && _vale?.FindPersistent(spec.Name) is not null))
        {
            // VALE ports: valeB:P, or a persistent netmap:P.
            parent = spec.Prefix == PortPrefix.Vale ? _vale?.FindPort(spec.Name) : _vale!.FindPersistent(spec.Name);
            if (parent is ValePort { Wrapped: { } wrapped })
            {
                ThrowHelper.Netmap(NetmapError.EINVAL, spec.Spec, $"'{spec.Name}' is the link to persistent port '{wrapped.Name}': monitor that port ({wrapped.Switch?.Name}:{wrapped.Name}) instead");
            }
        }
        else if (spec.Prefix is PortPrefix.Netmap or PortPrefix.Tap && (_nicPorts.ContainsKey(spec.Name) || _softInterfaces.ContainsKey(spec.Name)))
        {
            // An interface: its NIC port while open (a soft interface not open is EINVAL below, as netmap's
            // "not in netmap mode"; an interface the domain has not opened is unknown to it: ENXIO).
            parent = _nicPorts.GetValueOrDefault(spec.Name);
        }
        else
        {
            ThrowHelper.Netmap(NetmapError.ENXIO, spec.Spec, $"no such port '{spec.Name}' to monitor (an interface must be open as netmap:{spec.Name} first)");
        }

        if (parent is null || parent.IsDestroyed || parent.Bindings == 0)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, spec.Spec, "the port to monitor must be open (bound) first");
        }

        var slots = request.RxSlots != 0 ? request.RxSlots : request.TxSlots;
        if (slots < 0)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, spec.Spec, $"slot count {slots} is negative");
        }

        // netmap: clamped to [1, 4096], default the parent's.
        var parentSlots = parent.RxRingArray.Length > 0 ? parent.RxRingArray[0].NumSlots : parent.TxRingArray.Length > 0 ? parent.TxRingArray[0].NumSlots : 1024u;
        var numSlots = slots == 0 ? parentSlots : (uint)Math.Min(slots, 4096);
        var kind = (request.Flags & RegisterFlags.ZcopyMon) != 0 ? MonitorKind.ZeroCopy : MonitorKind.Copy;
        var monitorsTx = (request.Flags & RegisterFlags.MonitorTx) != 0;
        var monitorsRx = (request.Flags & RegisterFlags.MonitorRx) != 0;
        if (kind == MonitorKind.ZeroCopy)
        {
            if (!monitorsTx && !monitorsRx)
            {
                monitorsTx = monitorsRx = true; // /z alone means both sides
            }

        }

        var rxRings = Math.Max(1, Math.Max(parent.TxRingCount, parent.RxRingCount));
        var hostRxRings = parent.HasHostRings ? Math.Max(parent.HostTxRingCount, parent.HostRxRingCount) : 0;
        _monitorPorts++;
        var name = $"{parent.Name}/{(kind == MonitorKind.ZeroCopy ? "z" : "")}{(monitorsRx ? "r" : "")}{(monitorsTx ? "t" : "")}#{_monitorPorts}";
        MonitorPort monitor;
        if (kind == MonitorKind.ZeroCopy)
        {
            // Only the RX rings take buffers, from the parent's region.
            var needed = (long)(rxRings + hostRxRings) * numSlots;
            var free = parent.Arena.FreeCount;
            if (needed > free)
            {
                ThrowHelper.Netmap(NetmapError.ENOMEM, spec.Spec,
                    $"a zero-copy monitor shares the region of '{parent.Name}' (mem id {parent.MemId}) and needs {needed} buffers ({rxRings + hostRxRings} x {numSlots} slots); {free} are free: ask for fewer slots (@conf:slots=N) or give the port a larger shared region (@N)");
            }

            // netmap's zmon list: a second /z of the same port monitors the last one before it.
            var attachTo = MonitorPort.ZeroCopyChainEnd(parent);
            monitor = new MonitorPort(attachTo, name, kind, monitorsTx, monitorsRx, rxRings, hostRxRings, numSlots);
            attachTo.AttachMonitor(monitor);
            return monitor;
        }

        // A private region (a VALE port's) is sized for the port itself: its copy monitors use the default region.
        monitor = _privateRegionRefs.ContainsKey(parent.MemId)
            ? new MonitorPort(parent, name, kind, monitorsTx, monitorsRx, rxRings, hostRxRings, numSlots, DefaultArena, DefaultMemId)
            : new MonitorPort(parent, name, kind, monitorsTx, monitorsRx, rxRings, hostRxRings, numSlots);
        parent.AttachMonitor(monitor);
        return monitor;
    }

    private static void RejectMonitorFlags(PortSpec spec, Request request)
    {
        if ((request.Flags & (RegisterFlags.MonitorRx | RegisterFlags.MonitorTx | RegisterFlags.ZcopyMon)) != 0)
        {
            ThrowHelper.Netmap(NetmapError.EOPNOTSUPP, spec.Spec, "file ports cannot be monitored (/r, /t, /z)");
        }
    }

    /// <summary><c>pcap:PATH</c>: a fresh source over the file, one RX ring of RxSlots (default 1024) slots, no TX ring.</summary>
    private PcapSourcePort CreatePcapSource(PortSpec spec, Request request)
    {
        var options = request.Pcap ?? PcapOptions.Default;
        if (options.Loop < 0)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, spec.Spec, $"pcap loop count must be >= 0 (0 = forever), not {options.Loop}");
        }

        if (!(options.Speed > 0) || double.IsInfinity(options.Speed))
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, spec.Spec, $"pcap speed must be a positive finite number, not {options.Speed}");
        }

        ArgumentNullException.ThrowIfNull(options.Clock);
        var fullPath = FileKey(spec, spec.Name);
        if (_pcapSinks.TryGetValue(fullPath, out var writer))
        {
            ThrowHelper.Netmap(NetmapError.EBUSY, spec.Spec, $"'{spec.Name}' is being written by {writer.Spec}: a capture cannot be read while it is rewritten");
        }

        var rxSlots = FileRingSlots(spec, request.RxSlots, "RX");
        var memId = request.MemId == 0 ? DefaultMemId : request.MemId;
        var arena = RegionOrThrow(spec.Spec, memId);
        _filePorts++;
        var port = PcapSourcePort.Create(this, $"pcap:{spec.Name}#{_filePorts}", arena, memId, spec.Spec, spec.Name, fullPath, options, rxSlots);
        if (!_pcapSources.TryGetValue(fullPath, out var readers))
        {
            _pcapSources.Add(fullPath, readers = []);
        }

        readers.Add(port);
        return port;
    }

    /// <summary><c>pcap-out:PATH</c>: a fresh sink that creates the file, one TX ring of TxSlots (default 1024) slots, no RX ring.</summary>
    private PcapSinkPort CreatePcapSink(PortSpec spec, Request request)
    {
        var path = spec.Name;
        var fullPath = FileKey(spec, path);
        if (_pcapSinks.TryGetValue(fullPath, out var open))
        {
            ThrowHelper.Netmap(NetmapError.EBUSY, spec.Spec, $"'{path}' is already being written by {open.Spec}");
        }

        if (_pcapSources.TryGetValue(fullPath, out var readers))
        {
            // Creating the file truncates it under its reader: the input would be lost as it is read.
            ThrowHelper.Netmap(NetmapError.EBUSY, spec.Spec, $"'{path}' is being read by {readers[0].Spec}: writing it would truncate the capture being read");
        }

        var txSlots = FileRingSlots(spec, request.TxSlots, "TX");
        var memId = request.MemId == 0 ? DefaultMemId : request.MemId;
        var arena = RegionOrThrow(spec.Spec, memId);
        var clock = request.Pcap?.Clock ?? TimeProvider.System;
        ArgumentNullException.ThrowIfNull(clock);
        _filePorts++;
        var port = PcapSinkPort.Create(this, $"pcap-out:{path}#{_filePorts}", arena, memId, spec.Spec, path, fullPath, clock, txSlots);
        _pcapSinks.Add(fullPath, port);
        return port;
    }

    private static uint FileRingSlots(PortSpec spec, int asked, string direction)
    {
        var slots = asked == 0 ? 1024 : asked;
        if (slots is < 2 or > 65536)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, spec.Spec, $"a pcap port's {direction} ring needs between 2 and 65536 slots, not {slots}");
        }

        return (uint)slots;
    }

    private PipePort FindOrCreatePipe(PortSpec spec, Request request, out bool created)
    {
        created = false;
        var parentName = spec.PipeParent!;
        if (parentName.Length == 0)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, spec.Spec, "a pipe needs a parent name before the brace");
        }

        var memId = request.MemId == 0 ? DefaultMemId : request.MemId;
        if (!_pipeParents.TryGetValue(parentName, out var parent))
        {
            // netmap looks the parent up as a port: a VALE port (created if absent) or a persistent one lends
            // its region, so the pipes are zero-copy with it; any other name gets an implicit parent.
            var backing = ValeSwitches.PipeParentPort(spec.Spec, spec.Prefix, parentName, request.MemId);
            if (backing is not null && request.MemId != 0 && request.MemId != backing.MemId)
            {
                ThrowHelper.Netmap(NetmapError.EINVAL, spec.Spec, $"parent '{parentName}' uses memory region {backing.MemId}, not {request.MemId}");
            }

            parent = backing is null ? new PipeParent(this, parentName, RegionOrThrow(spec.Spec, memId), memId) : new PipeParent(this, parentName, backing);
            _pipeParents.Add(parentName, parent);
        }
        else if (request.MemId != 0 && request.MemId != parent.MemId)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, spec.Spec, $"parent '{parentName}' uses memory region {parent.MemId}, not {request.MemId}");
        }

        if (!parent.TryGet(spec.PipeId!, out var pair))
        {
            try
            {
                pair = parent.Create(spec.Spec, spec.PipeId!, request.TxRings, request.RxRings, request.TxSlots, request.RxSlots);
            }
            catch (NetmapException) when (parent.PipeCount == 0)
            {
                RemovePipeParent(parent);
                throw;
            }

            created = true;
        }

        return spec.IsPipeMaster ? pair.Master : pair.Slave;
    }

    /// <summary>
    /// libnetmap's <c>@share=PORT</c>: use the memory region of another port, so the two can swap buffers
    /// zero-copy. PORT is a port name, with or without <c>netmap:</c>.
    /// </summary>
    private ushort SharedMemId(PortSpec spec, string share, ushort memId)
    {
        var target = PortSpecParser.TryParse(share, out var parsed, out _) ? parsed! : PortSpecParser.Parse("netmap:" + share);
        var parentName = target.IsPipe ? target.PipeParent! : target.Name;
        if (!_pipeParents.TryGetValue(parentName, out var parent))
        {
            return ThrowHelper.Netmap<ushort>(NetmapError.ENXIO, spec.Spec, $"@share: no port '{share}' to share memory with");
        }

        if (memId != 0 && memId != parent.MemId)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, spec.Spec, $"@share={share} uses memory region {parent.MemId}, which conflicts with {memId}");
        }

        return parent.MemId;
    }

    private BufferArena RegionOrThrow(string spec, ushort memId) =>
        _regions.TryGetValue(memId, out var arena)
            ? arena
            : ThrowHelper.Netmap<BufferArena>(NetmapError.EINVAL, spec, $"no memory region with id {memId}");

    /// <summary>netmap's <c>netmap_do_regif</c>: ring selection, exclusive check, offsets, extra buffers.</summary>
    private static PortHandle Bind(Port port, string spec, Request request)
    {
        if (port.IsDestroyed)
        {
            ThrowHelper.Netmap(NetmapError.ENXIO, spec, "the port is gone");
        }

        var mode = request.Mode == RegisterMode.Null ? RegisterMode.AllNic : request.Mode;
        port.ValidateMode(mode, spec);
        var tx = SelectRings(port, spec, mode, request.RingId, RingKind.Tx);
        var rx = SelectRings(port, spec, mode, request.RingId, RingKind.Rx);
        if (mode is RegisterMode.OneNic or RegisterMode.OneSw && tx.Length + rx.Length == 0)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, spec, $"ring id {request.RingId} is out of range");
        }

        if ((request.Flags & RegisterFlags.RxRingsOnly) != 0)
        {
            tx = [];
        }

        if ((request.Flags & RegisterFlags.TxRingsOnly) != 0)
        {
            rx = [];
        }

        var exclusive = (request.Flags & RegisterFlags.Exclusive) != 0;
        CheckExclusive(spec, tx, exclusive);
        CheckExclusive(spec, rx, exclusive);

        var offsets = request.Offsets;
        ulong mask = 0;
        if (offsets is not null)
        {
            mask = ValidateOffsets(port, spec, offsets);
            CheckOffsetSubset(spec, tx, offsets, mask);
            CheckOffsetSubset(spec, rx, offsets, mask);
        }

        var handle = new PortHandle(port, spec, request.Mode, request.RingId, request.Flags, tx, rx);
        if (request.ExtraBuffers > 0)
        {
            handle.ExtraBuffersHead = port.Arena.AllocExtraList(port.Owner, request.ExtraBuffers, out var granted);
            handle.ExtraBuffersGranted = granted;
        }

        // Second pass: nothing can fail from here on.
        ulong maxOffset = 0;
        foreach (var ring in tx)
        {
            maxOffset = Math.Max(maxOffset, Take(ring, offsets, mask, exclusive));
        }

        foreach (var ring in rx)
        {
            maxOffset = Math.Max(maxOffset, Take(ring, offsets, mask, exclusive));
        }

        handle.MaxOffset = maxOffset;
        port.AddBinding();
        port.OnBind(handle);
        return handle;
    }

    private static Ring[] SelectRings(Port port, string spec, RegisterMode mode, uint ringId, RingKind kind)
    {
        var all = kind == RingKind.Tx ? port.TxRingArray : port.RxRingArray;
        var nic = kind == RingKind.Tx ? port.TxRingCount : port.RxRingCount;
        var host = kind == RingKind.Tx ? port.HostTxRingCount : port.HostRxRingCount;
        int first, last;
        switch (mode)
        {
            case RegisterMode.AllNic:
                (first, last) = (0, nic);
                break;
            case RegisterMode.Sw or RegisterMode.NicSw or RegisterMode.OneSw when !port.HasHostRings:
                return ThrowHelper.Netmap<Ring[]>(NetmapError.EINVAL, spec, $"port '{port.Name}' has no host rings");
            case RegisterMode.Sw:
                (first, last) = (nic, nic + host);
                break;
            case RegisterMode.NicSw:
                (first, last) = (0, nic + host);
                break;
            case RegisterMode.OneNic:
                var otherNic = kind == RingKind.Tx ? port.RxRingCount : port.TxRingCount;
                if (ringId >= nic && ringId >= otherNic)
                {
                    return ThrowHelper.Netmap<Ring[]>(NetmapError.EINVAL, spec, $"ring id {ringId} is out of range ({port.TxRingCount} TX, {port.RxRingCount} RX rings)");
                }

                // A ring id past this direction's count selects ring 0 of this direction, as netmap does.
                first = ringId >= nic ? 0 : (int)ringId;
                last = Math.Min(first + 1, nic);
                break;
            case RegisterMode.OneSw:
                var otherHost = kind == RingKind.Tx ? port.HostRxRingCount : port.HostTxRingCount;
                if (ringId >= host && ringId >= otherHost)
                {
                    return ThrowHelper.Netmap<Ring[]>(NetmapError.EINVAL, spec, $"host ring id {ringId} is out of range");
                }

                first = nic + (ringId >= host ? 0 : (int)ringId);
                last = Math.Min(first + 1, nic + host);
                break;
            default:
                return ThrowHelper.Netmap<Ring[]>(NetmapError.EINVAL, spec, $"invalid register mode {mode}");
        }

        return all[first..last];
    }

    private static void CheckExclusive(string spec, Ring[] rings, bool exclusive)
    {
        foreach (var ring in rings)
        {
            if (ring.ExclusiveOwned)
            {
                ThrowHelper.Netmap(NetmapError.EBUSY, spec, $"{ring.Kind} ring {ring.RingId} is open exclusively by another handle");
            }

            if (exclusive && ring.Users > 0)
            {
                ThrowHelper.Netmap(NetmapError.EBUSY, spec, $"{ring.Kind} ring {ring.RingId} is already open, so it cannot be opened exclusively");
            }
        }
    }

    private static ulong ValidateOffsets(Port port, string spec, OffsetOptions o)
    {
        if (!port.SupportsOffsets)
        {
            ThrowHelper.Netmap(NetmapError.EOPNOTSUPP, spec, "this port does not support offsets");
        }

        if (o.Bits > 64)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, spec, $"offset bits {o.Bits} > 64");
        }

        var mask = o.Bits is 0 or 64 ? ulong.MaxValue : (1UL << (int)o.Bits) - 1;
        if (o.MaxOffset > (ulong)port.Arena.BufferSize)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, spec, $"max offset {o.MaxOffset} > buffer size {port.Arena.BufferSize}");
        }

        if (o.MaxOffset > mask)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, spec, $"max offset {o.MaxOffset} does not fit in {o.Bits} bits");
        }

        if (o.InitialOffset > o.MaxOffset)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, spec, $"initial offset {o.InitialOffset} > max offset {o.MaxOffset}");
        }

        if (o.TxAlign != 0 && (o.TxAlign & (o.TxAlign - 1)) != 0)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, spec, $"TX alignment {o.TxAlign} is not a power of two");
        }

        if (o.TxAlign != 0 && o.InitialOffset % o.TxAlign != 0)
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, spec, $"initial offset {o.InitialOffset} is not a multiple of the TX alignment {o.TxAlign}");
        }

        return mask;
    }

    /// <summary>A later binder with offsets must ask for a subset of what the ring already has (netmap's rule).</summary>
    private static void CheckOffsetSubset(string spec, Ring[] rings, OffsetOptions o, ulong mask)
    {
        foreach (var ring in rings)
        {
            if (GroupUsers(ring) == 0)
            {
                continue;
            }

            if ((ring.OffsetMask & mask) != mask || ring.MaxOffset < o.MaxOffset)
            {
                ThrowHelper.Netmap(NetmapError.EBUSY, spec,
                    $"{ring.Kind} ring {ring.RingId} is bound with offset mask 0x{ring.OffsetMask:x} and max {ring.MaxOffset}; this open asks for mask 0x{mask:x} and max {o.MaxOffset}");
            }
        }
    }

    // A pipe ring and its peer carry the same slots, so they share one offset configuration.
    private static int GroupUsers(Ring ring) => ring.Users + (ring.Peer?.Users ?? 0);

    private static ulong Take(Ring ring, OffsetOptions? o, ulong mask, bool exclusive)
    {
        if (GroupUsers(ring) == 0)
        {
            Configure(ring, o, mask);
            if (ring.Peer is { } peer)
            {
                Configure(peer, o, mask);
            }
        }

        if (ring.Users == 0 && o is { InitialOffset: not 0 })
        {
            WriteInitialOffset(ring, o.InitialOffset);
        }

        Interlocked.Increment(ref ring.Users);
        if (exclusive)
        {
            ring.ExclusiveOwned = true;
        }

        return ring.MaxOffset;
    }

    private static void Configure(Ring ring, OffsetOptions? o, ulong mask)
    {
        ring.OffsetMask = o is null ? 0 : mask;
        ring.MaxOffset = o?.MaxOffset ?? 0;
        ring.TxAlign = o?.TxAlign ?? 0;
        ring.MinGap = o?.MinGap ?? 0;
        var afterMax = ring.BufferSize - (int)ring.MaxOffset;
        ring.HwBufLen = o is { MinGap: not 0 } ? (int)Math.Min((ulong)afterMax, o.MinGap) : afterMax;
    }

    /// <summary>
    /// Writes the initial offset into the slots that hold no packet: on TX the free slots [Head, Tail] (the
    /// always-empty slot at Tail included), on RX the port's slots [Tail, Head). A pipe's RX slots are
    /// skipped: they are always copies of the peer's TX slots, which carry their own offsets.
    /// </summary>
    private static void WriteInitialOffset(Ring ring, ulong offset)
    {
        if (ring.Kind == RingKind.Rx && ring.Peer is not null)
        {
            return;
        }

        var (from, to) = ring.Kind == RingKind.Tx ? (ring.Head, ring.Next(ring.Tail)) : (ring.Tail, ring.Head);
        var k = from;
        do
        {
            ring.SetOffset(ref ring[k], offset);
            k = ring.Next(k);
        }
        while (k != to);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>The spec and the options merged into one registration request.</summary>
    private sealed record Request(
        RegisterMode Mode,
        uint RingId,
        RegisterFlags Flags,
        ushort MemId,
        int TxRings,
        int RxRings,
        int TxSlots,
        int RxSlots,
        int ExtraBuffers,
        OffsetOptions? Offsets,
        PcapOptions? Pcap,
        int HostTxRings,
        int HostRxRings,
        bool SoftwareTxChecksums,
        bool VerifyRxChecksums)
    {
        public static Request From(PortSpec spec, RegisterOptions o)
        {
            if (o.MemId != 0 && spec.MemId != 0 && o.MemId != spec.MemId)
            {
                ThrowHelper.Netmap(NetmapError.EINVAL, spec.Spec, $"memory region {o.MemId} conflicts with @{spec.MemId} in the name");
            }

            var conf = spec.Options.Conf;
            var offsets = o.Offsets;
            if (spec.Options.Offset is { } fromSpec)
            {
                if (offsets is not null)
                {
                    ThrowHelper.Netmap(NetmapError.EINVAL, spec.Spec, "offsets given twice (in the name and in the options)");
                }

                offsets = new OffsetOptions { InitialOffset = fromSpec.Initial, MaxOffset = fromSpec.Initial, Bits = fromSpec.Bits };
            }

            if (spec.Options.Extmem is not null)
            {
                ThrowHelper.Netmap(NetmapError.EOPNOTSUPP, spec.Spec, "@extmem is not supported: regions are created with NetmapDomain.CreateRegion");
            }

            return new Request(
                o.Mode ?? spec.Mode,
                o.RingId ?? spec.RingId,
                spec.Flags | o.Flags,
                o.MemId != 0 ? o.MemId : spec.MemId,
                Pick(o.TxRings, conf?.TxRings),
                Pick(o.RxRings, conf?.RxRings),
                Pick(o.TxSlots, conf?.TxSlots),
                Pick(o.RxSlots, conf?.RxSlots),
                o.ExtraBuffers,
                offsets,
                o.Pcap,
                Pick(o.HostTxRings, conf?.HostTxRings),
                Pick(o.HostRxRings, conf?.HostRxRings),
                o.SoftwareTxChecksums || spec.Options.Checksum?.SoftwareTx == true,
                o.VerifyRxChecksums || spec.Options.Checksum?.VerifyRx == true);
        }

        private static int Pick(int fromOptions, int? fromSpec) => fromOptions != 0 ? fromOptions : fromSpec ?? 0;
    }
}
