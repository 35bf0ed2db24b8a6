using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OpenIddict.Server;
using Plinto.IdentityServer.Connect;
using Plinto.IdentityServer.Tests.Infrastructure;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Plinto.IdentityServer.Tests.Connect;

/// <summary>
/// The dispatch rules, run against OpenIddict's own dispatcher and against ours: every test holds for both, so ours
/// changes nothing OpenIddict's handlers rely on (order, lazily asked filters, the three stops, exceptions,
/// instance lifetimes, reloaded options, debug messages).
/// </summary>
[TestFixture(typeof(OpenIddictServerDispatcher))]
[TestFixture(typeof(ServerDispatcher))]
internal sealed class ServerDispatcherTests(Type dispatcher)
{
    [Test]
    public async Task Runs_the_handlers_of_the_event_in_list_order_and_no_others()
    {
        using var host = new DispatchHost(dispatcher,
            Singleton<Record<A>>(), OtherEvent(), Singleton<Record<B>>(), Singleton<Record<C>>());

        var context = await host.DispatchAsync();

        Assert.That(context.Trail, Is.EqualTo(new[] { "A", "B", "C" }));
    }

    [Test]
    public async Task A_filter_is_asked_just_before_its_handler_after_the_handlers_before_it_ran()
    {
        using var host = new DispatchHost(dispatcher,
            Singleton<Record<A>>(typeof(RequireFlag)),
            Singleton<SetFlag>(),
            Singleton<Record<B>>(typeof(RequireFlag)),
            Singleton<Record<C>>(typeof(RequireFlag), typeof(Never)),
            Singleton<Record<D>>());

        var context = await host.DispatchAsync();

        // A's filter saw no flag yet; B's saw SetFlag's work; C failed its second filter.
        Assert.That(context.Trail, Is.EqualTo(new[] { "flag", "B", "D" }));
    }

    [TestCase("handle")]
    [TestCase("skip")]
    [TestCase("reject")]
    public async Task Stops_after_the_handler_that_handled_skipped_or_rejected_the_request(string stop)
    {
        using var host = new DispatchHost(dispatcher, Singleton<Record<A>>(), Stopping(stop), Singleton<Record<B>>());

        var context = await host.DispatchAsync();

        Assert.That(context.Trail, Is.EqualTo(new[] { "A", stop }));
        Assert.That((context.IsRequestHandled, context.IsRequestSkipped, context.IsRejected),
            Is.EqualTo((stop == "handle", stop == "skip", stop == "reject")));
    }

    [Test]
    public void A_handler_exception_propagates_and_later_handlers_do_not_run()
    {
        using var host = new DispatchHost(dispatcher, Singleton<Record<A>>(), Singleton<Throw>(), Singleton<Record<B>>());
        var context = host.NewContext();

        var thrown = Assert.ThrowsAsync<InvalidOperationException>(async () => await host.DispatchAsync(context));

        Assert.That(thrown!.Message, Is.EqualTo(Throw.Message));
        Assert.That(context.Trail, Is.EqualTo(new[] { "A" }));
    }

    [Test]
    public void A_handler_missing_from_the_services_is_an_error_not_a_silent_skip()
    {
        var unregistered = OpenIddictServerHandlerDescriptor.CreateBuilder<ProbeContext>()
            .UseSingletonHandler<Record<D>>().Build();
        using var host = new DispatchHost(dispatcher, [Singleton<Record<A>>(), unregistered], unregistered: [unregistered]);

        Assert.ThrowsAsync<InvalidOperationException>(async () => await host.DispatchAsync());
    }

    [Test]
    public async Task Singleton_handlers_and_filters_are_shared_scoped_ones_come_from_the_request_scope()
    {
        using var host = new DispatchHost(dispatcher,
            Singleton<Record<A>>(typeof(CountingFilter)), Scoped<RecordScope>(), Scoped<Record<B>>(typeof(ScopedFilter)));

        await using var first = host.Services.CreateAsyncScope();
        await using var second = host.Services.CreateAsyncScope();
        var one = await host.DispatchAsync(first);
        var two = await host.DispatchAsync(first);
        var three = await host.DispatchAsync(second);

        var firstRequest = first.ServiceProvider.GetRequiredService<RequestMarker>().Id;
        var secondRequest = second.ServiceProvider.GetRequiredService<RequestMarker>().Id;
        Assert.Multiple(() =>
        {
            // The scoped handler and filter see the request scope's own services, and are new in each scope.
            Assert.That(one.Trail[1], Is.EqualTo($"scope {firstRequest}"));
            Assert.That(two.Trail[1], Is.EqualTo($"scope {firstRequest}"));
            Assert.That(three.Trail[1], Is.EqualTo($"scope {secondRequest}"));
            Assert.That(one.Filtered, Is.EqualTo(new[] { "counting", $"scoped {firstRequest}" }));
            Assert.That(three.Filtered, Is.EqualTo(new[] { "counting", $"scoped {secondRequest}" }));
            Assert.That(one.Handlers[1], Is.SameAs(two.Handlers[1]));
            Assert.That(one.Handlers[1], Is.Not.SameAs(three.Handlers[1]));
            Assert.That(one.Handlers[2], Is.Not.SameAs(three.Handlers[2]));

            // The singleton handler and filter are the root provider's instances, in every scope.
            Assert.That(three.Handlers[0], Is.SameAs(one.Handlers[0]));
            Assert.That(one.Handlers[0], Is.SameAs(host.Services.GetRequiredService<Record<A>>()));
            Assert.That(host.Services.GetRequiredService<CountingFilter>().Calls, Is.EqualTo(3));
        });
    }

    [Test]
    public async Task Reloaded_options_and_a_changed_handler_list_take_effect_on_the_next_event()
    {
        OpenIddictServerHandlerDescriptor[] later = [Singleton<Record<C>>(), Singleton<Record<D>>()];
        using var host = new DispatchHost(dispatcher, [Singleton<Record<A>>(), Singleton<Record<B>>()], alsoRegistered: later);
        Assert.That((await host.DispatchAsync()).Trail, Is.EqualTo(new[] { "A", "B" }));

        // A new options instance with as many handlers as the old one: its own list, not the old one's.
        var reloaded = new OpenIddictServerOptions();
        reloaded.Handlers.AddRange(later);
        host.Options.Current = reloaded;
        Assert.That((await host.DispatchAsync()).Trail, Is.EqualTo(new[] { "C", "D" }));

        reloaded.Handlers.Add(Singleton<Record<A>>());
        Assert.That((await host.DispatchAsync()).Trail, Is.EqualTo(new[] { "C", "D", "A" }));
    }

    [TestCase("handle", "handled", 6134)]
    [TestCase("skip", "skipped", 6135)]
    [TestCase("reject", "rejected", 6136)]
    public async Task Writes_OpenIddicts_debug_messages_with_its_event_ids_to_its_category(string stop, string marked, int stopEvent)
    {
        var log = new DispatcherLog();
        using var host = new DispatchHost(dispatcher, [Singleton<Record<A>>(), Stopping(stop)], log: log);

        await host.DispatchAsync();

        var probe = typeof(ProbeContext).FullName;
        Assert.Multiple(() =>
        {
            Assert.That(log.Lines, Is.EqualTo(new[]
            {
                $"The event {probe} was successfully processed by {typeof(Record<A>).FullName}.",
                $"The event {probe} was successfully processed by {typeof(StopHandler).FullName}.",
                $"The event {probe} was marked as {marked} by {typeof(StopHandler).FullName}.",
            }));
            // OpenIddict's resource ids (ID6133 …) as event ids, with no event name.
            Assert.That(log.Events, Is.EqualTo(new[] { new EventId(6133), new EventId(6133), new EventId(stopEvent) }));
            Assert.That(log.Events.Select(e => e.Name), Is.All.Null);
        });
    }

    [Test]
    public void Logs_a_handler_exception_but_not_a_fatal_one()
    {
        var log = new DispatcherLog();
        using var host = new DispatchHost(dispatcher, [Singleton<Throw>()], log: log);
        Assert.ThrowsAsync<InvalidOperationException>(async () => await host.DispatchAsync());

        using var fatal = new DispatchHost(dispatcher, [Singleton<ThrowFatal>()], log: log);
        Assert.ThrowsAsync<AggregateException>(async () => await fatal.DispatchAsync());

        Assert.Multiple(() =>
        {
            Assert.That(log.Lines, Is.EqualTo(new[]
            {
                $"An exception was thrown by {typeof(Throw).FullName} while handling the {typeof(ProbeContext).FullName} event.",
            }));
            Assert.That(log.Events, Is.EqualTo(new[] { new EventId(6132) }));
        });
    }

    private static OpenIddictServerHandlerDescriptor Singleton<THandler>(params Type[] filters)
        where THandler : class, IOpenIddictServerHandler<ProbeContext> =>
        Filtered(OpenIddictServerHandlerDescriptor.CreateBuilder<ProbeContext>().UseSingletonHandler<THandler>(), filters);

    private static OpenIddictServerHandlerDescriptor Scoped<THandler>(params Type[] filters)
        where THandler : class, IOpenIddictServerHandler<ProbeContext> =>
        Filtered(OpenIddictServerHandlerDescriptor.CreateBuilder<ProbeContext>().UseScopedHandler<THandler>(), filters);

    private static OpenIddictServerHandlerDescriptor OtherEvent() =>
        OpenIddictServerHandlerDescriptor.CreateBuilder<OtherContext>()
            .UseSingletonHandler<RecordOther>().Build();

    private static OpenIddictServerHandlerDescriptor Stopping(string stop) =>
        OpenIddictServerHandlerDescriptor.CreateBuilder<ProbeContext>()
            .UseSingletonHandler(new StopHandler(stop)).Build();

    private static OpenIddictServerHandlerDescriptor Filtered(OpenIddictServerHandlerDescriptor.Builder<ProbeContext> builder, Type[] filters)
    {
        var add = typeof(OpenIddictServerHandlerDescriptor.Builder<ProbeContext>).GetMethod(nameof(builder.AddFilter))!;
        foreach (var filter in filters)
        {
            add.MakeGenericMethod(filter).Invoke(builder, null);
        }

        return builder.Build();
    }

    /// <summary>A service provider with the given handler list, the filters and a dispatcher of the fixture's kind.</summary>
    private sealed class DispatchHost : IDisposable
    {
        public DispatchHost(Type dispatcher, params OpenIddictServerHandlerDescriptor[] handlers)
            : this(dispatcher, handlers, unregistered: null)
        {
        }

        public DispatchHost(Type dispatcher, OpenIddictServerHandlerDescriptor[] handlers,
            OpenIddictServerHandlerDescriptor[]? unregistered = null, OpenIddictServerHandlerDescriptor[]? alsoRegistered = null,
            DispatcherLog? log = null)
        {
            var options = new OpenIddictServerOptions();
            options.Handlers.AddRange(handlers);
            Options = new SwitchableOptions { Current = options };

            IServiceCollection services = new ServiceCollection();
            services.AddLogging(logging =>
            {
                if (log is not null)
                {
                    logging.SetMinimumLevel(LogLevel.Debug).AddProvider(log);
                }
            });
            services.AddSingleton<IOptionsMonitor<OpenIddictServerOptions>>(Options);
            foreach (var handler in handlers.Except(unregistered ?? []).Concat(alsoRegistered ?? []))
            {
                services.Add(handler.ServiceDescriptor);
            }

            services.AddSingleton<RequireFlag>().AddSingleton<Never>().AddSingleton<CountingFilter>().AddScoped<ScopedFilter>();
            services.AddScoped<RequestMarker>();
            services.AddSingleton(new RegisteredLifetimes(services)).AddSingleton<ServerHandlerLists>();
            services.AddScoped(typeof(IOpenIddictServerDispatcher), dispatcher);
            Services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
        }

        public ServiceProvider Services { get; }

        public SwitchableOptions Options { get; }

        public ProbeContext NewContext() =>
            new(new OpenIddictServerTransaction { Options = Options.Current, Logger = NullLogger.Instance });

        public async Task<ProbeContext> DispatchAsync(AsyncServiceScope? scope = null)
        {
            var context = NewContext();
            await DispatchAsync(context, scope);
            return context;
        }

        public async Task DispatchAsync(ProbeContext context, AsyncServiceScope? scope = null)
        {
            if (scope is { } given)
            {
                await given.ServiceProvider.GetRequiredService<IOpenIddictServerDispatcher>().DispatchAsync(context);
                return;
            }

            await using var own = Services.CreateAsyncScope();
            await own.ServiceProvider.GetRequiredService<IOpenIddictServerDispatcher>().DispatchAsync(context);
        }

        public void Dispose() => Services.Dispose();
    }

    private sealed class SwitchableOptions : IOptionsMonitor<OpenIddictServerOptions>
    {
        public required OpenIddictServerOptions Current { get; set; }

        public OpenIddictServerOptions CurrentValue => Current;

        public OpenIddictServerOptions Get(string? name) => Current;

        public IDisposable? OnChange(Action<OpenIddictServerOptions, string?> listener) => null;
    }

    internal sealed class ProbeContext(OpenIddictServerTransaction transaction) : BaseValidatingContext(transaction)
    {
        public List<string> Trail { get; } = [];

        public List<string> Filtered { get; } = [];

        public List<object> Handlers { get; } = [];

        public bool Flag { get; set; }
    }

    internal sealed class OtherContext(OpenIddictServerTransaction transaction) : BaseValidatingContext(transaction);

    internal sealed class A;

    internal sealed class B;

    internal sealed class C;

    internal sealed class D;

    internal sealed class Record<TTag> : IOpenIddictServerHandler<ProbeContext>
    {
        public ValueTask HandleAsync(ProbeContext context)
        {
            context.Trail.Add(typeof(TTag).Name);
            context.Handlers.Add(this);
            return default;
        }
    }

    internal sealed class RecordOther : IOpenIddictServerHandler<OtherContext>
    {
        public ValueTask HandleAsync(OtherContext context) => throw new AssertionException("a handler of another event ran");
    }

    internal sealed class RecordScope(RequestMarker marker) : IOpenIddictServerHandler<ProbeContext>
    {
        public ValueTask HandleAsync(ProbeContext context)
        {
            context.Trail.Add($"scope {marker.Id}");
            context.Handlers.Add(this);
            return default;
        }
    }

    internal sealed class SetFlag : IOpenIddictServerHandler<ProbeContext>
    {
        public ValueTask HandleAsync(ProbeContext context)
        {
            context.Flag = true;
            context.Trail.Add("flag");
            return default;
        }
    }

    internal sealed class Throw : IOpenIddictServerHandler<ProbeContext>
    {
        public const string Message = "the handler failed";

        public ValueTask HandleAsync(ProbeContext context) => throw new InvalidOperationException(Message);
    }

    // Out of memory inside an aggregate: OpenIddict looks through it (its IsFatal).
    internal sealed class ThrowFatal : IOpenIddictServerHandler<ProbeContext>
    {
        public ValueTask HandleAsync(ProbeContext context) =>
            throw new AggregateException(new InvalidOperationException("first"), new OutOfMemoryException());
    }

    internal sealed class StopHandler(string stop) : IOpenIddictServerHandler<ProbeContext>
    {
        public ValueTask HandleAsync(ProbeContext context)
        {
            context.Trail.Add(stop);
            switch (stop)
            {
                case "handle": context.HandleRequest(); break;
                case "skip": context.SkipRequest(); break;
                default: context.Reject("invalid_request", "stopped"); break;
            }

            return default;
        }
    }

    internal sealed class RequestMarker
    {
        public Guid Id { get; } = Guid.NewGuid();
    }

    internal sealed class RequireFlag : IOpenIddictServerHandlerFilter<ProbeContext>
    {
        public ValueTask<bool> IsActiveAsync(ProbeContext context) => ValueTask.FromResult(context.Flag);
    }

    internal sealed class Never : IOpenIddictServerHandlerFilter<ProbeContext>
    {
        public ValueTask<bool> IsActiveAsync(ProbeContext context) => ValueTask.FromResult(false);
    }

    internal sealed class CountingFilter : IOpenIddictServerHandlerFilter<ProbeContext>
    {
        private int calls;

        public int Calls => calls;

        public ValueTask<bool> IsActiveAsync(ProbeContext context)
        {
            Interlocked.Increment(ref calls);
            context.Filtered.Add("counting");
            return ValueTask.FromResult(true);
        }
    }

    internal sealed class ScopedFilter(RequestMarker marker) : IOpenIddictServerHandlerFilter<ProbeContext>
    {
        public ValueTask<bool> IsActiveAsync(ProbeContext context)
        {
            context.Filtered.Add($"scoped {marker.Id}");
            return ValueTask.FromResult(true);
        }
    }
}
