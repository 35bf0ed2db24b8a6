using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Plinto.IdentityServer.Account.Sessions;

namespace Plinto.IdentityServer.Pages.Account;

internal sealed class SignOutModel(UserSessions sessions) : PageModel
{
    public bool SignedOut { get; private set; }

    // GET only asks: signing out on GET would let any site sign people out with an <img> tag.
    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        await sessions.SignOutAsync();
        SignedOut = true;
        return Page();
    }
}
