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
internal sealed partial class ServerDispatcher(
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
            catch (Exception exception) when (debug)
            {
                HandlerThrew(exception, handler.GetType().FullName, typeof(TContext).FullName);
                throw;
            }

            if (debug)
            {
                Processed(typeof(TContext).FullName, handler.GetType().FullName);
            }

            switch (context)
            {
                case BaseRequestContext { IsRequestHandled: true }:
                    if (debug)
                    {
                        MarkedHandled(typeof(TContext).FullName, handler.GetType().FullName);
                    }
                    return;

                case BaseRequestContext { IsRequestSkipped: true }:
                    if (debug)
                    {
                        MarkedSkipped(typeof(TContext).FullName, handler.GetType().FullName);
                    }
                    return;

                case BaseValidatingContext { IsRejected: true }:
                    if (debug)
                    {
                        MarkedRejected(typeof(TContext).FullName, handler.GetType().FullName);
                    }
                    return;
            }
        }
    }

    // OpenIddict's own message templates (its resources ID6132-ID6136), so log queries keep working.
    [LoggerMessage(LogLevel.Debug, "An exception was thrown by {HandlerName} while handling the {EventName} event.")]
    private partial void HandlerThrew(Exception exception, string? handlerName, string? eventName);

    [LoggerMessage(LogLevel.Debug, "The event {EventName} was successfully processed by {HandlerName}.")]
    private partial void Processed(string? eventName, string? handlerName);

    [LoggerMessage(LogLevel.Debug, "The event {EventName} was marked as handled by {HandlerName}.")]
    private partial void MarkedHandled(string? eventName, string? handlerName);

    [LoggerMessage(LogLevel.Debug, "The event {EventName} was marked as skipped by {HandlerName}.")]
    private partial void MarkedSkipped(string? eventName, string? handlerName);

    [LoggerMessage(LogLevel.Debug, "The event {EventName} was marked as rejected by {HandlerName}.")]
    private partial void MarkedRejected(string? eventName, string? handlerName);
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
