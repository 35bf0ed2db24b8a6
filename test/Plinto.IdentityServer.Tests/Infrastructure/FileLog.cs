using Microsoft.Extensions.Logging;

namespace Plinto.IdentityServer.Tests.Infrastructure;

/// <summary>
/// Writes the host's warnings and errors (with exceptions) to the file named by PLINTO_TEST_LOG, for debugging a
/// failing test; off unless that variable is set.
/// </summary>
internal sealed class FileLog(string path) : ILoggerProvider
{
    private readonly Lock gate = new();

    private string Path => path;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(FileLog owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            lock (owner.gate)
            {
                File.AppendAllText(owner.Path, $"{DateTime.UtcNow:O} {logLevel} {category}: {formatter(state, exception)}\n{exception}\n");
            }
        }
    }
}
