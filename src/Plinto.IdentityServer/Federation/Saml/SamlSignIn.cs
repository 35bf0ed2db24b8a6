using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Account.Sessions;
using Plinto.IdentityServer.Audit;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Organizations;
using Plinto.Saml2;

namespace Plinto.IdentityServer.Federation.Saml;

/// <summary>
/// SP-initiated sign-in through an organization's IdP: the AuthnRequest (bound to this browser by a protected cookie
/// that RelayState must match), then the ACS — validation, replay cache, just-in-time provisioning or linking, and
/// a Plinto session with <c>amr: ["ext"]</c>.
/// </summary>
internal sealed partial class SamlSignIn(
    PlintoDbContext db,
    UserManager<PlintoUser> users,
    SignInManager<PlintoUser> signIn,
    UserSessions sessions,
    IDataProtectionProvider dataProtection,
    TimeProvider time,
    ILogger<SamlSignIn> logger)
{
    public const string StateCookie = "plinto.saml";

    /// <summary>How long a person has at the IdP before the request expires.</summary>
    private static readonly TimeSpan RequestLifetime = TimeSpan.FromMinutes(15);

    private readonly ITimeLimitedDataProtector protector = dataProtection.CreateProtector("Plinto.Federation.Saml.Request").ToTimeLimitedDataProtector();

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    private sealed record RequestState(string ConnectionId, string RequestId, string RelayState, string ReturnUrl);

    /// <summary>The IdP URL to send the browser to; null when the connection does not exist or is disabled.</summary>
    public async Task<string?> StartAsync(HttpContext context, string connectionId, string returnUrl, bool forceAuthentication, CancellationToken cancellationToken)
    {
        var connection = await db.Set<SamlConnection>().AsNoTracking().SingleOrDefaultAsync(c => c.Id == connectionId && c.Enabled, cancellationToken);
        if (connection is null)
        {
            return null;
        }

        var origin = AccountLinks.Absolute(context, string.Empty);
        var request = new Saml2AuthnRequest(Saml2Bindings.NewId(), time.GetUtcNow(), connection.IdpSsoUrl,
            SamlConnections.ServiceProviderEntityId(origin, connection.Id), SamlConnections.AssertionConsumerServiceUrl(origin, connection.Id),
            connection.NameIdFormat, forceAuthentication);

        // RelayState carries only a random value of ours, matched against this browser's cookie (SAML bindings §3.4.3).
        var relayState = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var state = new RequestState(connection.Id, request.Id, relayState, returnUrl);
        context.Response.Cookies.Append(StateCookie, protector.Protect(JsonSerializer.Serialize(state), RequestLifetime), new CookieOptions
        {
            HttpOnly = true,
            Secure = true,
            // The IdP posts back from another site: only SameSite=None comes along on that POST.
            SameSite = SameSiteMode.None,
            Path = "/saml2",
            MaxAge = RequestLifetime,
        });
        return Saml2Bindings.RedirectUrl(request, relayState, context.RequestServices.GetService<SamlServiceProvider>()?.SigningCertificate);
    }

    /// <summary>
    /// The ACS: returns where to send the browser next, or null after logging why the response was refused (the person
    /// sees a generic message; the log has the reason, never the assertion).
    /// </summary>
    public async Task<string?> CompleteAsync(HttpContext context, string connectionId, string? samlResponse, string? relayState, CancellationToken cancellationToken)
    {
        var connection = await db.Set<SamlConnection>().AsNoTracking().SingleOrDefaultAsync(c => c.Id == connectionId && c.Enabled, cancellationToken);
        if (connection is null)
        {
            LogRefused(logger, connectionId, "UnknownConnection");
            return null;
        }

        var state = ReadState(context, connectionId, relayState);
        context.Response.Cookies.Delete(StateCookie, new CookieOptions { Path = "/saml2", Secure = true, SameSite = SameSiteMode.None });
        if (state is null && !connection.AllowIdpInitiated)
        {
            LogRefused(logger, connectionId, "NoRequestState");
            return null;
        }

        var origin = AccountLinks.Absolute(context, string.Empty);
        Saml2Assertion assertion;
        try
        {
            var document = Saml2Bindings.ReadPostedResponse(samlResponse);
            assertion = Saml2ResponseValidator.Validate(document, new Saml2ValidationParameters
            {
                IdentityProviderEntityId = connection.IdpEntityId,
                SigningCertificates = SamlConnections.Certificates(connection),
                ServiceProviderEntityId = SamlConnections.ServiceProviderEntityId(origin, connection.Id),
                AssertionConsumerServiceUrl = SamlConnections.AssertionConsumerServiceUrl(origin, connection.Id),
                ExpectedInResponseTo = state?.RequestId,
                AllowUnsolicited = state is null && connection.AllowIdpInitiated,
                RequireSignedResponse = connection.RequireSignedResponse,
                RequireSignedAssertion = connection.RequireSignedAssertion,
                ClockSkew = TimeSpan.FromSeconds(connection.ClockSkewSeconds),
                Now = time.GetUtcNow(),
            });
        }
        catch (Saml2ValidationException error)
        {
            LogRefused(logger, connectionId, error.Reason.ToString());
            return null;
        }

        // SAML profiles §4.1.4.5: an assertion is used once. The primary key makes two nodes agree on "first"; the
        // entry is committed on its own (a failed provisioning must not free the assertion) and kept as long as the
        // validator could still accept it (its end plus the allowed skew).
        db.Add(new SamlReplay
        {
            ConnectionId = connection.Id,
            AssertionId = assertion.Id,
            ExpiresAt = (assertion.NotOnOrAfter + TimeSpan.FromSeconds(connection.ClockSkewSeconds)).ToUnixTimeMilliseconds(),
        });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            LogRefused(logger, connectionId, Saml2Failure.Replay.ToString());
            return null;
        }

        // Unsolicited responses cannot be bound to this browser: never let one replace another person's session
        // (login CSRF; the reason IdP-initiated sign-in is off by default).
        if (state is null && (await context.AuthenticateAsync(IdentityConstants.ApplicationScheme)).Principal?.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value is { } current)
        {
            var asserted = await db.Set<SamlIdentity>().Where(i => i.ConnectionId == connection.Id && i.NameId == assertion.NameId).Select(i => i.UserId).SingleOrDefaultAsync(cancellationToken);
            if (asserted != current)
            {
                LogRefused(logger, connectionId, "UnsolicitedForAnotherSession");
                return null;
            }
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var user = await ProvisionAsync(connection, assertion, cancellationToken);
        // A temporary lockout (someone's wrong passwords for this address) does not stop a sign-in at the organization's
        // IdP; a deactivation does (AccountLockout).
        if (user is null || !await signIn.CanSignInAsync(user) || await users.IsDeactivatedAsync(user))
        {
            LogRefused(logger, connectionId, user is null ? "Provisioning" : "AccountCannotSignIn");
            return null;
        }

        db.Add(AuditEntry.Create(time, connection.OrganizationId, user.Id, "saml.signin", connection.Id, new { idpInitiated = state is null }));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        // A new session (new id) with "ext": the person proved who they are at the organization's IdP.
        await sessions.SignInAsync(user, ["ext"], remember: false, externalOrganizationId: connection.OrganizationId);
        return state?.ReturnUrl ?? await InitiateLoginAsync(context, connection, user, cancellationToken);
    }

    private RequestState? ReadState(HttpContext context, string connectionId, string? relayState)
    {
        if (!context.Request.Cookies.TryGetValue(StateCookie, out var cookie))
        {
            return null;
        }

        try
        {
            var state = JsonSerializer.Deserialize<RequestState>(protector.Unprotect(cookie));
            return state is not null && state.ConnectionId == connectionId && relayState is not null
                && CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(state.RelayState), System.Text.Encoding.ASCII.GetBytes(relayState))
                ? state
                : null;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>
    /// The account for (connection, NameID). Every account a connection signs in to must have its address on a domain
    /// the connection's organization verifies now (an IdP speaks only for its own domains): known links are re-checked,
    /// new accounts are created only there, and an existing account is linked only when it is the very same address
    /// (IDNA-exact domain: no look-alikes) and belongs to no other organization (another tenant's admin must never gain
    /// a way into it). Attributes and mapped roles are refreshed.
    /// </summary>
    private async Task<PlintoUser?> ProvisionAsync(SamlConnection connection, Saml2Assertion assertion, CancellationToken cancellationToken)
    {
        var identity = await db.Set<SamlIdentity>().SingleOrDefaultAsync(i => i.ConnectionId == connection.Id && i.NameId == assertion.NameId, cancellationToken);
        var email = First(assertion, connection.EmailAttribute)
            ?? (System.Net.Mail.MailAddress.TryCreate(assertion.NameId, out var parsed) && parsed.Address == assertion.NameId ? assertion.NameId : null);
        PlintoUser? user;
        if (identity is not null)
        {
            user = await users.FindByIdAsync(identity.UserId);
            if (user is not null && !await IsVerifiedAsync(connection, user.Email, cancellationToken))
            {
                LogProvisioning(logger, connection.Id, "the linked account's address is no longer on a domain the organization verified");
                return null;
            }

            identity.LastSignInAt = Now;
        }
        else
        {
            if (email is null || !await IsVerifiedAsync(connection, email, cancellationToken))
            {
                LogProvisioning(logger, connection.Id, "no address on a domain the organization verified");
                return null;
            }

            user = await users.FindByEmailAsync(email);
            if (user is not null && (!DomainVerification.SameAddress(user.Email, email)
                || await db.Set<OrganizationMember>().AnyAsync(m => m.UserId == user.Id && m.OrganizationId != connection.OrganizationId, cancellationToken)))
            {
                LogProvisioning(logger, connection.Id, "an existing account with this address cannot be linked (another address form, or a member of other organizations)");
                return null;
            }

            if (user is null)
            {
                user = new PlintoUser { UserName = email, Email = email, EmailConfirmed = true, CreatedAt = time.GetUtcNow() };
                if (!(await users.CreateAsync(user)).Succeeded)
                {
                    LogProvisioning(logger, connection.Id, "the account could not be created");
                    return null;
                }
            }

            db.Add(new SamlIdentity { ConnectionId = connection.Id, NameId = assertion.NameId, UserId = user.Id, CreatedAt = Now, LastSignInAt = Now });
        }

        if (user is null)
        {
            return null;
        }

        // Attributes are refreshed at every sign-in.
        var given = connection.GivenNameAttribute is null ? null : First(assertion, connection.GivenNameAttribute);
        var family = connection.FamilyNameAttribute is null ? null : First(assertion, connection.FamilyNameAttribute);
        if (given is not null || family is not null)
        {
            user.GivenName = given ?? user.GivenName;
            user.FamilyName = family ?? user.FamilyName;
            user.Name = $"{user.GivenName} {user.FamilyName}".Trim();
            await users.UpdateAsync(user);
        }

        await SyncMembershipAsync(connection, user, assertion, cancellationToken);
        return user;
    }

    /// <summary>Membership with the default role, and the roles mapped from the IdP's groups (added and removed to match).</summary>
    private async Task SyncMembershipAsync(SamlConnection connection, PlintoUser user, Saml2Assertion assertion, CancellationToken cancellationToken)
    {
        var organization = await db.Set<Organization>().SingleAsync(o => o.Id == connection.OrganizationId, cancellationToken);
        var member = await db.Set<OrganizationMember>().Include(m => m.Roles)
            .SingleOrDefaultAsync(m => m.OrganizationId == organization.Id && m.UserId == user.Id, cancellationToken);
        if (member is null)
        {
            member = new OrganizationMember { OrganizationId = organization.Id, UserId = user.Id, JoinedAt = Now };
            member.Roles.Add(new OrganizationMemberRole { OrganizationId = organization.Id, UserId = user.Id, RoleName = organization.DefaultRole });
            db.Add(member);
        }

        var map = JsonSerializer.Deserialize<Dictionary<string, string>>(connection.GroupRoles) ?? [];
        if (map.Count == 0 || connection.GroupsAttribute is null)
        {
            return;
        }

        var groups = assertion.Attributes.TryGetValue(connection.GroupsAttribute, out var values) ? values : [];
        var wanted = groups.Where(map.ContainsKey).Select(g => map[g]).ToHashSet(StringComparer.Ordinal);
        foreach (var role in map.Values.Distinct())
        {
            var has = member.Roles.Any(r => r.RoleName == role);
            if (wanted.Contains(role) && !has)
            {
                member.Roles.Add(new OrganizationMemberRole { OrganizationId = organization.Id, UserId = user.Id, RoleName = role });
            }
            else if (!wanted.Contains(role) && has && member.Roles.Count > 1)
            {
                member.Roles.RemoveAll(r => r.RoleName == role);
            }
        }
    }

    /// <summary>
    /// IdP-initiated (allowed on this connection only): the session exists; the person goes to the allowlisted client's
    /// login initiation endpoint (OIDC Core §4, third-party initiated login), which starts an ordinary authorization
    /// request that this session answers. No code is ever sent to a client that did not ask for it.
    /// </summary>
    private async Task<string> InitiateLoginAsync(HttpContext context, SamlConnection connection, PlintoUser user, CancellationToken cancellationToken)
    {
        var applications = context.RequestServices.GetRequiredService<OpenIddict.Abstractions.IOpenIddictApplicationManager>();
        if (connection.IdpInitiatedClientId is not { } clientId
            || await applications.FindByClientIdAsync(clientId, cancellationToken) is not { } application
            || !(await applications.GetPropertiesAsync(application, cancellationToken))
                .TryGetValue(Connect.ClientCatalogReconciler.InitiateLoginUriProperty, out var property)
            || property.GetString() is not { } initiate)
        {
            LogNoInitiateLogin(logger, connection.Id);
            return "/";
        }

        var issuer = AccountLinks.Absolute(context, "/");
        return Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(initiate,
            new Dictionary<string, string?> { ["iss"] = issuer, ["login_hint"] = user.Email });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "IdP-initiated sign-in through connection {ConnectionId}: its client has no InitiateLoginUri; the person lands on Plinto's home page.")]
    private static partial void LogNoInitiateLogin(ILogger logger, string connectionId);

    private async Task<bool> IsVerifiedAsync(SamlConnection connection, string? email, CancellationToken cancellationToken) =>
        DomainVerification.OfEmail(email) is { } domain
        && await db.Set<OrganizationDomain>().AnyAsync(d => d.OrganizationId == connection.OrganizationId && d.Name == domain && d.VerifiedAt != null, cancellationToken);

    private static string? First(Saml2Assertion assertion, string attribute) =>
        assertion.Attributes.TryGetValue(attribute, out var values) ? values.FirstOrDefault(v => v.Length > 0) : null;

    [LoggerMessage(Level = LogLevel.Warning, Message = "SAML response for connection {ConnectionId} refused: {Reason}.")]
    private static partial void LogRefused(ILogger logger, string connectionId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SAML sign-in through connection {ConnectionId} not provisioned: {Reason}.")]
    private static partial void LogProvisioning(ILogger logger, string connectionId, string reason);
}

/// <summary>The SP's own signing certificate (<c>Plinto:Saml:SigningCertificateFile</c>), when one is configured.</summary>
internal sealed class SamlServiceProvider(System.Security.Cryptography.X509Certificates.X509Certificate2? signingCertificate)
{
    public System.Security.Cryptography.X509Certificates.X509Certificate2? SigningCertificate { get; } = signingCertificate;
}
