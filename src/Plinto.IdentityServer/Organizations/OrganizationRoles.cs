using System.Text.RegularExpressions;

namespace Plinto.IdentityServer.Organizations;

/// <summary>The built-in roles every organization has, and the built-in permissions they are made of.</summary>
internal static class OrganizationRoles
{
    public const string Owner = "owner";
    public const string Admin = "admin";
    public const string Member = "member";

    public static readonly string[] BuiltIn = [Owner, Admin, Member];

    /// <summary>The built-in permissions (prefixed <c>org:</c>, a prefix custom permissions cannot use).</summary>
    public static class Permissions
    {
        public const string Read = "org:read";
        public const string Update = "org:update";
        public const string Delete = "org:delete";
        public const string ManageMembers = "org:members:manage";
        public const string ManageInvitations = "org:invitations:manage";
        public const string ManageRoles = "org:roles:manage";
        public const string ManageDomains = "org:domains:manage";
        public const string ReadAudit = "org:audit:read";
        public const string ManageScim = "org:scim:manage";
        public const string ManageSso = "org:sso:manage";

        public static readonly string[] All = [Read, Update, Delete, ManageMembers, ManageInvitations, ManageRoles, ManageDomains, ReadAudit, ManageScim, ManageSso];
    }

    public static IReadOnlyList<OrganizationRole> CreateBuiltIn(string organizationId) =>
    [
        new() { OrganizationId = organizationId, Name = Owner, BuiltIn = true, Description = "Full control, including deleting the organization",
            Permissions = string.Join(' ', Permissions.All) },
        // Not org:sso:manage: whoever controls the IdP can sign in as any linked member, owners included.
        new() { OrganizationId = organizationId, Name = Admin, BuiltIn = true, Description = "Manages members, invitations, roles, domains and policies",
            Permissions = string.Join(' ', Permissions.All.Where(p => p is not (Permissions.Delete or Permissions.ManageSso))) },
        new() { OrganizationId = organizationId, Name = Member, BuiltIn = true, Description = "Belongs to the organization",
            Permissions = Permissions.Read },
    ];
}

/// <summary>Names that appear in URLs, scopes and claims.</summary>
internal static partial class OrganizationSlug
{
    public const int MaxLength = 48;

    /// <summary>Lower-case letters and digits, single dashes inside; 2 to 48 characters.</summary>
    public static bool IsValid(string? slug) => slug is { Length: >= 2 and <= MaxLength } && SlugPattern().IsMatch(slug);

    /// <summary>Role and custom permission names: lower-case, digits, and <c>: . _ -</c> separators.</summary>
    public static bool IsValidName(string? name) => name is { Length: >= 1 and <= 64 } && NamePattern().IsMatch(name);

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex SlugPattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9:._-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
