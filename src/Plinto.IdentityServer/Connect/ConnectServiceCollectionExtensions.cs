using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Hosting;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Plinto.IdentityServer.Connect;

internal static class ConnectServiceCollectionExtensions
{
    public static IHostApplicationBuilder AddPlintoConnect(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var configuration = builder.Configuration;

        services.AddOptions<TokenOptions>().BindConfiguration(TokenOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TokenOptions>, ValidateTokenOptions>();
        services.AddOptions<ClientCatalogOptions>().BindConfiguration(PlintoHostOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ClientCatalogOptions>, ValidateClientCatalogOptions>();
        services.AddScoped<PlintoPrincipalFactory>();
        services.AddScoped<DeferredTokenWrites>();
        services.AddScoped<GrantAccountPrefetch>();
        services.AddSingleton<CatalogCache>();
        services.AddSingleton<IClusterCache>(sp => sp.GetRequiredService<CatalogCache>());
        services.AddHostedService<ClientCatalogReconciler>();

        // Read once here: OpenIddict's builder needs the values while services are being registered.
        var host = configuration.GetPlintoHostOptions();
        var tokens = configuration.GetSection(TokenOptions.Section).Get<TokenOptions>() ?? new TokenOptions();
        var keys = configuration.GetSection(KeyOptions.Section).Get<KeyOptions>() ?? new KeyOptions();
        var keyFolder = Path.Combine(host.ResolveDataDirectory(builder.Environment), "keys");
        var declaredScopes = configuration.GetSection(PlintoHostOptions.Section).Get<ClientCatalogOptions>()?.Scopes ?? [];

        services.AddOpenIddict()
            .AddCore(options =>
            {
                options.UseEntityFrameworkCore().UseDbContext<PlintoDbContext>();
                options.ReplaceApplicationManager<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreApplication, PlintoApplicationManager>();
                options.ReplaceScopeManager<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreScope, PlintoScopeManager>();
                options.ReplaceTokenStore<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreToken, PlintoTokenStore>(ServiceLifetime.Scoped);
                options.ReplaceAuthorizationStore<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreAuthorization, PlintoAuthorizationStore>(ServiceLifetime.Scoped);
            })
            .AddServer(options =>
            {
                if (host.Issuer is not null)
                {
                    options.SetIssuer(host.Issuer);
                }

                options.SetAuthorizationEndpointUris("connect/authorize")
                    .SetTokenEndpointUris("connect/token")
                    .SetUserInfoEndpointUris("connect/userinfo")
                    .SetEndSessionEndpointUris("connect/endsession")
                    .SetIntrospectionEndpointUris("connect/introspect")
                    .SetRevocationEndpointUris("connect/revoke")
                    .SetJsonWebKeySetEndpointUris(".well-known/jwks");

                // Code flow only: no implicit, hybrid or password grant (RFC 9700 §2.1.2, §2.4).
                options.AllowAuthorizationCodeFlow()
                    .AllowRefreshTokenFlow()
                    .AllowClientCredentialsFlow();

                // RFC 7636 §4.2 / RFC 9700 §2.1.1: only S256; "plain" is refused outright.
                options.Configure(o => o.CodeChallengeMethods.Remove(CodeChallengeMethods.Plain));

                options.RegisterScopes([.. ValidateClientCatalogOptions.StandardScopes, .. declaredScopes.Select(s => s.Name!)]);
                options.RegisterClaims([
                    Claims.Subject, Claims.Name, Claims.GivenName, Claims.FamilyName, Claims.Picture,
                    Claims.Email, Claims.EmailVerified, Claims.AuthenticationTime, Claims.AuthenticationMethodReference,
                    Claims.AuthenticationContextReference, .. Organizations.OrganizationScopes.Claims]);

                options.SetAccessTokenLifetime(tokens.AccessTokenLifetime)
                    .SetIdentityTokenLifetime(tokens.IdentityTokenLifetime)
                    .SetAuthorizationCodeLifetime(tokens.AuthorizationCodeLifetime)
                    .SetRefreshTokenLifetime(tokens.RefreshTokenLifetime)
                    .SetRefreshTokenReuseLeeway(tokens.RefreshTokenReuseLeeway);

                var signingKeys = KeyLoader.LoadSigningKeys(keys, "Plinto:Keys:SigningKeyFiles", keyFolder);
                foreach (var key in signingKeys.OrderBy(k => k is RsaSecurityKey ? 0 : 1))
                {
                    options.AddSigningKey(key);
                }

                var encryptionKeys = KeyLoader.LoadEncryptionKeys(keys.EncryptionKeyFiles, "Plinto:Keys:EncryptionKeyFiles", Path.Combine(keyFolder, "encryption.pem"));
                var derived = KeyLoader.DeriveTokenKeys(encryptionKeys);
                var tokenKeys = derived.Current;
                // Registered for reading; TokenCredentials chooses the first current pair for every token it makes.
                foreach (var (signing, encryption) in derived.Current.Concat(derived.ReadOnly))
                {
                    options.AddSigningKey(signing);
                    options.AddEncryptionKey(encryption);
                }

                foreach (var key in encryptionKeys)
                {
                    options.AddEncryptionKey(key);
                }

                var accessTokenKeys = tokens.EncryptAccessTokens ? KeyLoader.LoadAccessTokenEncryptionKeys(keys, keyFolder) : [];
                foreach (var key in accessTokenKeys)
                {
                    options.AddEncryptionKey(key);
                }

                KeyLoader.EnsureDistinct(
                    ("Plinto:Keys:SigningKeyFiles", signingKeys),
                    ("Plinto:Keys:EncryptionKeyFiles", encryptionKeys),
                    ("Plinto:Keys:AccessTokenEncryptionKeyFiles", accessTokenKeys));

                options.AddEventHandler(TokenCredentials.Descriptor);
                var rs256 = new SigningCredentials(signingKeys.OfType<RsaSecurityKey>().First(), SecurityAlgorithms.RsaSha256);
                services.AddSingleton(new IssuedTokenCredentials(
                    IdentityTokenSigning: rs256,
                    AccessTokenSigning: keys.AccessTokenAlgorithm == SecurityAlgorithms.EcdsaSha256
                        ? new SigningCredentials(signingKeys.OfType<ECDsaSecurityKey>().First(), SecurityAlgorithms.EcdsaSha256)
                        : rs256,
                    AccessTokenEncryption: accessTokenKeys.Count == 0 ? null
                        : new EncryptingCredentials(accessTokenKeys[0], SecurityAlgorithms.RsaOAEP, SecurityAlgorithms.Aes256CbcHmacSha512),
                    InternalSigning: new SigningCredentials(tokenKeys[0].Signing, SecurityAlgorithms.HmacSha256),
                    InternalEncryption: new EncryptingCredentials(tokenKeys[0].Encryption, SecurityAlgorithms.Aes256KW, SecurityAlgorithms.Aes256CbcHmacSha512)));

                if (!tokens.EncryptAccessTokens)
                {
                    // Resource servers validate access tokens with the JWKS alone.
                    options.DisableAccessTokenEncryption();
                }

                options.AddEventHandler(TokenResponseMetricsHandler.Descriptor);
                options.AddEventHandler(TokenStorage.Descriptor);
                options.AddEventHandler(DeferredTokenWrites.Begin.Descriptor);
                options.AddEventHandler(DeferredTokenWrites.Flush.Descriptor);
                options.AddEventHandler(GrantAccountPrefetch.Request.Descriptor);
                options.AddEventHandler(AcrDiscoveryHandler.Descriptor);
                options.AddEventHandler(Organizations.ExtractRequestedOrganization.Descriptor);
                options.RemoveEventHandler(OpenIddict.Server.OpenIddictServerHandlers.Discovery.AttachSigningKeys.Descriptor);
                options.AddEventHandler(CachedSigningKeys.Descriptor);
                options.RemoveEventHandler(OpenIddict.Server.OpenIddictServerHandlers.InferEndpointType.Descriptor);
                options.AddEventHandler(RememberedEndpointTypes.Descriptor);

                var aspNetCore = options.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableTokenEndpointPassthrough()
                    .EnableUserInfoEndpointPassthrough()
                    .EnableEndSessionEndpointPassthrough()
                    // Errors that cannot be returned to the client (unknown client, unregistered redirect_uri)
                    // become a bare status code that the status code pages render as our error page.
                    .EnableStatusCodePagesIntegration();
                if (!host.RequireHttps)
                {
                    aspNetCore.DisableTransportSecurityRequirement();
                }
            });

        // After AddServer, so it replaces OpenIddict's dispatcher (same rules, handler lists prepared once).
        services.AddSingleton(new RegisteredLifetimes(services));
        services.AddSingleton<ServerHandlerLists>();
        services.Replace(ServiceDescriptor.Scoped<IOpenIddictServerDispatcher, ServerDispatcher>());

        return builder;
    }
}

internal sealed class ValidateTokenOptions : IValidateOptions<TokenOptions>
{
    public ValidateOptionsResult Validate(string? name, TokenOptions options)
    {
        var failures = new List<string>();
        Positive(options.AccessTokenLifetime, nameof(options.AccessTokenLifetime));
        Positive(options.IdentityTokenLifetime, nameof(options.IdentityTokenLifetime));
        Positive(options.AuthorizationCodeLifetime, nameof(options.AuthorizationCodeLifetime));
        Positive(options.RefreshTokenLifetime, nameof(options.RefreshTokenLifetime));
        Positive(options.RefreshTokenAbsoluteLifetime, nameof(options.RefreshTokenAbsoluteLifetime));
        if (options.AuthorizationCodeLifetime > TimeSpan.FromMinutes(10))
        {
            // RFC 6749 §4.1.2: "A maximum authorization code lifetime of 10 minutes is RECOMMENDED."
            failures.Add("Plinto:Tokens:AuthorizationCodeLifetime must be at most 10 minutes (RFC 6749 §4.1.2).");
        }

        if (options.CatalogCacheLifetime < TimeSpan.Zero || options.CatalogCacheLifetime > TimeSpan.FromMinutes(10))
        {
            failures.Add("Plinto:Tokens:CatalogCacheLifetime must be between 00:00:00 (off) and 00:10:00.");
        }

        if (options.RefreshTokenReuseLeeway < TimeSpan.Zero)
        {
            failures.Add("Plinto:Tokens:RefreshTokenReuseLeeway cannot be negative.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Positive(TimeSpan value, string key)
        {
            if (value <= TimeSpan.Zero)
            {
                failures.Add($"Plinto:Tokens:{key} must be a positive duration (hh:mm:ss).");
            }
        }
    }
}
