using Netmap.Io.Files;

namespace Pipeline.Linux.Tests;

/// <summary>A temporary directory for one test's files (pcaps, pipeline files, scripts), removed on dispose.</summary>
internal sealed class Scratch : IDisposable
{
    public Scratch() => Directory = System.IO.Directory.CreateTempSubdirectory("pipeline-linux-").FullName;

    public string Directory { get; }

    public string PathOf(string name) => Path.Combine(Directory, name);

    /// <summary>Writes <paramref name="frames"/> to pcap file <paramref name="name"/>, one microsecond apart; returns its path.</summary>
    public string WritePcap(string name, IReadOnlyList<byte[]> frames)
    {
        var path = PathOf(name);
        using var stream = File.Create(path);
        using var writer = new PcapWriter(stream);
        for (var i = 0; i < frames.Count; i++)
        {
            writer.WritePacket(frames[i], 1_700_000_000_000_000_000L + (i * 1000L));
        }

        return path;
    }

    /// <summary>Every frame of pcap file <paramref name="path"/>.</summary>
    public static List<byte[]> ReadPcap(string path)
    {
        var frames = new List<byte[]>();
        using var reader = new PcapReader(File.OpenRead(path), path);
        var buffer = new byte[PcapFormat.MaxCapturedLength];
        while (reader.TryReadPacket(buffer, out var info))
        {
            frames.Add(buffer[..info.Length]);
        }

        return frames;
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a temp directory
        }
    }
}
