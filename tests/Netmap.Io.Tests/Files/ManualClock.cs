namespace Netmap.Io.Tests.Files;

/// <summary>A clock that moves only when told to (1 tick = 1 ns): recorded-pace tests without waiting.</summary>
internal sealed class ManualClock : TimeProvider
{
    private long _ticks = 1_000_000_000;
    private DateTimeOffset _now = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override long TimestampFrequency => 1_000_000_000;

    public override long GetTimestamp() => _ticks;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by)
    {
        _ticks += by.Ticks * 100;
        _now += by;
    }
}
