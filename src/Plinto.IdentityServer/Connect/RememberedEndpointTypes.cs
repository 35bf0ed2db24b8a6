using System.Collections.Concurrent;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Plinto.IdentityServer.Connect;

/// <summary>
/// Which OpenIddict endpoint a request is for, remembered per request URI. OpenIddict's own handler
/// (<see cref="OpenIddictServerHandlers.InferEndpointType"/>) runs on every request the host serves and builds a new
/// absolute <see cref="Uri"/> for each configured endpoint it compares against (eight for a token request): 1.6 % of a
/// client_credentials request's CPU (docs/performance.md, lever 26). Its answer depends only on the options, the base
/// URI and the request URI without its query, so the first answer for such a pair is computed by OpenIddict's handler
/// itself and then reused; the information message it logs is logged again on every reuse. Replaces OpenIddict's
/// handler at the same place in the pipeline.
/// </summary>
/// <remarks>
/// The request URI comes from the client (its Host header and path), so what is remembered is bounded: past
/// <see cref="Capacity"/> entries the table starts again, URIs longer than <see cref="LongestRemembered"/> characters
/// are never kept, and a client sending ever new URIs costs what OpenIddict's handler costs. A reloaded options
/// instance starts a new table; endpoint lists changed in place on the same instance after start are not seen (nothing
/// in Plinto does that; OpenIddict's options are fixed once built).
/// </remarks>
internal sealed class RememberedEndpointTypes : IOpenIddictServerHandler<ProcessRequestContext>
{
    public const int Capacity = 512;

    /// <summary>Base and request URI together; a longer pair (a crafted Host header) is answered but not kept.</summary>
    public const int LongestRemembered = 512;

    private static readonly string MatchedMessage = OpenIddictResources.GetResourceString(OpenIddictResources.ID6053);

    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessRequestContext>()
            .UseSingletonHandler<RememberedEndpointTypes>()
            .SetOrder(OpenIddictServerHandlers.InferEndpointType.Descriptor.Order)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    private readonly OpenIddictServerHandlers.InferEndpointType infer = new();
    private volatile Table current = new(null);

    /// <summary>How many request URIs are remembered now (for tests).</summary>
    internal int Count => current.Count;

    public async ValueTask HandleAsync(ProcessRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context is not { BaseUri.IsAbsoluteUri: true, RequestUri.IsAbsoluteUri: true })
        {
            // OpenIddict's handler throws its own error for this.
            await infer.HandleAsync(context);
            return;
        }

        var table = current;
        if (!ReferenceEquals(table.Options, context.Options))
        {
            current = table = new Table(context.Options);
        }

        var request = context.RequestUri.OriginalString;
        var query = request.IndexOfAny(['?', '#']);
        var key = query < 0 ? request : request[..query];
        var baseUri = context.BaseUri.OriginalString;
        if (table.Entries.TryGetValue(key, out var known) && string.Equals(known.BaseUri, baseUri, StringComparison.Ordinal))
        {
            context.EndpointType = known.Type;
            if (known.Type is not OpenIddictServerEndpointType.Unknown && context.Logger.IsEnabled(LogLevel.Information))
            {
#pragma warning disable CA2254 // OpenIddict's own message template, so that log queries see no difference.
                context.Logger.LogInformation(MatchedMessage, known.Type);
#pragma warning restore CA2254
            }

            return;
        }

        await infer.HandleAsync(context);
        if (key.Length + baseUri.Length > LongestRemembered)
        {
            return;
        }

        var answer = new Known(baseUri, context.EndpointType);
        if (!table.Entries.TryAdd(key, answer))
        {
            // The same request URI under another base URI: the latest one is kept.
            table.Entries[key] = answer;
        }
        else if (Interlocked.Increment(ref table.Count) >= Capacity)
        {
            // Full: start again (the old table is left to the readers that still hold it).
            current = new Table(context.Options);
        }
    }

    private sealed record Known(string BaseUri, OpenIddictServerEndpointType Type);

    private sealed class Table(OpenIddictServerOptions? options)
    {
        public int Count;

        public OpenIddictServerOptions? Options { get; } = options;

        public ConcurrentDictionary<string, Known> Entries { get; } = new(StringComparer.Ordinal);
    }
}
