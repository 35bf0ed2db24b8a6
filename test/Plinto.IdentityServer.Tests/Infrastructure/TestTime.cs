namespace Plinto.IdentityServer.Tests.Infrastructure;

/// <summary>The real clock plus an offset a test can move forward.</summary>
internal sealed class TestTime : TimeProvider
{
    private long offsetTicks;

    public void Advance(TimeSpan by) => Interlocked.Add(ref offsetTicks, by.Ticks);

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref offsetTicks));
}
