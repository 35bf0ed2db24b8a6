using Microsoft.Extensions.Logging;

namespace Plinto.IdentityServer.Tests.Infrastructure;

/// <summary>
/// Everything logged to OpenIddict's server dispatcher category, formatted, in order, and nothing from other
/// categories: the dispatch trail (written by OpenIddict's dispatcher or by ours) plus what handlers log there.
/// </summary>
internal sealed class DispatcherLog : ILoggerProvider
{
    public const string Category = "OpenIddict.Server.OpenIddictServerDispatcher";

    private readonly Lock gate = new();
    private readonly List<string> lines = [];
    private readonly List<EventId> events = [];

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (gate)
            {
                return [.. lines];
            }
        }
    }

    /// <summary>The event id of each line, in the same order.</summary>
    public IReadOnlyList<EventId> Events
    {
        get
        {
            lock (gate)
            {
                return [.. events];
            }
        }
    }

    /// <summary>The dispatcher's own lines ("The event … was …"), without the handlers' messages (which hold per-run values).</summary>
    public IReadOnlyList<string> Trail => [.. Lines.Where(line => line.StartsWith("The event ", StringComparison.Ordinal))];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName == Category);

    public void Dispose()
    {
    }

    private sealed class Logger(DispatcherLog owner, bool dispatcher) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => dispatcher;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (dispatcher)
            {
                lock (owner.gate)
                {
                    owner.lines.Add(formatter(state, exception));
                    owner.events.Add(eventId);
                }
            }
        }
    }
}
