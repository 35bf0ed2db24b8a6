namespace Plinto.IdentityServer.Organizations;

/// <summary><c>Plinto:Organizations</c>.</summary>
internal sealed class OrganizationOptions
{
    public const string Section = "Plinto:Organizations";

    /// <summary>Signed-in users may create organizations (they become the owner). Off: only platform administrators.</summary>
    public bool SelfService { get; set; }

    /// <summary>How long an invitation link works.</summary>
    public TimeSpan InvitationLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>DNS servers (<c>ip:port</c>) for domain verification; empty: the system's resolvers.</summary>
    public List<string> DnsServers { get; set; } = [];
}

/// <summary>Who is acting on an organization, as established by the caller (page session or admin API token).</summary>
/// <param name="Id">User id, or <c>client:{client_id}</c> for a machine client.</param>
/// <param name="UserId">The user whose memberships grant permissions; null for a machine client.</param>
/// <param name="IsPlatformAdmin">Platform administrator: every organization, every permission.</param>
/// <param name="OnlyOrganizationId">A token scoped to one organization (<c>plinto:org:admin</c>): nothing else is visible.</param>
internal sealed record OrganizationActor(string Id, string? UserId, bool IsPlatformAdmin, string? OnlyOrganizationId = null)
{
    public static OrganizationActor ForUser(string userId, bool isPlatformAdmin, string? onlyOrganizationId = null) =>
        new(userId, userId, isPlatformAdmin && onlyOrganizationId is null, onlyOrganizationId);
}

/// <summary>Why an organization command failed; maps to 404, 403, 409, 400 and 409.</summary>
internal enum OrganizationError
{
    NotFound,
    Forbidden,
    Conflict,
    Invalid,
    LastOwner,
}

internal sealed record OrganizationResult<T>(T? Value, OrganizationError? Error, string? Message)
{
    public bool Succeeded => Error is null;

    public static implicit operator OrganizationResult<T>(T value) => new(value, null, null);

    public static implicit operator OrganizationResult<T>(OrganizationFailure failure) => new(default, failure.Error, failure.Message);
}

internal sealed record OrganizationFailure(OrganizationError Error, string Message)
{
    public static readonly OrganizationFailure NotFound = new(OrganizationError.NotFound, "No such organization, or you cannot see it.");
}
