using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Plinto.IdentityServer.Connect;

/// <summary>
/// OpenIddict's event dispatcher with the handler lists prepared once instead of on every event. OpenIddict's own
/// dispatcher walks all ~300 handler descriptors for each event, resolves every filter and handler from the request
/// scope, and builds an async enumerator per event: 12.7 % of a client_credentials request's CPU on the benchmark host
/// (docs/performance.md, eleventh pass). The dispatch rules are OpenIddict's, unchanged: the descriptors of the
/// event's context type in the options' (sorted) order; a handler's filters asked just before it would run, after
/// the handlers before it ran; the first false filter skips it; dispatch stops after a handler that marked the request
/// handled or skipped, or rejected it; a handler's exception propagates. The same debug messages go to the same log
/// category. What changes is only where instances come from: singleton filters and handlers are resolved once from the
/// root provider (the request scope would return the very same instances); scoped and transient ones still come from
/// the request scope on each event.
/// </summary>
internal sealed class ServerDispatcher(
    ILogger<OpenIddictServerDispatcher> logger,
    IOptionsMonitor<OpenIddictServerOptions> options,
    IServiceProvider provider,
    ServerHandlerLists lists) : IOpenIddictServerDispatcher
{
    public async ValueTask DispatchAsync<TContext>(TContext context) where TContext : BaseContext
    {
        ArgumentNullException.ThrowIfNull(context);
        var debug = logger.IsEnabled(LogLevel.Debug);
        foreach (var step in lists.For<TContext>(options.CurrentValue))
        {
            if (!await step.IsActiveAsync(context, provider))
            {
                continue;
            }

            var handler = step.Handler(provider);
            try
            {
                await handler.HandleAsync(context);
            }
            catch (Exception exception) when (debug && !IsFatal(exception))
            {
                HandlerThrew(logger, handler.GetType().FullName, typeof(TContext).FullName, exception);
                throw;
            }

            if (debug)
            {
                Processed(logger, typeof(TContext).FullName, handler.GetType().FullName, null);
            }

            switch (context)
            {
                case BaseRequestContext { IsRequestHandled: true }:
                    if (debug)
                    {
                        MarkedHandled(logger, typeof(TContext).FullName, handler.GetType().FullName, null);
                    }
                    return;

                case BaseRequestContext { IsRequestSkipped: true }:
                    if (debug)
                    {
                        MarkedSkipped(logger, typeof(TContext).FullName, handler.GetType().FullName, null);
                    }
                    return;

                case BaseValidatingContext { IsRejected: true }:
                    if (debug)
                    {
                        MarkedRejected(logger, typeof(TContext).FullName, handler.GetType().FullName, null);
                    }
                    return;
            }
        }
    }

    // OpenIddict's own messages: its resources ID6132-ID6136, as event ids 6132-6136 without a name, so log queries
    // and filters on either keep working.
    private static readonly Action<ILogger, string?, string?, Exception?> HandlerThrew = LoggerMessage.Define<string?, string?>(
        LogLevel.Debug, new EventId(6132), "An exception was thrown by {HandlerName} while handling the {EventName} event.");

    private static readonly Action<ILogger, string?, string?, Exception?> Processed = LoggerMessage.Define<string?, string?>(
        LogLevel.Debug, new EventId(6133), "The event {EventName} was successfully processed by {HandlerName}.");

    private static readonly Action<ILogger, string?, string?, Exception?> MarkedHandled = LoggerMessage.Define<string?, string?>(
        LogLevel.Debug, new EventId(6134), "The event {EventName} was marked as handled by {HandlerName}.");

    private static readonly Action<ILogger, string?, string?, Exception?> MarkedSkipped = LoggerMessage.Define<string?, string?>(
        LogLevel.Debug, new EventId(6135), "The event {EventName} was marked as skipped by {HandlerName}.");

    private static readonly Action<ILogger, string?, string?, Exception?> MarkedRejected = LoggerMessage.Define<string?, string?>(
        LogLevel.Debug, new EventId(6136), "The event {EventName} was marked as rejected by {HandlerName}.");

    // OpenIddict logs no line for an exception the process cannot go on after (its OpenIddictHelpers.IsFatal).
    private static bool IsFatal(Exception? exception) => exception switch
    {
        null => false,
        ThreadAbortException => true,
        OutOfMemoryException and not InsufficientMemoryException => true,
        AggregateException aggregate => aggregate.InnerExceptions.Any(IsFatal),
        _ => IsFatal(exception.InnerException),
    };
}

/// <summary>
/// The handler list of each event type for the current options instance; a reloaded
/// <see cref="OpenIddictServerOptions"/> replaces them all. Singleton: it holds the singleton filters and handlers,
/// resolved from the root provider on first use.
/// </summary>
internal sealed class ServerHandlerLists(IServiceProvider root, RegisteredLifetimes lifetimes)
{
    private volatile ListsOf? current;

    public HandlerStep<TContext>[] For<TContext>(OpenIddictServerOptions options) where TContext : BaseContext
    {
        var lists = current;
        if (lists is null || !ReferenceEquals(lists.Options, options))
        {
            current = lists = new ListsOf(options, new ConcurrentDictionary<Type, object>());
        }

        // The descriptor list is sorted once by OpenIddict's options post-configuration; a count that differs from
        // the one the steps were built from means someone changed it afterwards: build again rather than run a stale list.
        // A change that keeps the count (an element replaced, or removed and added back) is not seen, where OpenIddict's
        // dispatcher reads the live list on every event: Plinto configures the options once at start and never
        // touches the list afterwards, and a reloaded options instance is a new instance (seen above).
        if (lists.ByEvent.TryGetValue(typeof(TContext), out var known) && known is Steps<TContext> steps && steps.Built == options.Handlers.Count)
        {
            return steps.Items;
        }

        var fresh = new Steps<TContext>(options.Handlers.Count, Build<TContext>(options));
        lists.ByEvent[typeof(TContext)] = fresh;
        return fresh.Items;
    }

    private HandlerStep<TContext>[] Build<TContext>(OpenIddictServerOptions options) where TContext : BaseContext =>
        [.. options.Handlers
            .Where(descriptor => descriptor.ContextType == typeof(TContext))
            .Select(descriptor => new HandlerStep<TContext>(descriptor, root, lifetimes))];

    private sealed record ListsOf(OpenIddictServerOptions Options, ConcurrentDictionary<Type, object> ByEvent);

    private sealed record Steps<TContext>(int Built, HandlerStep<TContext>[] Items) where TContext : BaseContext;
}

/// <summary>One handler of an event: its filters and where its instances come from.</summary>
internal sealed class HandlerStep<TContext> where TContext : BaseContext
{
    private readonly OpenIddictServerHandlerDescriptor descriptor;
    private readonly IServiceProvider root;
    private readonly bool singletonHandler;
    private readonly bool[] singletonFilters;
    private readonly IOpenIddictServerHandlerFilter<TContext>?[] sharedFilters;
    private IOpenIddictServerHandler<TContext>? sharedHandler;

    public HandlerStep(OpenIddictServerHandlerDescriptor descriptor, IServiceProvider root, RegisteredLifetimes lifetimes)
    {
        this.descriptor = descriptor;
        this.root = root;
        var filters = descriptor.FilterTypes;
        singletonFilters = [.. filters.Select(lifetimes.IsSingleton)];
        sharedFilters = new IOpenIddictServerHandlerFilter<TContext>?[filters.Length];
        sharedHandler = descriptor.ServiceDescriptor.ImplementationInstance as IOpenIddictServerHandler<TContext>;
        singletonHandler = sharedHandler is not null || lifetimes.IsSingleton(descriptor.ServiceDescriptor.ServiceType);
    }

    public async ValueTask<bool> IsActiveAsync(TContext context, IServiceProvider scope)
    {
        var filters = descriptor.FilterTypes;
        for (var index = 0; index < filters.Length; index++)
        {
            var filter = singletonFilters[index]
                ? sharedFilters[index] ??= Resolve<IOpenIddictServerHandlerFilter<TContext>>(root, filters[index], "filter")
                : Resolve<IOpenIddictServerHandlerFilter<TContext>>(scope, filters[index], "filter");
            if (!await filter.IsActiveAsync(context))
            {
                return false;
            }
        }

        return true;
    }

    public IOpenIddictServerHandler<TContext> Handler(IServiceProvider scope) =>
        singletonHandler
            ? sharedHandler ??= Resolve<IOpenIddictServerHandler<TContext>>(root, descriptor.ServiceDescriptor.ServiceType, "handler")
            : Resolve<IOpenIddictServerHandler<TContext>>(scope, descriptor.ServiceDescriptor.ServiceType, "handler");

    // A race between two first events resolves the same singleton twice: both get the one instance.
    private static T Resolve<T>(IServiceProvider provider, Type type, string kind) where T : class =>
        provider.GetService(type) as T
            ?? throw new InvalidOperationException(
                $"The OpenIddict {kind} '{type}' is not registered in the services, or does not handle {typeof(TContext).Name}.");
}

/// <summary>
/// The lifetime the service provider uses for each service type: that of its last registration, as
/// <see cref="IServiceProvider.GetService"/> resolves it. Read from the host's service collection on first use, when
/// registration is over.
/// </summary>
internal sealed class RegisteredLifetimes(IServiceCollection services)
{
    private readonly Lazy<Dictionary<Type, ServiceLifetime>> lifetimes = new(() =>
    {
        var last = new Dictionary<Type, ServiceLifetime>();
        foreach (var service in services.Where(s => !s.IsKeyedService))
        {
            last[service.ServiceType] = service.Lifetime;
        }

        return last;
    });

    public bool IsSingleton(Type type) =>
        lifetimes.Value.TryGetValue(type, out var lifetime) && lifetime == ServiceLifetime.Singleton;
}
