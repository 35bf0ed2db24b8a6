using System.Text.Json;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using Plinto.IdentityServer.Data;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Plinto.IdentityServer.Connect;

/// <summary>
/// Makes the database match the clients and scopes declared in configuration, at every start: creates what is
/// new, updates what changed, disables clients (and revokes their grants) that were removed from configuration.
/// Applications and scopes created through other means are never touched; users never are.
/// </summary>
internal sealed partial class ClientCatalogReconciler(
    IServiceProvider services,
    IOptions<ClientCatalogOptions> options,
    ILogger<ClientCatalogReconciler> logger) : IHostedService
{
    /// <summary>Marks entities owned by configuration so that reconciliation leaves the others alone.</summary>
    public const string SourceProperty = "plinto_source";
    public const string DisabledProperty = "plinto_disabled";
    private const string ConfigurationSource = "configuration";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        // Nodes starting together reconcile one after the other, so none creates a client another just created.
        await using var startupLock = await StartupLock.AcquireAsync(
            scope.ServiceProvider.GetRequiredService<PlintoDbContext>(), "client-catalog", cancellationToken);
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var scopes = scope.ServiceProvider.GetRequiredService<IOpenIddictScopeManager>();
        var catalog = options.Value;

        await ReconcileScopesAsync(scopes, catalog.Scopes, cancellationToken);
        foreach (var client in catalog.Clients)
        {
            await ReconcileClientAsync(applications, client, cancellationToken);
        }

        await DisableRemovedClientsAsync(scope.ServiceProvider, applications, catalog, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task ReconcileScopesAsync(IOpenIddictScopeManager manager, List<ScopeRegistration> declared, CancellationToken cancellationToken)
    {
        foreach (var registration in declared)
        {
            var descriptor = new OpenIddictScopeDescriptor
            {
                Name = registration.Name,
                DisplayName = registration.DisplayName ?? registration.Name,
            };
            descriptor.Resources.UnionWith(registration.Resources);
            descriptor.Properties[SourceProperty] = JsonSerializer.SerializeToElement(ConfigurationSource);

            var existing = await manager.FindByNameAsync(registration.Name!, cancellationToken);
            if (existing is null)
            {
                await manager.CreateAsync(descriptor, cancellationToken);
            }
            else
            {
                await manager.UpdateAsync(existing, descriptor, cancellationToken);
            }
        }

        var names = declared.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var stale = new List<object>();
        await foreach (var scope in manager.ListAsync(count: null, offset: null, cancellationToken))
        {
            var properties = await manager.GetPropertiesAsync(scope, cancellationToken);
            if (IsFromConfiguration(properties) && !names.Contains(await manager.GetNameAsync(scope, cancellationToken)))
            {
                stale.Add(scope);
            }
        }

        foreach (var scope in stale)
        {
            await manager.DeleteAsync(scope, cancellationToken);
        }
    }

    private async Task ReconcileClientAsync(IOpenIddictApplicationManager manager, ClientRegistration client, CancellationToken cancellationToken)
    {
        var descriptor = ToDescriptor(client);
        var existing = await manager.FindByClientIdAsync(client.ClientId!, cancellationToken);
        if (existing is null)
        {
            await manager.CreateAsync(descriptor, cancellationToken);
            LogClientCreated(logger, client.ClientId!);
        }
        else
        {
            await manager.UpdateAsync(existing, descriptor, cancellationToken);
        }
    }

    private async Task DisableRemovedClientsAsync(
        IServiceProvider provider, IOpenIddictApplicationManager manager, ClientCatalogOptions catalog, CancellationToken cancellationToken)
    {
        var declared = catalog.Clients.Select(c => c.ClientId).ToHashSet(StringComparer.Ordinal);
        var removed = new List<object>();
        await foreach (var application in manager.ListAsync(count: null, offset: null, cancellationToken))
        {
            var properties = await manager.GetPropertiesAsync(application, cancellationToken);
            if (IsFromConfiguration(properties) && !properties.ContainsKey(DisabledProperty)
                && !declared.Contains(await manager.GetClientIdAsync(application, cancellationToken)))
            {
                removed.Add(application);
            }
        }

        var tokens = provider.GetRequiredService<IOpenIddictTokenManager>();
        var authorizations = provider.GetRequiredService<IOpenIddictAuthorizationManager>();
        foreach (var application in removed)
        {
            var descriptor = new OpenIddictApplicationDescriptor();
            await manager.PopulateAsync(descriptor, application, cancellationToken);
            // No permission left: every endpoint refuses the client (it can be re-enabled by declaring it again).
            descriptor.Permissions.Clear();
            descriptor.Properties[DisabledProperty] = JsonSerializer.SerializeToElement(true);
            await manager.UpdateAsync(application, descriptor, cancellationToken);

            var id = await manager.GetIdAsync(application, cancellationToken);
            await authorizations.RevokeByApplicationIdAsync(id!, cancellationToken);
            await tokens.RevokeByApplicationIdAsync(id!, cancellationToken);
            LogClientDisabled(logger, descriptor.ClientId!);
        }
    }

    /// <summary>Application property holding <see cref="ClientRegistration.InitiateLoginUri"/>.</summary>
    public const string InitiateLoginUriProperty = "plinto_initiate_login_uri";

    internal static OpenIddictApplicationDescriptor ToDescriptor(ClientRegistration client)
    {
        var confidential = !string.IsNullOrEmpty(client.ClientSecret);
        var grants = client.EffectiveGrantTypes;
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = client.ClientId,
            ClientSecret = confidential ? client.ClientSecret : null,
            ClientType = confidential ? ClientTypes.Confidential : ClientTypes.Public,
            DisplayName = string.IsNullOrWhiteSpace(client.DisplayName) ? client.ClientId : client.DisplayName,
            ConsentType = client.EffectiveConsentType,
        };
        descriptor.Properties[SourceProperty] = JsonSerializer.SerializeToElement(ConfigurationSource);
        if (client.InitiateLoginUri is not null)
        {
            descriptor.Properties[InitiateLoginUriProperty] = JsonSerializer.SerializeToElement(client.InitiateLoginUri);
        }

        descriptor.RedirectUris.UnionWith(client.RedirectUris.Select(u => new Uri(u, UriKind.Absolute)));
        descriptor.PostLogoutRedirectUris.UnionWith(client.PostLogoutRedirectUris.Select(u => new Uri(u, UriKind.Absolute)));

        descriptor.Permissions.Add(Permissions.Endpoints.Token);
        descriptor.Permissions.Add(Permissions.Endpoints.Revocation);
        if (confidential)
        {
            descriptor.Permissions.Add(Permissions.Endpoints.Introspection);
        }

        if (grants.Contains(GrantTypes.AuthorizationCode))
        {
            descriptor.Permissions.Add(Permissions.Endpoints.Authorization);
            descriptor.Permissions.Add(Permissions.Endpoints.EndSession);
            descriptor.Permissions.Add(Permissions.ResponseTypes.Code);
        }

        descriptor.AddGrantTypePermissions([.. grants]);
        descriptor.AddScopePermissions([.. client.EffectiveScopes]);

        if (!confidential)
        {
            // RFC 9700 §2.1.1: public clients must use PKCE.
            descriptor.Requirements.Add(Requirements.Features.ProofKeyForCodeExchange);
        }

        return descriptor;
    }

    private static bool IsFromConfiguration(IReadOnlyDictionary<string, JsonElement> properties) =>
        properties.TryGetValue(SourceProperty, out var source)
        && source.ValueKind == JsonValueKind.String
        && source.GetString() == ConfigurationSource;

    [LoggerMessage(Level = LogLevel.Information, Message = "Created client {ClientId} from configuration.")]
    private static partial void LogClientCreated(ILogger logger, string clientId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Client {ClientId} is no longer in configuration: disabled it and revoked its grants.")]
    private static partial void LogClientDisabled(ILogger logger, string clientId);
}
