using System.Diagnostics.CodeAnalysis;

namespace Netmap.Io.Ports;

/// <summary>
/// Parses port specs as libnetmap's <c>nmport_parse</c> does (netmap-notes §10): <c>netmap:NAME</c>,
/// <c>valeB:P</c> and this project's <c>null[:NAME]</c> and <c>tap:NAME</c>, then ring mode, flags, memory id and
/// options; and this project's file ports <c>pcap:PATH</c> and <c>pcap-out:PATH</c>, whose path is the rest of the spec.
/// </summary>
public static class PortSpecParser
{
    // nr_name is 64 bytes including the terminator.
    private const int MaxNameLength = 63;

    // NETMAP_RING_MASK: a ring id must be below it.
    private const int RingMask = 0xfff;

    private const string PcapPrefix = "pcap:";
    private const string PcapOutPrefix = "pcap-out:";

    /// <summary>The prefix of TAP port names (<c>tap:NAME</c>), which the registered name keeps.</summary>
    internal const string TapPrefix = "tap:";

    // Every prefix, as the unknown-prefix error names it: one entry per PortPrefix (Spelling), so a new kind
    // of port cannot be left out of the list (one without a spelling fails the parser's first use, in every test).
    private static readonly string KnownPrefixes = ListPrefixes();

    // A null port needs an existing memory region; region 1 is the global one.

    private static readonly string[] ShareKeys = ["port"];
    private static readonly string[] ExtmemKeys = ["file", "if-num", "if-size", "ring-num", "ring-size", "buf-num", "buf-size"];
    private static readonly string[] OffsetKeys = ["initial", "bits"];
    private static readonly string[] ChecksumKeys = ["tx", "rx"];
    private static readonly string[] ConfKeys =
        ["rings", "host-rings", "slots", "tx-rings", "rx-rings", "host-tx-rings", "host-rx-rings", "tx-slots", "rx-slots"];

    private enum OptionKind
    {
        Share,
        Conf,
        Extmem,
        Offset,
        Checksum,
    }

    /// <summary>Parses the whole spec: name, ring mode, flags, memory id and the <c>@</c> options.</summary>
    /// <exception cref="PortSpecException">The spec is malformed (EINVAL) or uses a disabled option (EOPNOTSUPP).</exception>
    public static PortSpec Parse(string spec, bool enableOffsetOption = false)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var error = Decode(spec, parseOptions: true, enableOffsetOption, out var result);
        return error is null ? result! : throw error;
    }

    /// <summary>
    /// Runs only the header and register decoders (the two columns of netmap's parse table): the option
    /// list is left unparsed in <see cref="PortSpec.Suffix"/> and <see cref="PortSpec.Options"/> is empty.
    /// </summary>
    /// <exception cref="PortSpecException">The name or the mode suffix is malformed (EINVAL).</exception>
    public static PortSpec ParseHeaderAndMode(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var error = Decode(spec, parseOptions: false, enableOffsetOption: false, out var result);
        return error is null ? result! : throw error;
    }

    /// <summary>Like <see cref="Parse"/>, but returns the failure instead of throwing it.</summary>
    public static bool TryParse(
        string spec,
        [NotNullWhen(true)] out PortSpec? result,
        [NotNullWhen(false)] out PortSpecException? error,
        bool enableOffsetOption = false)
    {
        ArgumentNullException.ThrowIfNull(spec);
        error = Decode(spec, parseOptions: true, enableOffsetOption, out result);
        return error is null;
    }

    /// <summary>Decodes an option list on its own (it must start with <c>@</c>); positions are within it.</summary>
    internal static PortSpecOptions ParseOptions(string options, bool enableOffsetOption = false)
    {
        ArgumentNullException.ThrowIfNull(options);
        var error = DecodeOptions(options, 0, enableOffsetOption, out var result);
        return error is null ? result : throw error;
    }

    private static PortSpecException? Decode(string spec, bool parseOptions, bool enableOffsetOption, out PortSpec? result)
    {
        result = null;
        var error = DecodeHeader(spec, out var header);
        if (error is not null)
            return error;

        error = DecodeRegister(spec, header, out var register);
        if (error is not null)
            return error;

        var options = PortSpecOptions.Empty;
        if (parseOptions)
        {
            error = DecodeOptions(spec, register.OptionsStart, enableOffsetOption, out options);
            if (error is not null)
                return error;
        }

        var memId = register.MemId;

        var brace = header.Brace;
        result = new PortSpec
        {
            Spec = spec,
            Prefix = header.Prefix,
            Name = spec[header.NameStart..header.NameEnd],
            Mode = register.Mode,
            RingId = register.RingId,
            Flags = register.Flags,
            MemId = memId,
            Suffix = spec[register.OptionsStart..],
            Options = options,
            PipeParent = brace < 0 ? null : spec[header.NameStart..brace],
            PipeId = brace < 0 ? null : spec[(brace + 1)..header.NameEnd],
            IsPipeMaster = brace >= 0 && spec[brace] == '{',
        };
        return null;
    }

    // ---- Header: prefix and port name (nmreq_header_decode) -----------------------------------------

    private readonly record struct Header(PortPrefix Prefix, int NameStart, int NameEnd, int Brace);

    private static PortSpecException? DecodeHeader(string spec, out Header header)
    {
        header = default;
        if (spec.Length == 0)
            return HeaderError(spec, 0, $"empty port spec: found {At(spec, 0)}");

        PortPrefix prefix;
        int nameStart;
        int portStart;
        if (spec.StartsWith("netmap", StringComparison.Ordinal))
        {
            // netmap takes no identifier (unlike vale) and is not part of nr_name.
            if (spec.Length == 6 || spec[6] != ':')
                return HeaderError(spec, 6, $"expected ':' right after 'netmap', found {At(spec, 6)}");
            prefix = PortPrefix.Netmap;
            nameStart = 7;
            portStart = 7;
        }
        else if (spec.StartsWith("vale", StringComparison.Ordinal))
        {
            var colon = 4;
            while (colon < spec.Length && IsIdentifierChar(spec[colon]))
                colon++;
            if (colon == spec.Length || spec[colon] != ':')
                return HeaderError(spec, colon, $"invalid VALE bridge name: expected [A-Za-z0-9_] or ':', found {At(spec, colon)}");
            prefix = PortPrefix.Vale;
            nameStart = 0;
            portStart = colon + 1;
        }
        else if (spec.StartsWith("null", StringComparison.Ordinal))
        {
            if (spec.Length == 4 || IsModeSeparator(spec[4]))
            {
                header = new Header(PortPrefix.Null, 0, 4, -1);
                return null;
            }

            if (spec[4] != ':')
                return HeaderError(spec, 4, $"expected ':' or the end of the name after 'null', found {At(spec, 4)}");
            prefix = PortPrefix.Null;
            nameStart = 0;
            portStart = 5;
        }
        else if (spec.StartsWith("pcap", StringComparison.Ordinal))
        {
            return DecodePcapHeader(spec, out header);
        }
        else if (spec.StartsWith(TapPrefix, StringComparison.Ordinal))
        {
            // tap:NAME (a Linux TAP as a NIC port): netmap's grammar after the prefix, which the name keeps.
            prefix = PortPrefix.Tap;
            nameStart = 0;
            portStart = TapPrefix.Length;
        }
        else
        {
            return HeaderError(spec, 0, $"unknown prefix (expected {KnownPrefixes}): found {At(spec, 0)}");
        }

        // The port part ends at the first mode separator; it is [A-Za-z0-9_.]+ with at most one pipe
        // part '{ID' or '}ID' (ID = [A-Za-z0-9_]+). Anything else, ':' and whitespace included, is rejected.
        var end = portStart;
        while (end < spec.Length && !IsModeSeparator(spec[end]))
            end++;

        var brace = -1;
        for (var i = portStart; i < end; i++)
        {
            var c = spec[i];
            if (c is '{' or '}')
            {
                if (prefix is PortPrefix.Null or PortPrefix.Tap)
                    return HeaderError(spec, i, $"a {(prefix == PortPrefix.Tap ? "TAP" : "null")} port cannot be a pipe end: unexpected {At(spec, i)}");
                if (brace >= 0)
                    return HeaderError(spec, i, $"only one pipe brace is allowed: unexpected {At(spec, i)}");
                // netmap:{x passes here (the port layer rejects the empty parent); a VALE port needs a name.
                if (i == portStart && prefix != PortPrefix.Netmap)
                    return HeaderError(spec, i, $"empty port name: found {At(spec, i)}");
                brace = i;
            }
            else if (!IsIdentifierChar(c) && (c != '.' || brace >= 0))
            {
                return brace < 0
                    ? HeaderError(spec, i, $"invalid character in port name: {At(spec, i)}")
                    : HeaderError(spec, i, $"invalid character in pipe id: {At(spec, i)}");
            }
        }

        if (end == portStart)
            return HeaderError(spec, portStart, $"empty port name: found {At(spec, portStart)}");
        if (brace >= 0 && brace == end - 1)
            return HeaderError(spec, end, $"empty pipe id after '{spec[brace]}': found {At(spec, end)}");

        var nameLength = end - nameStart;
        if (nameLength > MaxNameLength)
        {
            var limit = nameStart + MaxNameLength;
            return HeaderError(spec, limit, $"port name too long ({nameLength} characters, at most {MaxNameLength}): {At(spec, limit)} is past the limit");
        }

        header = new Header(prefix, nameStart, end, brace);
        return null;
    }

    /// <summary>How a spec of this kind starts (<c>vale</c> and <c>null</c> without the ':': a bridge name or nothing may follow).</summary>
    private static string Spelling(PortPrefix prefix) => prefix switch
    {
        PortPrefix.Netmap => "netmap:",
        PortPrefix.Vale => "vale",
        PortPrefix.Null => "null",
        PortPrefix.Pcap => PcapPrefix,
        PortPrefix.PcapOut => PcapOutPrefix,
        PortPrefix.Tap => TapPrefix,
        _ => throw new ArgumentOutOfRangeException(nameof(prefix), prefix, "a prefix with no spelling"),
    };

    // 'netmap:', 'vale', ... or 'tap:', in the enum's order.
    private static string ListPrefixes()
    {
        var quoted = Array.ConvertAll(Enum.GetValues<PortPrefix>(), prefix => $"'{Spelling(prefix)}'");
        return string.Join(", ", quoted[..^1]) + " or " + quoted[^1];
    }

    // pcap:PATH and pcap-out:PATH (this project's file ports): the path is the whole rest of the spec, any
    // characters included ('/', '-', '@' are path characters here), so there is no mode, flag or option.
    private static PortSpecException? DecodePcapHeader(string spec, out Header header)
    {
        header = default;
        PortPrefix prefix;
        int pathStart;
        if (spec.StartsWith(PcapOutPrefix, StringComparison.Ordinal))
        {
            (prefix, pathStart) = (PortPrefix.PcapOut, PcapOutPrefix.Length);
        }
        else if (spec.StartsWith(PcapPrefix, StringComparison.Ordinal))
        {
            (prefix, pathStart) = (PortPrefix.Pcap, PcapPrefix.Length);
        }
        else
        {
            // Point at the first character that leaves both prefixes ("pcap-in:x" at 5, "pcap-out" at 8).
            var at = 4;
            if (spec.Length > 4 && spec[4] == '-')
            {
                while (at < PcapOutPrefix.Length && at < spec.Length && spec[at] == PcapOutPrefix[at])
                    at++;
            }

            return HeaderError(spec, at, $"expected 'pcap:' or 'pcap-out:', found {At(spec, at)}");
        }

        if (pathStart == spec.Length)
            return HeaderError(spec, pathStart, "a pcap port needs a file path");

        header = new Header(prefix, pathStart, spec.Length, -1);
        return null;
    }

    // ---- Register: ring mode, flags, memory id (nmreq_register_decode) --------------------------------

    private readonly record struct Register(RegisterMode Mode, uint RingId, RegisterFlags Flags, ushort MemId, int OptionsStart);

    private enum RegisterState
    {
        Start,
        RingSuffixOk,
        GetNumber,
        Flags,
        FlagsOk,
        MemId,
        OneSw,
    }

    private static PortSpecException? DecodeRegister(string spec, Header header, out Register register)
    {
        register = default;
        var isNull = header.Prefix == PortPrefix.Null;
        var mode = isNull ? RegisterMode.Null : RegisterMode.AllNic;
        var ringId = 0u;
        var flags = RegisterFlags.None;
        var memId = 0;
        var state = RegisterState.Start;
        var i = header.NameEnd;
        while (i < spec.Length)
        {
            var c = spec[i];
            switch (state)
            {
                case RegisterState.Start:
                    if (isNull && c is '^' or '*' or '-')
                        return RegisterError(spec, i, $"a null port takes no ring selection: unexpected {At(spec, i)}");
                    switch (c)
                    {
                        case '^':
                            mode = RegisterMode.Sw;
                            state = RegisterState.OneSw;
                            break;
                        case '*':
                            mode = RegisterMode.NicSw;
                            state = RegisterState.RingSuffixOk;
                            break;
                        case '-':
                            mode = RegisterMode.OneNic;
                            state = RegisterState.GetNumber;
                            break;
                        case '/':
                            state = RegisterState.Flags;
                            break;
                        case '@':
                            state = RegisterState.MemId;
                            break;
                        default:
                            return RegisterError(spec, i, $"unknown modifier {At(spec, i)}");
                    }

                    i++;
                    break;

                case RegisterState.RingSuffixOk:
                    if (c == '/')
                        state = RegisterState.Flags;
                    else if (c == '@')
                        state = RegisterState.MemId;
                    else
                        return RegisterError(spec, i, $"unexpected character (only '/' or '@' may follow): {At(spec, i)}");
                    i++;
                    break;

                case RegisterState.GetNumber:
                {
                    if (!char.IsAsciiDigit(c))
                        return RegisterError(spec, i, $"expected a ring number, found {At(spec, i)}");
                    var start = i;
                    var number = ReadNumber(spec, ref i, RingMask);
                    if (number >= RingMask)
                        return RegisterError(spec, start, $"ring number {spec[start..i]} out of range [0, {RingMask}) {At(spec, start)}");
                    ringId = (uint)number;
                    state = RegisterState.RingSuffixOk;
                    break;
                }

                case RegisterState.Flags:
                case RegisterState.FlagsOk:
                    if (c == '@')
                    {
                        // An empty flag section is fine when a memory id or an option follows.
                        state = RegisterState.MemId;
                        i++;
                        break;
                    }

                    var flag = FlagOf(c);
                    if (flag == RegisterFlags.None)
                        return RegisterError(spec, i, $"unknown flag {At(spec, i)}");
                    flags |= flag;
                    state = RegisterState.FlagsOk;
                    i++;
                    break;

                case RegisterState.MemId:
                {
                    if (!char.IsAsciiDigit(c))
                    {
                        // '@' not followed by a digit: the option list starts at that '@'.
                        register = new Register(mode, ringId, flags, (ushort)memId, i - 1);
                        return null;
                    }

                    var start = i;
                    var number = ReadNumber(spec, ref i, ushort.MaxValue);
                    if (number == 0)
                        return RegisterError(spec, start, $"memory id must be > 0: {At(spec, start)}");
                    if (number > ushort.MaxValue)
                        return RegisterError(spec, start, $"memory id {spec[start..i]} out of range [1, {ushort.MaxValue}] {At(spec, start)}");
                    if (memId != 0 && memId != number)
                        return RegisterError(spec, start, $"memory id {number} conflicts with @{memId} given before: {At(spec, start)}");
                    memId = (int)number;
                    state = RegisterState.RingSuffixOk;
                    break;
                }

                case RegisterState.OneSw:
                    // '^N' selects one host ring; a bare '^' all of them. The character is not consumed.
                    if (char.IsAsciiDigit(c))
                    {
                        mode = RegisterMode.OneSw;
                        state = RegisterState.GetNumber;
                    }
                    else
                    {
                        state = RegisterState.RingSuffixOk;
                    }

                    break;
            }
        }

        switch (state)
        {
            case RegisterState.GetNumber:
                return RegisterError(spec, i, $"expected a ring number, found {At(spec, i)}");
            case RegisterState.Flags:
                return RegisterError(spec, i, $"empty flags section: expected one of x z t r R T, found {At(spec, i)}");
            case RegisterState.MemId:
                return RegisterError(spec, i, $"empty memory id: expected a number after '@', found {At(spec, i)}");
        }

        register = new Register(mode, ringId, flags, (ushort)memId, spec.Length);
        return null;
    }

    private static RegisterFlags FlagOf(char c) => c switch
    {
        'x' => RegisterFlags.Exclusive,
        'z' => RegisterFlags.ZcopyMon,
        't' => RegisterFlags.MonitorTx,
        'r' => RegisterFlags.MonitorRx,
        'R' => RegisterFlags.RxRingsOnly,
        'T' => RegisterFlags.TxRingsOnly,
        _ => RegisterFlags.None,
    };

    // Reads a run of ASCII digits (strtol); saturates just above cap so callers can report "out of range".
    private static long ReadNumber(string spec, ref int i, long cap)
    {
        long value = 0;
        for (; i < spec.Length && char.IsAsciiDigit(spec[i]); i++)
        {
            if (value <= cap)
                value = (value * 10) + (spec[i] - '0');
        }

        return value;
    }

    // ---- Options: the @option list (nmreq_options_decode, nmport_opt_*_parser) -------------------------

    private static PortSpecException? DecodeOptions(string spec, int start, bool enableOffsetOption, out PortSpecOptions options)
    {
        options = PortSpecOptions.Empty;
        if (start == spec.Length)
            return null;
        if (spec[start] != '@')
            return OptionError(spec, start, $"option list must start with '@', found {At(spec, start)}");

        var state = new OptionState();
        var i = start;
        do
        {
            var optionStart = i + 1;
            var optionEnd = spec.IndexOf('@', optionStart);
            if (optionEnd < 0)
                optionEnd = spec.Length;
            if (optionEnd == optionStart)
                return OptionError(spec, optionStart, $"empty option: found {At(spec, optionStart)}");

            var error = DecodeOption(spec, optionStart, optionEnd, enableOffsetOption, state);
            if (error is not null)
                return error;
            i = optionEnd;
        }
        while (i < spec.Length);

        options = new PortSpecOptions
        {
            Share = state.Share,
            Conf = state.Conf,
            Extmem = state.Extmem,
            Offset = state.Offset,
            Checksum = state.Checksum,
        };
        return null;
    }

    private sealed class OptionState
    {
        public string? Share { get; set; }
        public ConfOption? Conf { get; set; }
        public ExtmemOption? Extmem { get; set; }
        public OffsetSpecOption? Offset { get; set; }
        public ChecksumSpecOption? Checksum { get; set; }
    }

    private static PortSpecException? DecodeOption(string spec, int start, int end, bool enableOffsetOption, OptionState state)
    {
        var nameEnd = start;
        while (nameEnd < end && spec[nameEnd] is not (':' or '='))
            nameEnd++;
        var name = spec[start..nameEnd];

        OptionKind kind;
        string[] keys;
        switch (name)
        {
            case "share":
                (kind, keys) = (OptionKind.Share, ShareKeys);
                break;
            case "conf":
                (kind, keys) = (OptionKind.Conf, ConfKeys);
                break;
            case "extmem":
                (kind, keys) = (OptionKind.Extmem, ExtmemKeys);
                break;
            case "offset":
                (kind, keys) = (OptionKind.Offset, OffsetKeys);
                break;
            case "csum":
                (kind, keys) = (OptionKind.Checksum, ChecksumKeys);
                break;
            default:
                return OptionError(spec, start, $"unknown option '{name}' at position {start}");
        }

        if (kind == OptionKind.Offset && !enableOffsetOption)
            return OptionError(spec, start, $"option 'offset' is not supported (disabled unless enabled at parse time) at position {start}", NetmapError.EOPNOTSUPP);

        // share, extmem and offset have a default key (index 0), which is also mandatory; conf has none.
        var hasDefaultKey = kind != OptionKind.Conf;
        var values = new string?[keys.Length];
        var valueAt = new int[keys.Length];
        if (nameEnd == end)
            return OptionError(spec, end, $"option '{name}' needs a body (':key=value' or '=value'): found {At(spec, end)}");

        if (spec[nameEnd] == '=')
        {
            if (!hasDefaultKey)
                return OptionError(spec, nameEnd, $"option '{name}' has no default key: unexpected {At(spec, nameEnd)}");
            if (nameEnd + 1 == end)
                return OptionError(spec, end, $"missing value for option '{name}': found {At(spec, end)}");
            values[0] = spec[(nameEnd + 1)..end];
            valueAt[0] = nameEnd + 1;
        }
        else
        {
            var error = DecodeKeys(spec, nameEnd + 1, end, name, keys, values, valueAt);
            if (error is not null)
                return error;
        }

        // csum's default key (tx) is optional: @csum:rx=verify alone is fine.
        if (hasDefaultKey && values[0] is null && kind != OptionKind.Checksum)
            return OptionError(spec, end, $"option '{name}' lacks its mandatory key '{keys[0]}': found {At(spec, end)}");

        return kind switch
        {
            OptionKind.Share => ApplyShare(spec, start, values, state),
            OptionKind.Conf => ApplyConf(values, state),
            OptionKind.Extmem => ApplyExtmem(spec, start, values, state),
            OptionKind.Checksum => ApplyChecksum(spec, values, valueAt, state),
            _ => ApplyOffset(spec, start, values, valueAt, state),
        };
    }

    // key=value[,key=value]*: '-' and '_' are the same in keys, an empty value leaves the key unset.
    private static PortSpecException? DecodeKeys(
        string spec, int start, int end, string option, string[] keys, string?[] values, int[] valueAt)
    {
        var seen = new bool[keys.Length];
        var k = start;
        while (true)
        {
            var keyEnd = k;
            while (keyEnd < end && spec[keyEnd] is not ('=' or ','))
                keyEnd++;
            if (keyEnd == k)
                return OptionError(spec, k, $"expected a key of option '{option}', found {At(spec, k)}");

            var key = spec.AsSpan(k, keyEnd - k);
            var id = KeyIndex(keys, key);
            if (id < 0)
                return OptionError(spec, k, $"unknown key '{key}' for option '{option}' at position {k}");
            if (seen[id])
                return OptionError(spec, k, $"duplicate key '{key}' in option '{option}' at position {k}");
            seen[id] = true;
            if (keyEnd == end || spec[keyEnd] == ',')
                return OptionError(spec, keyEnd, $"missing '=value' for key '{key}' of option '{option}': found {At(spec, keyEnd)}");

            var valueStart = keyEnd + 1;
            var valueEnd = valueStart;
            while (valueEnd < end && spec[valueEnd] != ',')
                valueEnd++;
            values[id] = valueEnd == valueStart ? null : spec[valueStart..valueEnd];
            valueAt[id] = valueStart;
            if (valueEnd == end)
                return null;
            k = valueEnd + 1;
        }
    }

    private static int KeyIndex(string[] keys, ReadOnlySpan<char> key)
    {
        for (var id = 0; id < keys.Length; id++)
        {
            var candidate = keys[id];
            if (candidate.Length != key.Length)
                continue;
            var j = 0;
            while (j < key.Length && (key[j] == '_' ? '-' : key[j]) == candidate[j])
                j++;
            if (j == key.Length)
                return id;
        }

        return -1;
    }

    private static PortSpecException? ApplyShare(string spec, int start, string?[] values, OptionState state)
    {
        var port = values[0]!;
        // The port layer resolves the name to a memory region; two different names cannot both be meant.
        if (state.Share is not null && state.Share != port)
            return OptionError(spec, start, $"option 'share' at position {start} names '{port}' but '{state.Share}' was given before");
        state.Share = port;
        return null;
    }

    // Each @conf applies its generic keys first and then the specific ones, whatever their textual
    // order (nmport_opt_conf_parser); repeated @conf options apply in turn over the same counts.
    private static PortSpecException? ApplyConf(string?[] v, OptionState state)
    {
        var conf = state.Conf ?? new ConfOption();
        if (v[0] is { } rings)
            conf = conf with { TxRings = Atoi(rings), RxRings = Atoi(rings) };
        if (v[1] is { } hostRings)
            conf = conf with { HostTxRings = Atoi(hostRings), HostRxRings = Atoi(hostRings) };
        if (v[2] is { } slots)
            conf = conf with { TxSlots = Atoi(slots), RxSlots = Atoi(slots) };
        if (v[3] is { } txRings)
            conf = conf with { TxRings = Atoi(txRings) };
        if (v[4] is { } rxRings)
            conf = conf with { RxRings = Atoi(rxRings) };
        if (v[5] is { } hostTxRings)
            conf = conf with { HostTxRings = Atoi(hostTxRings) };
        if (v[6] is { } hostRxRings)
            conf = conf with { HostRxRings = Atoi(hostRxRings) };
        if (v[7] is { } txSlots)
            conf = conf with { TxSlots = Atoi(txSlots) };
        if (v[8] is { } rxSlots)
            conf = conf with { RxSlots = Atoi(rxSlots) };
        state.Conf = conf;
        return null;
    }

    private static PortSpecException? ApplyExtmem(string spec, int start, string?[] v, OptionState state)
    {
        // libnetmap refuses a second external memory ("extmem already in use").
        if (state.Extmem is not null)
            return OptionError(spec, start, $"option 'extmem' repeated at position {start}");
        state.Extmem = new ExtmemOption
        {
            File = v[0]!,
            IfNum = AtoiOrNull(v[1]),
            IfSize = AtoiOrNull(v[2]),
            RingNum = AtoiOrNull(v[3]),
            RingSize = AtoiOrNull(v[4]),
            BufNum = AtoiOrNull(v[5]),
            BufSize = AtoiOrNull(v[6]),
        };
        return null;
    }

    private static PortSpecException? ApplyOffset(string spec, int start, string?[] v, int[] valueAt, OptionState state)
    {
        if (state.Offset is not null)
            return OptionError(spec, start, $"option 'offset' repeated at position {start}");
        var initial = Atoi(v[0]);
        if (initial < 0)
            return OptionError(spec, valueAt[0], $"offset 'initial' must not be negative: {At(spec, valueAt[0])}");
        var bits = v[1] is null ? 0 : Atoi(v[1]);
        if (bits < 0)
            return OptionError(spec, valueAt[1], $"offset 'bits' must not be negative: {At(spec, valueAt[1])}");
        state.Offset = new OffsetSpecOption { Initial = (ulong)initial, Bits = (uint)bits };
        return null;
    }

    // @csum:tx=sw|hw,rx=verify|none; a later @csum overrides the keys it gives.
    private static PortSpecException? ApplyChecksum(string spec, string?[] v, int[] valueAt, OptionState state)
    {
        var checksum = state.Checksum ?? new ChecksumSpecOption();
        if (v[0] is { } tx)
        {
            if (tx is not ("sw" or "hw"))
                return OptionError(spec, valueAt[0], $"csum 'tx' must be 'sw' (checksums filled in software) or 'hw' (left as written): {At(spec, valueAt[0])}");
            checksum = checksum with { SoftwareTx = tx == "sw" };
        }

        if (v[1] is { } rx)
        {
            if (rx is not ("verify" or "none"))
                return OptionError(spec, valueAt[1], $"csum 'rx' must be 'verify' or 'none': {At(spec, valueAt[1])}");
            checksum = checksum with { VerifyRx = rx == "verify" };
        }

        state.Checksum = checksum;
        return null;
    }

    private static int? AtoiOrNull(string? value) => value is null ? null : Atoi(value);

    // C's atoi: leading white space, an optional sign, then digits up to the first non-digit; no digits
    // gives 0 ("abc" -> 0, which netmap reads as "let the port choose"). Saturates instead of overflowing.
    private static int Atoi(ReadOnlySpan<char> text)
    {
        var i = 0;
        while (i < text.Length && text[i] is ' ' or '\t' or '\n' or '\v' or '\f' or '\r')
            i++;
        var negative = false;
        if (i < text.Length && text[i] is '+' or '-')
        {
            negative = text[i] == '-';
            i++;
        }

        long value = 0;
        for (; i < text.Length && char.IsAsciiDigit(text[i]); i++)
        {
            if (value <= int.MaxValue)
                value = (value * 10) + (text[i] - '0');
        }

        return (int)Math.Clamp(negative ? -value : value, int.MinValue, int.MaxValue);
    }

    // ---- Errors ------------------------------------------------------------------------------------

    private static bool IsIdentifierChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    private static bool IsModeSeparator(char c) => c is '-' or '*' or '^' or '/' or '@';

    // "'q' at position 12", or "end of spec at position 12" when the spec ended too early.
    private static string At(string spec, int position)
    {
        if (position >= spec.Length)
            return $"end of spec at position {position}";
        var c = spec[position];
        return char.IsControl(c)
            ? $"U+{(int)c:X4} at position {position}"
            : $"'{c}' at position {position}";
    }

    private static PortSpecException HeaderError(string spec, int position, string message) =>
        new(NetmapError.EINVAL, spec, PortSpecPhase.Header, position, message);

    private static PortSpecException RegisterError(string spec, int position, string message) =>
        new(NetmapError.EINVAL, spec, PortSpecPhase.Register, position, message);

    private static PortSpecException OptionError(string spec, int position, string message, NetmapError code = NetmapError.EINVAL) =>
        new(code, spec, PortSpecPhase.Options, position, message);
}
