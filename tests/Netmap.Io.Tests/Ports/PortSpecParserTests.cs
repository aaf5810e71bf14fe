using Netmap.Io.Ports;

namespace Netmap.Io.Tests.Ports;

// netmap utils/ctrl-api-test.c, nmreq_parsing table — objective: check libnetmap's header and register
// decoders on valid and invalid port names; operations: 1) decode the header 2) decode the register
// suffix 3) compare nr_name, the suffix left, nr_mode, nr_ringid, nr_flags and nr_mem_id.
// Rows as in netmap-notes §10 (the table and the "Extra cases" verified against HEAD).
public sealed class PortSpecParserTests
{
    public enum Outcome
    {
        Ok,
        Hdr,
        Reg,
    }

    /// <summary>One row of a parse table; <see cref="At"/> is the expected error position (-1 = unchecked).</summary>
    public sealed record Row(
        string Spec,
        Outcome Result,
        string Name = "",
        string Suffix = "",
        RegisterMode Mode = RegisterMode.AllNic,
        uint Ring = 0,
        RegisterFlags Flags = RegisterFlags.None,
        ushort MemId = 0,
        int At = -1,
        string? PipeParent = null,
        string? PipeId = null,
        bool IsPipeMaster = false)
    {
        public override string ToString() => Spec.Length == 0 ? "(empty)" : Spec;
    }

    private static Row Ok(string spec, string name, RegisterMode mode = RegisterMode.AllNic, uint ring = 0,
        RegisterFlags flags = RegisterFlags.None, ushort memId = 0, string suffix = "") =>
        new(spec, Outcome.Ok, name, suffix, mode, ring, flags, memId);

    private static Row Pipe(string spec, string name, string parent, string id, bool master,
        RegisterMode mode = RegisterMode.AllNic, uint ring = 0, RegisterFlags flags = RegisterFlags.None) =>
        new(spec, Outcome.Ok, name, "", mode, ring, flags, 0, -1, parent, id, master);

    private static Row Hdr(string spec, int at) => new(spec, Outcome.Hdr, At: at);

    private static Row Reg(string spec, int at, string suffix = "") => new(spec, Outcome.Reg, Suffix: suffix, At: at);

    private const RegisterFlags Excl = RegisterFlags.Exclusive;
    private const RegisterFlags TxOnly = RegisterFlags.TxRingsOnly;
    private const RegisterFlags RxOnly = RegisterFlags.RxRingsOnly;

    public static TheoryData<Row> NetmapTable => new()
    {
        Ok("netmap:eth0", "eth0"),
        Ok("netmap:eth0-1", "eth0", RegisterMode.OneNic, 1),
        Reg("netmap:eth0-", 12, suffix: "-"),
        Ok("netmap:eth0/x", "eth0", flags: Excl),
        Ok("netmap:eth0/z", "eth0", flags: RegisterFlags.ZcopyMon),
        Ok("netmap:eth0/r", "eth0", flags: RegisterFlags.MonitorRx),
        Ok("netmap:eth0/t", "eth0", flags: RegisterFlags.MonitorTx),
        Ok("netmap:eth0-2/Tx", "eth0", RegisterMode.OneNic, 2, TxOnly | Excl),
        Ok("netmap:eth0*", "eth0", RegisterMode.NicSw),
        Ok("netmap:eth0^", "eth0", RegisterMode.Sw),
        Ok("netmap:eth0@2", "eth0", memId: 2),
        Ok("netmap:eth0@2/R", "eth0", flags: RxOnly, memId: 2),
        Ok("netmap:eth0@netmap:lo/R", "eth0", suffix: "@netmap:lo/R"),
        Ok("netmap:eth0/R@xxx", "eth0", flags: RxOnly, suffix: "@xxx"),
        Ok("netmap:eth0@2/R@2", "eth0", flags: RxOnly, memId: 2),
        Reg("netmap:eth0@2/R@3", 16, suffix: "@2/R@3"),
        Reg("netmap:eth0@", 12, suffix: "@"),
        Hdr("netmap:", 7),
        Hdr("netmap:^", 7),
        Hdr("netmap:{", 8),
        // [table says hdr] HEAD accepts it; this project keeps the port name to [A-Za-z0-9_.]+ (netmap-notes,
        // "Decisions"), so the ':' is rejected and the row fails as ctrl-api-test.c's table expects.
        Hdr("netmap:vale0:0", 12),
        Hdr("eth0", 0),
        Ok("vale0:0", "vale0:0"),
        Ok("vale:0", "vale:0"),
        Ok("valeXXX:YYY", "valeXXX:YYY"),
        Ok("valeXXX:YYY-4", "valeXXX:YYY", RegisterMode.OneNic, 4),
        Hdr("netmapXXX:eth0", 6),
        Ok("netmap:14", "14"),
        // [table says hdr] HEAD accepts it; rejected here by the same project decision ('&' is not in the name set).
        Hdr("netmap:eth0&", 11),
        Pipe("netmap:pipe{0", "pipe{0", "pipe", "0", master: true),
        Pipe("netmap:pipe{in", "pipe{in", "pipe", "in", master: true),
        Pipe("netmap:pipe{in-7", "pipe{in", "pipe", "in", master: true, RegisterMode.OneNic, 7),
        Pipe("vale0:0{0", "vale0:0{0", "vale0:0", "0", master: true),
        Hdr("netmap:pipe{1}2", 13),
        Ok("vale0:0@opt", "vale0:0", suffix: "@opt"),
        Ok("vale0:0/Tx@opt", "vale0:0", flags: TxOnly | Excl, suffix: "@opt"),
        Ok("vale0:0-3@opt", "vale0:0", RegisterMode.OneNic, 3, suffix: "@opt"),
        Reg("vale0:0@", 8, suffix: "@"),
        Hdr("", 0),
    };

    public static TheoryData<Row> ExtraCases => new()
    {
        Ok("netmap:eth0^3", "eth0", RegisterMode.OneSw, 3),
        Ok("netmap:eth0^/x", "eth0", RegisterMode.Sw, flags: Excl),
        Reg("netmap:eth0/", 12),
        Reg("netmap:eth0/q", 12),
        Reg("netmap:eth0*-1", 12),
        Reg("netmap:eth0-1*", 13),
        Reg("netmap:eth0**", 12),
        Reg("netmap:eth0^-1", 12),
        Ok("netmap:eth0-4094", "eth0", RegisterMode.OneNic, 4094),
        Reg("netmap:eth0-4095", 12),
        Reg("netmap:eth0@0", 12),
        Ok("netmap:eth0/@2", "eth0", memId: 2),
        Reg("netmap:eth0@3@2", 14),
        Ok("netmap:eth0@2@conf:rings=2", "eth0", memId: 2, suffix: "@conf:rings=2"),
        Ok("netmap:eth0.123", "eth0.123"),
        // HEAD accepts it ("name as given"); this project rejects whitespace in port names (notes, "Decisions").
        Hdr("netmap:eth0 x", 11),
        Pipe("netmap:{x", "{x", "", "x", master: true),
        Hdr("netmap:a}", 9),
        Hdr("netmap:a{b{c", 10),
        Hdr("netmap:a}b{c", 10),
        Pipe("vale0:0}p-3/T", "vale0:0}p", "vale0:0", "p", master: false, RegisterMode.OneNic, 3, TxOnly),
        Hdr("vale 0:a", 4),
        Hdr("vale-x:a", 4),
    };

    [Theory]
    [MemberData(nameof(NetmapTable))]
    public void Netmap_table_row_parses_as_netmap_does(Row row) => Check(row);

    [Theory]
    [MemberData(nameof(ExtraCases))]
    public void Extra_case_parses_as_netmap_head_does(Row row) => Check(row);

    private static void Check(Row row)
    {
        if (row.Result == Outcome.Ok)
        {
            var spec = PortSpecParser.ParseHeaderAndMode(row.Spec);
            Assert.Equal(row.Spec, spec.Spec);
            Assert.Equal(row.Spec.StartsWith("vale", StringComparison.Ordinal) ? PortPrefix.Vale : PortPrefix.Netmap, spec.Prefix);
            Assert.Equal(row.Name, spec.Name);
            Assert.Equal(row.Suffix, spec.Suffix);
            Assert.Equal(row.Mode, spec.Mode);
            Assert.Equal(row.Ring, spec.RingId);
            Assert.Equal(row.Flags, spec.Flags);
            Assert.Equal(row.MemId, spec.MemId);
            Assert.Same(PortSpecOptions.Empty, spec.Options);
            Assert.Equal(row.PipeParent, spec.PipeParent);
            Assert.Equal(row.PipeId, spec.PipeId);
            Assert.Equal(row.IsPipeMaster, spec.IsPipeMaster);
            Assert.Equal(row.PipeId is not null, spec.IsPipe);
            return;
        }

        var error = Assert.Throws<PortSpecException>(() => PortSpecParser.ParseHeaderAndMode(row.Spec));
        Assert.Equal(NetmapError.EINVAL, error.Code);
        Assert.Equal(row.Result == Outcome.Hdr ? PortSpecPhase.Header : PortSpecPhase.Register, error.Phase);
        Assert.Equal(row.Spec, error.Subject);
        if (row.At >= 0)
            Assert.Equal(row.At, error.Position);
        if (row.Result == Outcome.Reg && row.Suffix.Length > 0)
        {
            // The header decoder succeeded: the register decoder failed within the suffix it was given.
            Assert.InRange(error.Position, row.Spec.Length - row.Suffix.Length, row.Spec.Length);
        }
    }

    [Theory]
    [InlineData(63, true)]
    [InlineData(64, false)]
    public void Netmap_name_must_fit_in_nr_name(int length, bool fits)
    {
        var spec = "netmap:" + new string('a', length) + "-1";
        if (fits)
        {
            Assert.Equal(length, PortSpecParser.Parse(spec).Name.Length);
            return;
        }

        var error = Assert.Throws<PortSpecException>(() => PortSpecParser.Parse(spec));
        Assert.Equal((NetmapError.EINVAL, PortSpecPhase.Header, 7 + 63), (error.Code, error.Phase, error.Position));
    }

    [Theory]
    [InlineData(63, true)]
    [InlineData(64, false)]
    public void Vale_name_keeps_its_prefix_within_the_nr_name_limit(int length, bool fits)
    {
        var spec = "vale0:" + new string('p', length - 6);
        if (fits)
        {
            Assert.Equal(spec, PortSpecParser.Parse(spec).Name);
            return;
        }

        var error = Assert.Throws<PortSpecException>(() => PortSpecParser.Parse(spec));
        Assert.Equal((NetmapError.EINVAL, PortSpecPhase.Header, 63), (error.Code, error.Phase, error.Position));
    }

    // ---- Options (libnetmap nmport_parse) ------------------------------------------------------------

    /// <summary>An option-list case: the expected options, or the expected error code and position.</summary>
    public sealed record OptionRow(
        string Spec,
        PortSpecOptions? Expected = null,
        NetmapError Error = NetmapError.None,
        int At = -1,
        bool EnableOffset = false)
    {
        public override string ToString() => EnableOffset ? Spec + " (offset enabled)" : Spec;
    }

    private static OptionRow Opts(string spec, PortSpecOptions expected, bool enableOffset = false) =>
        new(spec, expected, EnableOffset: enableOffset);

    private static OptionRow Bad(string spec, int at, NetmapError error = NetmapError.EINVAL, bool enableOffset = false) =>
        new(spec, Error: error, At: at, EnableOffset: enableOffset);

    private static PortSpecOptions Conf(int? tx = null, int? rx = null, int? hostTx = null, int? hostRx = null,
        int? txSlots = null, int? rxSlots = null) =>
        new()
        {
            Conf = new ConfOption
            {
                TxRings = tx,
                RxRings = rx,
                HostTxRings = hostTx,
                HostRxRings = hostRx,
                TxSlots = txSlots,
                RxSlots = rxSlots,
            },
        };

    public static TheoryData<OptionRow> OptionCases => new()
    {
        Opts("netmap:eth0", PortSpecOptions.Empty),
        Opts("netmap:eth0@share=netmap:eth1", new PortSpecOptions { Share = "netmap:eth1" }),
        Opts("vale0:0@share:port=vale0:1", new PortSpecOptions { Share = "vale0:1" }),
        Opts("netmap:eth0@share=vale0:1@share=vale0:1", new PortSpecOptions { Share = "vale0:1" }),
        Opts("netmap:eth0@conf:rings=2", Conf(tx: 2, rx: 2)),
        // Specific keys win over generic ones whatever the textual order.
        Opts("netmap:eth0@conf:tx-rings=3,rings=2", Conf(tx: 3, rx: 2)),
        Opts("netmap:eth0@conf:rx_rings=3,rings=2", Conf(tx: 2, rx: 3)),
        Opts("netmap:eth0@conf:rx-slots=256,slots=1024,tx-slots=512,host-rings=1",
            Conf(hostTx: 1, hostRx: 1, txSlots: 512, rxSlots: 256)),
        Opts("netmap:eth0@conf:host-tx-rings=2,host_rx_rings=3", Conf(hostTx: 2, hostRx: 3)),
        // Repeated @conf options are merged, each applied in turn (nmport_opt_conf_parser per option).
        Opts("netmap:eth0@conf:rings=2@conf:slots=4", Conf(tx: 2, rx: 2, txSlots: 4, rxSlots: 4)),
        Opts("netmap:eth0@conf:tx-rings=3@conf:rings=2", Conf(tx: 2, rx: 2)),
        // Values are atoi'd: no digits is 0 ("let the port choose"), trailing text is ignored.
        Opts("netmap:eth0@conf:rings=abc", Conf(tx: 0, rx: 0)),
        Opts("netmap:eth0@conf:rings=12abc", Conf(tx: 12, rx: 12)),
        // An empty value leaves the key unset.
        Opts("netmap:eth0@conf:rings=", Conf()),
        Opts("netmap:eth0@2@conf:rings=2", Conf(tx: 2, rx: 2)),
        Opts("netmap:eth0/R@conf:slots=8@share=netmap:eth1",
            new PortSpecOptions { Share = "netmap:eth1", Conf = new ConfOption { TxSlots = 8, RxSlots = 8 } }),
        Opts("netmap:eth0@extmem=/dev/shm/mem", new PortSpecOptions { Extmem = new ExtmemOption { File = "/dev/shm/mem" } }),
        Opts("netmap:eth0@extmem:if-num=1,file=m,if-size=2,ring-num=3,ring-size=4,buf-num=5,buf_size=6",
            new PortSpecOptions
            {
                Extmem = new ExtmemOption { File = "m", IfNum = 1, IfSize = 2, RingNum = 3, RingSize = 4, BufNum = 5, BufSize = 6 },
            }),
        Opts("netmap:eth0@offset:initial=64,bits=8", new PortSpecOptions { Offset = new OffsetSpecOption { Initial = 64, Bits = 8 } }, enableOffset: true),
        Opts("netmap:eth0@offset=128", new PortSpecOptions { Offset = new OffsetSpecOption { Initial = 128 } }, enableOffset: true),

        // Errors: positions point at the offending character, or the end of the option.
        Bad("netmap:eth0@@", 12),                          // empty option ('@' escapes to options, then "@@")
        Bad("netmap:eth0@conf:rings=2@", 25),             // trailing '@': empty option
        Bad("netmap:eth0@foo", 12),                        // unknown option
        Bad("netmap:eth0@Conf:rings=2", 12),               // option names are case-sensitive
        Bad("netmap:eth0@netmap:lo/R", 12),                // fine for the header and mode decoders, not for options
        Bad("netmap:eth0@offset:initial=64", 12, NetmapError.EOPNOTSUPP),
        Bad("netmap:eth0@offset=1", 12, NetmapError.EOPNOTSUPP),
        Bad("netmap:eth0@offset", 12, NetmapError.EOPNOTSUPP), // disabled is reported before the missing body
        Bad("netmap:eth0@conf", 16),                       // no body
        Bad("netmap:eth0@extmem", 18),                     // no body
        Bad("netmap:eth0@share@conf:rings=1", 17),         // no body, ends at the next '@'
        Bad("netmap:eth0@conf=2", 16),                     // '=value' but conf has no default key
        Bad("netmap:eth0@share=", 18),                     // empty default value
        Bad("netmap:eth0@conf:ring=2", 17),                // unknown key
        Bad("netmap:eth0@conf:rings=2,rings=3", 25),       // duplicate key
        Bad("netmap:eth0@conf:tx_rings=2,tx-rings=3", 28), // duplicate key ('-' and '_' are the same)
        Bad("netmap:eth0@conf:rings", 22),                 // key without '=value'
        Bad("netmap:eth0@conf:rings,slots=2", 22),         // key without '=value'
        Bad("netmap:eth0@conf:", 17),                      // ':' with no key
        Bad("netmap:eth0@conf:rings=2,", 25),              // trailing ',' with no key
        Bad("netmap:eth0@offset:bits=8", 25, enableOffset: true), // mandatory 'initial' missing
        Bad("netmap:eth0@offset", 18, enableOffset: true), // no body
        Bad("netmap:eth0@offset=-1", 19, enableOffset: true), // negative offset
        Bad("netmap:eth0@extmem:if-num=2", 27),            // mandatory 'file' missing
        Bad("netmap:eth0@share:port=", 23),                // mandatory 'port' left empty
        Bad("netmap:eth0@extmem=a@extmem=b", 21),          // a second external memory
        Bad("netmap:eth0@share=vale0:1@share=vale0:2", 26), // two different regions to share
    };

    [Theory]
    [MemberData(nameof(OptionCases))]
    public void Option_list_decodes_as_nmport_parse_does(OptionRow row)
    {
        var ok = PortSpecParser.TryParse(row.Spec, out var spec, out var error, row.EnableOffset);
        if (row.Error == NetmapError.None)
        {
            Assert.True(ok, error?.Message);
            Assert.Null(error);
            Assert.Equal(row.Expected, spec!.Options);
            return;
        }

        Assert.False(ok);
        Assert.Null(spec);
        Assert.Equal((row.Error, PortSpecPhase.Options, row.At), (error!.Code, error.Phase, error.Position));
        Assert.Equal(row.Error, Assert.Throws<PortSpecException>(() => PortSpecParser.Parse(row.Spec, row.EnableOffset)).Code);
    }

    [Fact]
    public void Parse_keeps_the_raw_option_text_in_the_suffix()
    {
        var spec = PortSpecParser.Parse("netmap:eth0-1/x@2@conf:rings=2@share=netmap:eth1");

        Assert.Equal(("eth0", RegisterMode.OneNic, 1u, Excl, (ushort)2), (spec.Name, spec.Mode, spec.RingId, spec.Flags, spec.MemId));
        Assert.Equal("@conf:rings=2@share=netmap:eth1", spec.Suffix);
        Assert.Equal("netmap:eth1", spec.Options.Share);
        Assert.Equal(2, spec.Options.Conf!.TxRings);
    }

    [Fact]
    public void Option_list_that_does_not_start_with_an_at_sign_is_rejected()
    {
        var error = Assert.Throws<PortSpecException>(() => PortSpecParser.ParseOptions("conf:rings=2"));

        Assert.Equal((NetmapError.EINVAL, PortSpecPhase.Options, 0), (error.Code, error.Phase, error.Position));
        Assert.Contains("'c' at position 0", error.Message, StringComparison.Ordinal);
    }

    // ---- Null ports (this project's extension, NR_REG_NULL) -----------------------------------------
    // Without @N the spec carries mem id 0; the domain opens null ports in region 1 then.

    public static TheoryData<Row> NullCases => new()
    {
        Ok("null", "null", RegisterMode.Null, memId: 0),
        Ok("null:foo", "null:foo", RegisterMode.Null, memId: 0),
        Ok("null:eth0.5", "null:eth0.5", RegisterMode.Null, memId: 0),
        Ok("null/x", "null", RegisterMode.Null, flags: Excl, memId: 0),
        Ok("null:foo/TR", "null:foo", RegisterMode.Null, flags: TxOnly | RxOnly, memId: 0),
        Ok("null@2", "null", RegisterMode.Null, memId: 2),
        Ok("null:foo@3/T", "null:foo", RegisterMode.Null, flags: TxOnly, memId: 3),
        Ok("null:foo@conf:rings=2", "null:foo", RegisterMode.Null, memId: 0, suffix: "@conf:rings=2"),
        Reg("null-1", 4),
        Reg("null*", 4),
        Reg("null^", 4),
        Reg("null:a-0", 6),
        Reg("null:a@2*", 8),
        Reg("null:a/x-1", 8),
        Hdr("null:", 5),
        Hdr("null:/x", 5),
        Hdr("null:a{b", 6),
        Hdr("null:a b", 6),
        Hdr("null:a:b", 6),
        Hdr("nullx", 4),
        Hdr("nullify:x", 4),
    };

    [Theory]
    [MemberData(nameof(NullCases))]
    public void Null_port_spec_parses_with_its_own_rules(Row row)
    {
        if (row.Result != Outcome.Ok)
        {
            var error = Assert.Throws<PortSpecException>(() => PortSpecParser.Parse(row.Spec));
            Assert.Equal(NetmapError.EINVAL, error.Code);
            Assert.Equal(row.Result == Outcome.Hdr ? PortSpecPhase.Header : PortSpecPhase.Register, error.Phase);
            Assert.Equal(row.At, error.Position);
            return;
        }

        var spec = PortSpecParser.Parse(row.Spec);
        Assert.Equal(PortPrefix.Null, spec.Prefix);
        Assert.Equal(row.Name, spec.Name);
        Assert.Equal(row.Mode, spec.Mode);
        Assert.Equal(0u, spec.RingId);
        Assert.Equal(row.Flags, spec.Flags);
        Assert.Equal(row.MemId, spec.MemId);
        Assert.Equal(row.Suffix, spec.Suffix);
        Assert.False(spec.IsPipe);
    }

    [Fact]
    public void Netmap_port_named_null_is_not_a_null_port()
    {
        var spec = PortSpecParser.Parse("netmap:null");

        Assert.Equal((PortPrefix.Netmap, "null", RegisterMode.AllNic, (ushort)0), (spec.Prefix, spec.Name, spec.Mode, spec.MemId));
    }

    // ---- File ports (this project's pcap:PATH and pcap-out:PATH) --------------------------------------
    // The path is the whole rest of the spec: no mode, flag, memory id or option is decoded from it.

    public sealed record FileRow(string Spec, PortPrefix Prefix, string Path)
    {
        public override string ToString() => Spec;
    }

    public static TheoryData<FileRow> FileCases => new()
    {
        new("pcap:x.pcap", PortPrefix.Pcap, "x.pcap"),
        new("pcap:pipelines/samples/mixed.pcap", PortPrefix.Pcap, "pipelines/samples/mixed.pcap"),
        new("pcap:/tmp/a-b/c.d/e@2.pcapng", PortPrefix.Pcap, "/tmp/a-b/c.d/e@2.pcapng"),
        new("pcap:../in/x-1*^/x@conf:rings=2", PortPrefix.Pcap, "../in/x-1*^/x@conf:rings=2"),
        new("pcap: spaced name.pcap", PortPrefix.Pcap, " spaced name.pcap"),
        new("pcap:pcap-out:x", PortPrefix.Pcap, "pcap-out:x"),
        new("pcap-out:out/lan.pcap", PortPrefix.PcapOut, "out/lan.pcap"),
        new("pcap-out:/var/tmp/x{1}-2/y.pcap", PortPrefix.PcapOut, "/var/tmp/x{1}-2/y.pcap"),
        new("pcap-out:-", PortPrefix.PcapOut, "-"),
    };

    [Theory]
    [MemberData(nameof(FileCases))]
    public void File_port_name_is_the_whole_path_after_the_prefix(FileRow row)
    {
        foreach (var spec in new[] { PortSpecParser.Parse(row.Spec), PortSpecParser.ParseHeaderAndMode(row.Spec), PortSpecParser.Parse(row.Spec, enableOffsetOption: true) })
        {
            Assert.Equal(row.Spec, spec.Spec);
            Assert.Equal(row.Prefix, spec.Prefix);
            Assert.Equal(row.Path, spec.Name);
            Assert.Equal((RegisterMode.AllNic, 0u, RegisterFlags.None, (ushort)0), (spec.Mode, spec.RingId, spec.Flags, spec.MemId));
            Assert.Equal(string.Empty, spec.Suffix);
            Assert.Same(PortSpecOptions.Empty, spec.Options);
            Assert.False(spec.IsPipe);
        }
    }

    [Theory]
    [InlineData("pcap:", 5, "pcap:: EINVAL: a pcap port needs a file path")]
    [InlineData("pcap-out:", 9, "pcap-out:: EINVAL: a pcap port needs a file path")]
    [InlineData("pcap", 4, "pcap: EINVAL: expected 'pcap:' or 'pcap-out:', found end of spec at position 4")]
    [InlineData("pcapng:x.pcapng", 4, "pcapng:x.pcapng: EINVAL: expected 'pcap:' or 'pcap-out:', found 'n' at position 4")]
    [InlineData("pcap-in:x", 5, "pcap-in:x: EINVAL: expected 'pcap:' or 'pcap-out:', found 'i' at position 5")]
    [InlineData("pcap-out", 8, "pcap-out: EINVAL: expected 'pcap:' or 'pcap-out:', found end of spec at position 8")]
    [InlineData("pcap-outx:y", 8, "pcap-outx:y: EINVAL: expected 'pcap:' or 'pcap-out:', found 'x' at position 8")]
    public void File_port_without_a_path_or_with_a_bad_prefix_is_a_header_error(string spec, int at, string message)
    {
        var error = Assert.Throws<PortSpecException>(() => PortSpecParser.Parse(spec));

        Assert.Equal((NetmapError.EINVAL, PortSpecPhase.Header, at), (error.Code, error.Phase, error.Position));
        Assert.Equal(message, error.Message);
    }

    // ---- Messages ----------------------------------------------------------------------------------

    [Theory]
    [InlineData("netmap:eth0/q", "netmap:eth0/q: EINVAL: unknown flag 'q' at position 12")]
    [InlineData("netmap:eth0&", "netmap:eth0&: EINVAL: invalid character in port name: '&' at position 11")]
    [InlineData("netmap:eth0-", "netmap:eth0-: EINVAL: expected a ring number, found end of spec at position 12")]
    [InlineData("vale 0:a", "vale 0:a: EINVAL: invalid VALE bridge name: expected [A-Za-z0-9_] or ':', found ' ' at position 4")]
    [InlineData("netmap:eth0@conf:ring=2", "netmap:eth0@conf:ring=2: EINVAL: unknown key 'ring' for option 'conf' at position 17")]
    [InlineData("eth0", "eth0: EINVAL: unknown prefix (expected 'netmap:', 'vale', 'null', 'pcap:', 'pcap-out:' or 'tap:'): found 'e' at position 0")]
    [InlineData("foo:bar", "foo:bar: EINVAL: unknown prefix (expected 'netmap:', 'vale', 'null', 'pcap:', 'pcap-out:' or 'tap:'): found 'f' at position 0")]
    public void Error_message_names_the_spec_the_character_and_its_position(string spec, string message)
    {
        var error = Assert.Throws<PortSpecException>(() => PortSpecParser.Parse(spec));

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Disabled_offset_option_says_not_supported()
    {
        Assert.False(PortSpecParser.TryParse("netmap:eth0@offset=1", out _, out var error));

        Assert.StartsWith("netmap:eth0@offset=1: EOPNOTSUPP: option 'offset' is not supported", error.Message, StringComparison.Ordinal);
        Assert.Equal(12, error.Position);
    }

    [Fact]
    public void Empty_spec_reports_position_zero()
    {
        Assert.False(PortSpecParser.TryParse(string.Empty, out var spec, out var error));

        Assert.Null(spec);
        Assert.Equal((PortSpecPhase.Header, 0, string.Empty), (error.Phase, error.Position, error.Subject));
        Assert.Equal("EINVAL: empty port spec: found end of spec at position 0", error.Message);
    }

    [Fact]
    public void Unknown_prefix_error_names_every_kind_of_port_and_only_prefixes_that_parse()
    {
        var error = Assert.Throws<PortSpecException>(() => PortSpecParser.Parse("foo:bar"));
        var list = error.Message[(error.Message.IndexOf("(expected ", StringComparison.Ordinal) + 10)..error.Message.IndexOf(')', StringComparison.Ordinal)];
        var named = list.Replace(" or ", ", ", StringComparison.Ordinal).Split(", ").Select(quoted => quoted.Trim('\''));

        // Each named prefix starts a spec of its own kind ('vale' takes a bridge name, 'null' may stand alone).
        var kinds = named.Select(prefix => PortSpecParser.Parse(prefix switch
        {
            "vale" => "vale0:p",
            "null" => "null",
            _ => prefix + "x",
        }).Prefix);
        Assert.Equal(Enum.GetValues<PortPrefix>(), kinds);
    }
}
