using System.Globalization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using OpenIddict.Abstractions;
using Plinto.IdentityServer.Account;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Plinto.IdentityServer.Pages.Account.Manage;

/// <summary>
/// The applications the person granted access (OpenIddict's permanent authorizations). Removing one revokes its
/// authorizations and every token issued to it for this account: refresh tokens stop working at once.
/// </summary>
internal sealed class AppsModel(
    UserManager<PlintoUser> users,
    IOpenIddictAuthorizationManager authorizations,
    IOpenIddictApplicationManager applications,
    IOpenIddictTokenManager tokens) : PageModel
{
    public IReadOnlyList<ConnectedApp> Apps { get; private set; } = [];

    public sealed record ConnectedApp(string ApplicationId, string Name, IReadOnlyList<string> Scopes, string Since);

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var granted = new Dictionary<string, (HashSet<string> Scopes, DateTimeOffset? Since)>(StringComparer.Ordinal);
        await foreach (var authorization in authorizations.FindBySubjectAsync(users.GetUserId(User)!, cancellationToken))
        {
            if (await authorizations.GetStatusAsync(authorization, cancellationToken) != Statuses.Valid
                || await authorizations.GetTypeAsync(authorization, cancellationToken) != AuthorizationTypes.Permanent
                || await authorizations.GetApplicationIdAsync(authorization, cancellationToken) is not { } applicationId)
            {
                continue;
            }

            var created = await authorizations.GetCreationDateAsync(authorization, cancellationToken);
            if (!granted.TryGetValue(applicationId, out var entry))
            {
                entry = (new HashSet<string>(StringComparer.Ordinal), created);
            }

            entry.Scopes.UnionWith(await authorizations.GetScopesAsync(authorization, cancellationToken));
            // The earliest grant is when the person first connected the application.
            granted[applicationId] = (entry.Scopes, entry.Since is { } since && created is { } c && c < since ? c : entry.Since ?? created);
        }

        var apps = new List<ConnectedApp>();
        foreach (var (applicationId, (scopes, since)) in granted)
        {
            var application = await applications.FindByIdAsync(applicationId, cancellationToken);
            var name = application is null ? "A removed application"
                : await applications.GetLocalizedDisplayNameAsync(application, cancellationToken) ?? await applications.GetClientIdAsync(application, cancellationToken) ?? applicationId;
            apps.Add(new ConnectedApp(applicationId, name, [.. scopes.Order(StringComparer.Ordinal)],
                since?.ToString("d MMM yyyy", CultureInfo.InvariantCulture) ?? "unknown"));
        }

        Apps = [.. apps.OrderBy(a => a.Name, StringComparer.CurrentCultureIgnoreCase)];
    }

    public async Task<IActionResult> OnPostRevokeAsync(string applicationId, CancellationToken cancellationToken)
    {
        var subject = users.GetUserId(User)!;
        // Only this account's grants to that application: the subject is part of both filters.
        var revoked = await authorizations.RevokeAsync(subject, applicationId, status: null, type: null, cancellationToken);
        await tokens.RevokeAsync(subject, applicationId, status: null, type: null, cancellationToken);
        if (revoked > 0)
        {
            TempData["Status"] = "Access removed.";
        }

        return RedirectToPage();
    }
}
