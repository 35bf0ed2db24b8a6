using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Plinto.IdentityServer.Account.Passkeys;

internal sealed record PasskeyAssertion(PlintoUser User, UserPasskeyInfo Passkey)
{
    /// <summary>
    /// RFC 8176 methods of a passkey sign-in: a key (hardware-bound, or synced — "swk" — when the authenticator
    /// says it may be backed up) verified by the authenticator's own user verification (required), so two factors.
    /// </summary>
    public string[] Methods => [Passkey.IsBackupEligible ? "swk" : "hwk", "user", "mfa"];
}

/// <summary>
/// WebAuthn ceremonies on ASP.NET Core Identity's passkey handler. The ceremony state (challenge and options)
/// lives in a short-lived, data-protected, HttpOnly cookie that is accepted once across the nodes
/// (<see cref="PasskeyCeremonyState"/>), so an assertion cannot be replayed with a state from elsewhere or used twice.
/// </summary>
internal sealed class Passkeys(
    IPasskeyHandler<PlintoUser> handler,
    UserManager<PlintoUser> users,
    IHttpContextAccessor http,
    IOptions<PasskeyOptions> options,
    PasskeyCeremonyState ceremonies)
{
    private HttpContext Context => http.HttpContext ?? throw new InvalidOperationException("No HTTP request.");

    public int MaxPerUser => options.Value.MaxPerUser;

    /// <summary>Options for <c>navigator.credentials.create()</c>; existing passkeys are excluded (no duplicates).</summary>
    public async Task<string> CreationOptionsAsync(PlintoUser user)
    {
        var entity = new PasskeyUserEntity
        {
            Id = user.Id,
            Name = user.Email ?? user.UserName ?? user.Id,
            DisplayName = user.Name ?? user.Email ?? user.Id,
        };
        var result = await handler.MakeCreationOptionsAsync(entity, Context);
        ceremonies.Save("create:" + user.Id, result.AttestationState);
        return result.CreationOptionsJson;
    }

    /// <summary>Verifies a new credential and stores it under <paramref name="name"/>. Null: refused (reason in <paramref name="error"/>).</summary>
    public async Task<(UserPasskeyInfo? Passkey, string? Error)> RegisterAsync(PlintoUser user, string credentialJson, string? name)
    {
        var state = await ceremonies.TakeAsync("create:" + user.Id);
        if ((await users.GetPasskeysAsync(user)).Count >= MaxPerUser)
        {
            return (null, $"You already have {MaxPerUser} passkeys. Remove one first.");
        }

        if (state is null)
        {
            return (null, "The passkey request expired. Try again.");
        }

        var result = await handler.PerformAttestationAsync(new PasskeyAttestationContext
        {
            HttpContext = Context,
            CredentialJson = credentialJson,
            AttestationState = state,
        });
        if (!result.Succeeded || result.UserEntity?.Id != user.Id)
        {
            return (null, "The passkey could not be verified. Try again.");
        }

        // WebAuthn §7.1 step 25: a credential id registered to any account is refused.
        if (await users.FindByPasskeyIdAsync(result.Passkey.CredentialId) is not null)
        {
            return (null, "This passkey is already registered.");
        }

        result.Passkey.Name = string.IsNullOrWhiteSpace(name) ? DefaultName(result.Passkey) : name.Trim()[..Math.Min(name.Trim().Length, 64)];
        var stored = await users.AddOrUpdatePasskeyAsync(user, result.Passkey);
        return stored.Succeeded ? (result.Passkey, null) : (null, "The passkey could not be saved. Try again.");
    }

    /// <summary>Options for <c>navigator.credentials.get()</c>: any discoverable passkey (user null), or this user's.</summary>
    public async Task<string> RequestOptionsAsync(PlintoUser? user)
    {
        var result = await handler.MakeRequestOptionsAsync(user, Context);
        ceremonies.Save("get:" + (user?.Id ?? "*"), result.AssertionState);
        return result.RequestOptionsJson;
    }

    /// <summary>
    /// Verifies an assertion (signature, challenge, origin, RP id, user presence and verification, sign counter) and
    /// stores the new counter. Null when refused; <paramref name="expectedUser"/> pins the account.
    /// </summary>
    public async Task<PasskeyAssertion?> AssertAsync(string credentialJson, PlintoUser? expectedUser)
    {
        var state = await ceremonies.TakeAsync("get:" + (expectedUser?.Id ?? "*"));
        if (state is null)
        {
            return null;
        }

        PasskeyAssertionResult<PlintoUser> result;
        try
        {
            result = await handler.PerformAssertionAsync(new PasskeyAssertionContext
            {
                HttpContext = Context,
                CredentialJson = credentialJson,
                AssertionState = state,
            });
        }
        catch (Exception exception) when (exception is PasskeyException or System.Text.Json.JsonException or FormatException)
        {
            return null;
        }

        if (!result.Succeeded || (expectedUser is not null && result.User.Id != expectedUser.Id))
        {
            return null;
        }

        // The counter (and backup state) move forward; a clone that reports an older counter was refused above.
        await users.AddOrUpdatePasskeyAsync(result.User, result.Passkey);
        return new PasskeyAssertion(result.User, result.Passkey);
    }

    private static string DefaultName(UserPasskeyInfo passkey) =>
        passkey.IsBackupEligible ? "Synced passkey" : "Security key or device passkey";
}
