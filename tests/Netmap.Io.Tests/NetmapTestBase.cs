using Netmap.Io.Memory;

namespace Netmap.Io.Tests;

/// <summary>
/// A test that owns a checked <see cref="NetmapDomain"/>. Every test ends with an audit: no handle left
/// open and every buffer back in the arena (exact counts, as Pipelines' PipePoolTests do).
/// </summary>
public abstract class NetmapTestBase : IDisposable
{
    protected NetmapTestBase(int buffers = 8192, int bufferSize = ArenaOptions.DefaultBufferSize)
    {
        Domain = new NetmapDomain(new ArenaOptions { BufferCount = buffers, BufferSize = bufferSize, Checked = true });
    }

    protected NetmapDomain Domain { get; }

    protected BufferArena Arena => Domain.DefaultArena;

    public void Dispose()
    {
        try
        {
            Assert.True(Domain.OpenHandles == 0, $"{Domain.OpenHandles} handle(s) left open by the test");
            Domain.AssertNoLeaks();
        }
        finally
        {
            Domain.Dispose();
            GC.SuppressFinalize(this);
        }
    }
}
