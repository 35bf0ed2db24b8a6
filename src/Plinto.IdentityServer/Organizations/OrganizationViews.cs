namespace Plinto.IdentityServer.Organizations;

// What the admin API returns and the admin pages show. Times are ISO 8601 (UTC).

internal sealed record OrganizationView(
    string Id, string Name, string Slug, string? LogoUrl, string? PrimaryColor, DateTimeOffset CreatedAt, OrganizationPolicies Policies)
{
    public static OrganizationView From(Organization o) => new(
        o.Id, o.Name, o.Slug, o.LogoUrl, o.PrimaryColor, DateTimeOffset.FromUnixTimeMilliseconds(o.CreatedAt), OrganizationPolicies.From(o));
}

/// <summary>Per-organization sign-in policies.</summary>
/// <param name="RequireMfa">A second factor before tokens are issued for this organization.</param>
/// <param name="AllowedMethods">Any of <c>password</c>, <c>passkey</c>, <c>saml</c>.</param>
/// <param name="SessionLifetimeMinutes">Maximum minutes since the last authentication; null: the server's defaults.</param>
/// <param name="AutoJoinVerifiedDomains">Accounts on a verified domain join with <paramref name="DefaultRole"/>.</param>
/// <param name="DefaultRole">Role given to auto-joined (and SCIM-provisioned) accounts.</param>
/// <param name="ScimDeleteDeactivates">A SCIM DELETE deactivates the user instead of removing them.</param>
internal sealed record OrganizationPolicies(
    bool RequireMfa, IReadOnlyList<string> AllowedMethods, int? SessionLifetimeMinutes, bool AutoJoinVerifiedDomains, string DefaultRole,
    bool ScimDeleteDeactivates)
{
    public static OrganizationPolicies From(Organization o) => new(
        o.RequireMfa, SignInMethodNames.ToNames(o.AllowedMethods), o.SessionLifetimeMinutes, o.AutoJoinVerifiedDomains, o.DefaultRole,
        o.ScimDeleteDeactivates);
}

internal sealed record MemberView(string UserId, string? Email, string? Name, IReadOnlyList<string> Roles, DateTimeOffset JoinedAt);

internal sealed record RoleView(string Name, string? Description, IReadOnlyList<string> Permissions, bool BuiltIn);

internal sealed record PermissionView(string Name, string? Description, bool BuiltIn);

internal sealed record InvitationView(
    string Id, string Email, string Role, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, string Status)
{
    public static InvitationView From(OrganizationInvitation i, DateTimeOffset now) => new(
        i.Id, i.Email, i.RoleName, DateTimeOffset.FromUnixTimeMilliseconds(i.CreatedAt), DateTimeOffset.FromUnixTimeMilliseconds(i.ExpiresAt),
        i.RevokedAt is not null ? "revoked"
        : i.AcceptedAt is not null ? "accepted"
        : i.ExpiresAt <= now.ToUnixTimeMilliseconds() ? "expired"
        : "pending");
}

/// <summary>
/// A new invitation and its link. The link goes only to the invited mailbox, never back to the inviter: holding it
/// proves the address (an account created from it starts confirmed), so whoever invites must not have it.
/// </summary>
internal sealed record CreatedInvitation(InvitationView Invitation, string Link);

internal sealed record DomainView(string Id, string Name, bool Verified, string? VerifiedBy, string TxtRecordName, string TxtRecordValue)
{
    public static DomainView From(OrganizationDomain d) => new(
        d.Id, d.Name, d.VerifiedAt is not null, d.VerifiedBy, DomainVerification.RecordName(d.Name), DomainVerification.RecordValue(d.VerificationToken));
}

internal sealed record AuditView(DateTimeOffset OccurredAt, string? Actor, string Action, string? Target, string? Data);

internal static class SignInMethodNames
{
    public const string Password = "password";
    public const string Passkey = "passkey";
    public const string Saml = "saml";
    public const string EmailCode = "email_code";

    public static IReadOnlyList<string> ToNames(SignInMethods methods) =>
    [
        .. methods.HasFlag(SignInMethods.Password) ? [Password] : Array.Empty<string>(),
        .. methods.HasFlag(SignInMethods.Passkey) ? [Passkey] : Array.Empty<string>(),
        .. methods.HasFlag(SignInMethods.Saml) ? [Saml] : Array.Empty<string>(),
        .. methods.HasFlag(SignInMethods.EmailCode) ? [EmailCode] : Array.Empty<string>(),
    ];

    public static bool TryParse(IEnumerable<string> names, out SignInMethods methods)
    {
        methods = SignInMethods.None;
        foreach (var name in names)
        {
            methods |= name switch
            {
                Password => SignInMethods.Password,
                Passkey => SignInMethods.Passkey,
                Saml => SignInMethods.Saml,
                EmailCode => SignInMethods.EmailCode,
                _ => (SignInMethods)(-1),
            };
            if (methods < 0)
            {
                return false;
            }
        }

        return methods != SignInMethods.None;
    }

    /// <summary>
    /// The first-factor method of a session from its RFC 8176 <c>amr</c> values, which Plinto records first factor
    /// first (<c>pwd otp mfa</c> is a password with an authenticator code; <c>otp</c> alone, an e-mailed code).
    /// </summary>
    public static SignInMethods FromAuthenticationMethods(IEnumerable<string> amr)
    {
        foreach (var value in amr)
        {
            var method = value switch
            {
                "pwd" => SignInMethods.Password,
                "hwk" or "swk" => SignInMethods.Passkey,
                "ext" => SignInMethods.Saml,
                "otp" => SignInMethods.EmailCode,
                _ => SignInMethods.None,
            };
            if (method != SignInMethods.None)
            {
                return method;
            }
        }

        return SignInMethods.None;
    }
}
