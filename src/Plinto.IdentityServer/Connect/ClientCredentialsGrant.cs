using System.Buffers;
using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Collections.ObjectModel;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using Plinto.IdentityServer.Hosting;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Plinto.IdentityServer.Connect;

/// <summary>
/// The client_credentials grant's hot path (docs/performance.md, lever 28): a token request in its plainest form —
/// client_secret_basic or client_secret_post, <c>grant_type</c> and API scopes, nothing else — is answered here,
/// before OpenIddict's generic pipeline (about 60 handlers over four events for this grant) and the passthrough
/// endpoint run. It issues only when every rule OpenIddict applies to such a request holds, with the same managers
/// and caches (<see cref="PlintoApplicationManager"/>, <see cref="PlintoPrincipalFactory"/>), the same key
/// (<see cref="IssuedTokenCredentials"/>) and the same token and response bytes. Any request it does not fully
/// recognize — another grant, another parameter, an OpenID, organization or admin scope, a client assertion or
/// certificate, Basic values that would need decoding, an unknown client, a wrong secret, a missing permission,
/// per-client settings, token storage or encryption turned on, a server option that changes the rules — goes on to
/// OpenIddict unchanged (the form stays buffered in the request's form feature), so every error is still OpenIddict's
/// (RFC 6749 §5.2) and every rare case its rules. <c>Connect/ClientCredentialsGrantTests</c> keep the two paths
/// equal, and pin Plinto's own handlers on the token endpoint's events (a new one must be accounted for here).
/// <see cref="TokenOptions.ClientCredentialsFastPath"/> turns it off.
/// </summary>
internal sealed partial class ClientCredentialsGrant(
    RequestDelegate next,
    IOptionsMonitor<OpenIddictServerOptions> serverOptions,
    IOptionsMonitor<OpenIddictServerAspNetCoreOptions> hostOptions,
    IOptions<TokenOptions> tokenOptions,
    IssuedTokenCredentials credentials,
    PlintoMetrics metrics,
    ILogger<ClientCredentialsGrant> logger)
{
    private const string TokenPath = "/connect/token";
    private const string FormMediaType = "application/x-www-form-urlencoded";

    // RFC 9068 §2.1: "typ" of a JWT access token. No default claims: the payload is written whole below.
    private static readonly ReadOnlyDictionary<string, object> Header = new(new Dictionary<string, object>(StringComparer.Ordinal) { [JwtHeaderParameterNames.Typ] = JsonWebTokenTypes.AccessToken });

    // The escaping IdentityModel uses for token payloads and OpenIddict for responses, and OpenIddict's indentation:
    // the same bytes on both paths.
    private static readonly JsonWriterOptions PayloadWriting = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonWriterOptions ResponseWriting = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = true };
    private static readonly JsonWebTokenHandler Tokens = new() { SetDefaultTimesOnTokenCreation = false };
    private static readonly FrozenSet<string> StandardScopes = ValidateClientCatalogOptions.StandardScopes.ToFrozenSet(StringComparer.Ordinal);

    public async Task InvokeAsync(HttpContext context)
    {
        var tokens = tokenOptions.Value;
        // Encrypted access tokens (Plinto:Tokens:EncryptAccessTokens) show in OpenIddict's options: HasPlainRules.
        if (!tokens.ClientCredentialsFastPath || tokens.StoreClientCredentialsAccessTokens || !IsPlainTokenRequest(context)
            // OpenIddict asks the connection for a client certificate on every HTTPS token request (a certificate Kestrel
            // only requests then, ClientCertificateMode.DelayCertificate, arrives with that call) and refuses one it
            // has no TLS client authentication policy for: a request with one is OpenIddict's to answer.
            || (context.Request.IsHttps && await context.Connection.GetClientCertificateAsync(context.RequestAborted) is not null))
        {
            await next(context);
            return;
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var options = serverOptions.CurrentValue;
        if (!TryReadGrant(context.Request, form, options, out var grant) || !await TryIssueAsync(context, grant, options))
        {
            await next(context);
        }
    }

    /// <summary>A POST of a form to the token endpoint, over the transport OpenIddict requires, without a client certificate (so far) or a DPoP proof, answered in OpenIddict's default JSON layout.</summary>
    private bool IsPlainTokenRequest(HttpContext context)
    {
        var request = context.Request;
        if (!HttpMethods.IsPost(request.Method) || !request.Path.Equals(TokenPath, StringComparison.Ordinal)
            || request.ContentType is not { } contentType || !request.Host.HasValue
            || request.Headers.ContainsKey("DPoP") || context.Connection.ClientCertificate is not null
            || hostOptions.CurrentValue.SuppressJsonResponseIndentation)
        {
            return false;
        }

        // OAuth 2.0 §4.1 / RFC 6749 §3.2: HTTPS unless the deployment turned the requirement off (OpenIddict's rule).
        if (!request.IsHttps && !hostOptions.CurrentValue.DisableTransportSecurityRequirement)
        {
            return false;
        }

        if (!contentType.Equals(FormMediaType, StringComparison.OrdinalIgnoreCase)
            && !(contentType.StartsWith(FormMediaType, StringComparison.OrdinalIgnoreCase) && contentType[FormMediaType.Length] == ';'))
        {
            return false;
        }

        // OpenIddict builds the request's URI from the scheme, host and path base, and fails on a host that makes none
        // (e.g. a port Kestrel lets through, "Host: id.example:99999").
        return Uri.TryCreate(string.Concat(request.Scheme, "://", request.Host.Value, request.PathBase.Value), UriKind.Absolute, out _);
    }

    /// <summary>
    /// The request's parameters, when they are exactly a client_credentials grant with one way of client
    /// authentication (RFC 6749 §2.3: "MUST NOT use more than one authentication method in each request") and
    /// nothing else. Anything unusual returns false: OpenIddict decides.
    /// </summary>
    private static bool TryReadGrant(HttpRequest request, IFormCollection form, OpenIddictServerOptions options, out Grant grant)
    {
        grant = default;
        string? grantType = null, scope = null, formClientId = null, formSecret = null;
        foreach (var (name, values) in form)
        {
            if (values.Count != 1 || string.IsNullOrEmpty(values[0]))
            {
                return false;
            }

            switch (name)
            {
                case Parameters.GrantType: grantType = values[0]; break;
                case Parameters.Scope: scope = values[0]; break;
                case Parameters.ClientId: formClientId = values[0]; break;
                case Parameters.ClientSecret: formSecret = values[0]; break;
                default: return false; // resource, audience, client_assertion, organization, …
            }
        }

        if (grantType is not GrantTypes.ClientCredentials)
        {
            return false;
        }

        string clientId, secret, method;
        var authorization = request.Headers.Authorization;
        if (authorization.Count == 0)
        {
            if (formClientId is null || formSecret is null)
            {
                return false;
            }

            (clientId, secret, method) = (formClientId, formSecret, ClientAuthenticationMethods.ClientSecretPost);
        }
        // OpenIddict lets the Basic header's client id win over a client_id in the body; here they must agree.
        else if (formSecret is not null || !TryReadBasic(authorization, out clientId, out secret)
            || (formClientId is not null && !string.Equals(formClientId, clientId, StringComparison.Ordinal)))
        {
            return false;
        }
        else
        {
            method = ClientAuthenticationMethods.ClientSecretBasic;
        }

        if (!options.ClientAuthenticationMethods.Contains(method) || !TryReadScopes(scope, options, out var scopes))
        {
            return false;
        }

        grant = new Grant(clientId, secret, scopes);
        return true;
    }

    /// <summary>
    /// RFC 6749 §2.3.1: the client id and secret are form-encoded, then joined by a colon and base64-encoded. Values
    /// that would need the form decoding (a '%' or a '+'), or are not ASCII, are left to OpenIddict, so both paths
    /// read the same strings.
    /// </summary>
    private static bool TryReadBasic(StringValues authorization, out string clientId, out string secret)
    {
        clientId = secret = string.Empty;
        if (authorization.Count != 1 || authorization[0] is not { } value || !value.StartsWith("Basic ", StringComparison.Ordinal))
        {
            return false;
        }

        var encoded = value.AsSpan(6);
        var bytes = ArrayPool<byte>.Shared.Rent(encoded.Length);
        try
        {
            if (!Convert.TryFromBase64Chars(encoded, bytes, out var length))
            {
                return false;
            }

            // OpenIddict reads the decoded bytes as ASCII: other bytes would read differently on the two paths.
            if (!Ascii.IsValid(bytes.AsSpan(0, length)))
            {
                return false;
            }

            var decoded = Encoding.ASCII.GetString(bytes, 0, length);
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || colon == decoded.Length - 1 || decoded.AsSpan().IndexOfAny('%', '+') >= 0)
            {
                return false;
            }

            (clientId, secret) = (decoded[..colon], decoded[(colon + 1)..]);
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes, clearArray: true);
        }
    }

    /// <summary>
    /// RFC 6749 §3.3: space-delimited scope tokens. Only the API scopes registered with the server take this path (a
    /// name outside them, whatever its characters, goes on); the OpenID and organization scopes (ID tokens, refresh
    /// tokens, admin audiences), scopes known only to the database, and empty or repeated tokens go to OpenIddict.
    /// </summary>
    private static bool TryReadScopes(string? scope, OpenIddictServerOptions options, out ImmutableArray<string> scopes)
    {
        scopes = [];
        if (scope is null)
        {
            return true;
        }

        var builder = ImmutableArray.CreateBuilder<string>();
        foreach (var range in scope.AsSpan().Split(' '))
        {
            var token = scope[range];
            if (token.Length == 0 || builder.Contains(token) || StandardScopes.Contains(token) || !options.Scopes.Contains(token))
            {
                return false;
            }

            builder.Add(token);
        }

        scopes = builder.ToImmutable();
        return true;
    }

    private async Task<bool> TryIssueAsync(HttpContext context, Grant grant, OpenIddictServerOptions options)
    {
        if (options.Issuer is not { } issuer || options.AccessTokenLifetime is not { } lifetime || !HasPlainRules(options))
        {
            return false;
        }

        var cancellationToken = context.RequestAborted;
        var services = context.RequestServices;
        var applications = services.GetRequiredService<IOpenIddictApplicationManager>();
        var application = await applications.FindByClientIdAsync(grant.ClientId, cancellationToken);
        if (application is null
            // RFC 6749 §4.4: only confidential clients may use this grant.
            || !await applications.HasClientTypeAsync(application, ClientTypes.Confidential, cancellationToken)
            || !await HasPermissionsAsync(applications, application, grant.Scopes, options, cancellationToken)
            // Per-client token lifetimes and other settings: OpenIddict's rules apply.
            || (await applications.GetSettingsAsync(application, cancellationToken)).Count != 0
            // Last, so that a request handed on for another reason is not checked (hashed) twice.
            || !await applications.ValidateClientSecretAsync(application, grant.Secret, cancellationToken))
        {
            return false;
        }

        var resources = await services.GetRequiredService<PlintoPrincipalFactory>().ListResourcesAsync(grant.Scopes, cancellationToken);
        // OpenIddict's clock, and its dates: whole seconds.
        var clock = options.TimeProvider ?? TimeProvider.System;
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(clock.GetUtcNow().ToUnixTimeSeconds());
        var expires = DateTimeOffset.FromUnixTimeSeconds((issuedAt + lifetime).ToUnixTimeSeconds());
        var token = Tokens.CreateToken(WritePayload(issuer, issuedAt, expires, resources, grant), credentials.AccessTokenSigning, Header);

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json;charset=UTF-8";
        // RFC 6749 §5.1: "Cache-Control: no-store" and "Pragma: no-cache" on every response with tokens.
        response.Headers.CacheControl = "no-store";
        response.Headers.Pragma = "no-cache";
        response.Headers.Expires = "Thu, 01 Jan 1970 00:00:00 GMT";
        metrics.TokenResponse(GrantTypes.ClientCredentials, error: null);
        // No endpoint ran: name the route for ASP.NET Core's request metrics as the token endpoint's would.
        context.Features.Get<IHttpMetricsTagsFeature>()?.Tags.Add(new("http.route", TokenPath));
        LogIssued(logger, grant.ClientId);

        var body = new ArrayBufferWriter<byte>(token.Length + 64);
        using (var writer = new Utf8JsonWriter(body, ResponseWriting))
        {
            writer.WriteStartObject();
            writer.WriteString(Parameters.AccessToken, token);
            writer.WriteString(Parameters.TokenType, TokenTypes.Bearer);
            // What is left of the token's lifetime, rounded to the nearest second, as OpenIddict computes it — and, as
            // OpenIddict does, nothing when none is left (a lifetime under a second, its dates being whole seconds).
            if (expires > clock.GetUtcNow())
            {
                writer.WriteNumber(Parameters.ExpiresIn, (long)((expires - clock.GetUtcNow()).TotalSeconds + .5));
            }
            // RFC 6749 §5.1: "scope" is omitted when the granted scopes are the requested ones, as they are here.
            writer.WriteEndObject();
        }

        response.ContentLength = body.WrittenCount;
        await response.Body.WriteAsync(body.WrittenMemory, cancellationToken);
        return true;
    }

    /// <summary>
    /// The server options under which the checks here are OpenIddict's: the grant enabled, access tokens signed and not
    /// encrypted, self-contained (not reference tokens), scopes validated, the database consulted (no degraded mode), no TLS client authentication or
    /// certificate-bound tokens (RFC 8705), which need the connection's certificate.
    /// </summary>
    private static bool HasPlainRules(OpenIddictServerOptions options) =>
        options.GrantTypes.Contains(GrantTypes.ClientCredentials)
        && options.DisableAccessTokenEncryption
        && !options.UseReferenceAccessTokens
        && !options.DisableScopeValidation
        && !options.EnableDegradedMode
        && !options.UseClientCertificateBoundAccessTokens
        && options.SelfSignedTlsClientAuthenticationPolicy is null
        && options.PublicKeyInfrastructureTlsClientAuthenticationPolicy is null;

    private static async ValueTask<bool> HasPermissionsAsync(
        IOpenIddictApplicationManager applications, object application, ImmutableArray<string> scopes, OpenIddictServerOptions options, CancellationToken cancellationToken)
    {
        if (!options.IgnoreEndpointPermissions && !await applications.HasPermissionAsync(application, Permissions.Endpoints.Token, cancellationToken))
        {
            return false;
        }

        if (!options.IgnoreGrantTypePermissions && !await applications.HasPermissionAsync(application, Permissions.GrantTypes.ClientCredentials, cancellationToken))
        {
            return false;
        }

        if (!options.IgnoreScopePermissions)
        {
            foreach (var scope in scopes)
            {
                if (!await applications.HasPermissionAsync(application, Permissions.Prefixes.Scope + scope, cancellationToken))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>RFC 9068 §2.2: the claims OpenIddict puts in a client's own access token, in its order.</summary>
    private static string WritePayload(Uri issuer, DateTimeOffset issuedAt, DateTimeOffset expires, ImmutableArray<string> resources, Grant grant)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, PayloadWriting))
        {
            writer.WriteStartObject();
            writer.WriteString(Claims.Issuer, issuer.AbsoluteUri);
            writer.WriteNumber(Claims.ExpiresAt, expires.ToUnixTimeSeconds());
            writer.WriteNumber(Claims.IssuedAt, issuedAt.ToUnixTimeSeconds());
            WriteStrings(writer, Claims.Audience, resources);
            if (grant.Scopes.Length > 0)
            {
                writer.WriteString(Claims.Scope, string.Join(' ', grant.Scopes));
            }

            writer.WriteString(Claims.JwtId, Guid.NewGuid().ToString());
            writer.WriteString(Claims.Subject, grant.ClientId);
            writer.WriteString(Claims.Private.Presenter, grant.ClientId);
            writer.WriteString(Claims.ClientId, grant.ClientId);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    // One value as a string, several as an array, none omitted: how the JWT claims are serialized from a principal.
    private static void WriteStrings(Utf8JsonWriter writer, string name, ImmutableArray<string> values)
    {
        if (values.Length == 1)
        {
            writer.WriteString(name, values[0]);
        }
        else if (values.Length > 1)
        {
            writer.WriteStartArray(name);
            foreach (var value in values)
            {
                writer.WriteStringValue(value);
            }

            writer.WriteEndArray();
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Issued a client_credentials access token to {ClientId} on the fast path.")]
    private static partial void LogIssued(ILogger logger, string clientId);

    private readonly record struct Grant(string ClientId, string Secret, ImmutableArray<string> Scopes)
    {
        // Never the secret, wherever a grant ends up printed.
        public override string ToString() => $"client_credentials grant of {ClientId} for '{string.Join(' ', Scopes)}'";
    }
}
