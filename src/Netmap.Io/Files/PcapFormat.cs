namespace Netmap.Io.Files;

/// <summary>
/// The pcap and pcapng file formats as this project reads and writes them: the magic numbers, the limits,
/// and the names of link types. <see cref="PcapReader"/> reads both formats (Ethernet only);
/// <see cref="PcapWriter"/> writes classic little-endian microsecond pcap.
/// </summary>
/// <remarks>
/// Formats: classic pcap (<c>pcap-savefile(5)</c>, draft-ietf-opsawg-pcap) and pcapng
/// (draft-ietf-opsawg-pcapng): SHB, IDB, EPB, SPB and the obsolete PB are read; other blocks are skipped.
/// </remarks>
public static class PcapFormat
{
    /// <summary>Largest captured length a record may have (libpcap's <c>MAXIMUM_SNAPLEN</c>); a larger one means a corrupt file.</summary>
    public const int MaxCapturedLength = 256 * 1024;

    /// <summary><c>LINKTYPE_ETHERNET</c>: the only link type the ports carry.</summary>
    public const int LinkTypeEthernet = 1;

    /// <summary>Classic pcap magic with microsecond timestamps, as the file's byte order writes it.</summary>
    public const uint MagicMicroseconds = 0xa1b2c3d4;

    /// <summary>Classic pcap magic with nanosecond timestamps.</summary>
    public const uint MagicNanoseconds = 0xa1b23c4d;

    /// <summary>The pcapng Section Header Block type (the same in both byte orders).</summary>
    public const uint SectionHeaderBlock = 0x0a0d0d0a;

    /// <summary>The pcapng byte-order magic inside a Section Header Block.</summary>
    public const uint ByteOrderMagic = 0x1a2b3c4d;

    internal const uint InterfaceDescriptionBlock = 1;
    internal const uint PacketBlock = 2;
    internal const uint SimplePacketBlock = 3;
    internal const uint EnhancedPacketBlock = 6;

    internal const int PcapFileHeaderLength = 24;
    internal const int PcapRecordHeaderLength = 16;

    /// <summary>Opens <paramref name="path"/> for reading (buffered, sequential) and reads its header.</summary>
    /// <exception cref="NetmapException">ENOENT: no such file; EACCES: not readable; EINVAL: not a pcap/pcapng file of Ethernet frames.</exception>
    public static PcapReader OpenRead(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var stream = OpenFile(path, path, write: false);
        try
        {
            return new PcapReader(stream, path);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Creates (or truncates) <paramref name="path"/>, its directories included, and writes a pcap header.</summary>
    /// <exception cref="NetmapException">EACCES or ENOENT: the path cannot be written.</exception>
    public static PcapWriter Create(string path, int snapLength = PcapWriter.DefaultSnapLength)
    {
        ArgumentNullException.ThrowIfNull(path);
        var stream = OpenFile(path, path, write: true);
        try
        {
            return new PcapWriter(stream, snapLength);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>A link type's number with its common name when known: <c>113 (Linux cooked)</c>.</summary>
    public static string DescribeLinkType(int linkType)
    {
        var name = linkType switch
        {
            0 => "BSD loopback",
            1 => "Ethernet",
            6 => "Token Ring",
            9 => "PPP",
            12 or 101 => "raw IP",
            105 => "802.11",
            108 => "OpenBSD loopback",
            113 => "Linux cooked",
            127 => "802.11 radiotap",
            147 => "user 0",
            220 => "USB Linux mmapped",
            228 => "raw IPv4",
            229 => "raw IPv6",
            276 => "Linux cooked v2",
            _ => null,
        };
        return name is null ? $"{linkType}" : $"{linkType} ({name})";
    }

    /// <summary>The error for a capture whose frames are not Ethernet frames.</summary>
    internal static string UnsupportedLinkType(int linkType) =>
        $"link type {DescribeLinkType(linkType)} is not supported: only Ethernet ({LinkTypeEthernet})";

    /// <summary>Opens a file for a pcap port; failures become <see cref="NetmapException"/>s naming <paramref name="path"/> under <paramref name="subject"/>.</summary>
    internal static FileStream OpenFile(string subject, string path, bool write)
    {
        if (Directory.Exists(path))
        {
            ThrowHelper.Netmap(NetmapError.EINVAL, subject, $"'{path}' is a directory, not a capture file");
        }

        try
        {
            if (!write)
            {
                return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.SequentialScan);
            }

            var directory = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }

            return new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        }
        catch (FileNotFoundException)
        {
            return ThrowHelper.Netmap<FileStream>(NetmapError.ENOENT, subject, $"no such file '{path}'");
        }
        catch (DirectoryNotFoundException)
        {
            return ThrowHelper.Netmap<FileStream>(NetmapError.ENOENT, subject,
                write ? $"cannot create '{path}': a directory on the path does not exist" : $"no such file '{path}'");
        }
        catch (UnauthorizedAccessException)
        {
            return ThrowHelper.Netmap<FileStream>(NetmapError.EACCES, subject,
                write ? $"cannot create '{path}': permission denied" : $"cannot read '{path}': permission denied");
        }
        catch (IOException ex)
        {
            return ThrowHelper.Netmap<FileStream>(write ? NetmapError.EACCES : NetmapError.EIO, subject,
                write ? $"cannot create '{path}': {ex.Message}" : $"cannot read '{path}': {ex.Message}");
        }
    }
}
