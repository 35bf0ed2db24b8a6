using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;

namespace Plinto.IdentityServer.Tests.Infrastructure;

/// <summary>Every entry at Debug and above, from every category, in order (<see cref="On"/> adds it to a host).</summary>
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

    /// <summary>Everything at Error and above, as "category: message".</summary>
    public IEnumerable<string> Errors(int since = 0) =>
        Since(since).Where(entry => entry.Level >= LogLevel.Error).Select(entry => $"{entry.Category}: {entry.Message}");

    /// <summary>The host of <paramref name="factory"/> with this recorder among its loggers, at Debug.</summary>
    public WebApplicationFactory<Program> On(WebApplicationFactory<Program> factory) =>
        factory.WithWebHostBuilder(builder => builder.ConfigureLogging(logging => logging.AddProvider(this).AddFilter<RecordingLog>(null, LogLevel.Debug)));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    public sealed record Entry(LogLevel Level, string Category, string Message, EventId Id);

    private sealed class Logger(RecordingLog owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner.gate)
            {
                owner.entries.Add(new Entry(logLevel, category, formatter(state, exception), eventId));
            }
        }
    }
}
