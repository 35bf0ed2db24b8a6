using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Account.Email;

namespace Plinto.IdentityServer.Organizations;

/// <summary>Creates an invitation and mails its link (the admin API and the admin pages do the same).</summary>
internal static class InvitationMail
{
    public const string AcceptPath = "/account/invitation";

    /// <summary>Creates the invitation and mails the link (which only the mailbox gets); returns the invitation.</summary>
    public static async Task<OrganizationResult<InvitationView>> InviteAndSendAsync(
        HttpContext context, OrganizationAdministration organizations, AccountEmailSender email, OrganizationActor actor,
        string organizationId, string? address, string? role, CancellationToken cancellationToken)
    {
        var result = await organizations.InviteAsync(actor, organizationId, address, role,
            AccountLinks.Absolute(context, AcceptPath), cancellationToken);
        if (!result.Succeeded)
        {
            return new OrganizationFailure(result.Error!.Value, result.Message!);
        }

        var organization = await organizations.GetAsync(actor, organizationId, cancellationToken);
        await email.SendInvitationAsync(result.Value!.Invitation.Email, organization.Value?.Name ?? "an organization",
            result.Value.Link, result.Value.Invitation.ExpiresAt);
        return result.Value.Invitation;
    }
}
