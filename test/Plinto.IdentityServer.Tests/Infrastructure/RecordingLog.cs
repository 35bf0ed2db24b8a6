using Microsoft.Extensions.Logging;

namespace Plinto.IdentityServer.Tests.Infrastructure;

/// <summary>Every entry at Debug and above, from every category, in order (add it with a Debug filter of its own).</summary>
internal sealed class RecordingLog : ILoggerProvider
{
    private readonly Lock gate = new();
    private readonly List<Entry> entries = [];

    public int Count
    {
        get
        {
            lock (gate)
            {
                return entries.Count;
            }
        }
    }

    public IReadOnlyList<Entry> Since(int index)
    {
        lock (gate)
        {
            return [.. entries.Skip(index)];
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    public sealed record Entry(LogLevel Level, string Category, string Message);

    private sealed class Logger(RecordingLog owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner.gate)
            {
                owner.entries.Add(new Entry(logLevel, category, formatter(state, exception)));
            }
        }
    }
}
